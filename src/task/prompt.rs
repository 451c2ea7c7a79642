//! The three ways a task is put to a model: zero-shot, few-shot and the fine-tuned template.
//!
//! This module owns the *words*: the templates and their filling (`{input}`, `{output}`), the
//! fine-tuned messages and training completions. `llm::prompt` owns the *request*: which mode,
//! which few-shot examples fit the context, what goes on the wire, and the answer inside a reply.
//! Export (`dataset::export`) renders the same words, so a model trained on an export is served
//! with exactly the prompt it was trained on.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompts {
    /// The instruction for prompt-only use: what to extract and exactly how to write it.
    pub instruction: String,
    /// One worked example written out (`{input}`, `{output}`): how much of the context an example
    /// takes, when choosing how many fit. Few-shot prompts give each example as a user turn (the
    /// `query` with its paragraph) and an assistant turn (its answer).
    #[serde(default = "default_example")]
    pub example: String,
    /// How a paragraph is put to the model (`{input}`): the paragraph to extract from, and each
    /// worked example's paragraph in its user turn.
    #[serde(default = "default_query")]
    pub query: String,
    pub fine_tuned: FineTunedTemplate,
}

fn default_example() -> String {
    "Input:\n{input}\nOutput:\n{output}\n".into()
}

fn default_query() -> String {
    "Input:\n{input}\nOutput:\n".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FineTunedStyle {
    /// Chat messages: system, user, assistant.
    Chat,
    /// A raw prompt and completion (the NERRE GPT-3 models).
    Completion,
}

/// Exactly the template a fine-tuned model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FineTunedTemplate {
    pub style: FineTunedStyle,
    #[serde(default)]
    pub system: String,
    /// The user message (chat) or the whole prompt (completion), with `{input}`.
    pub user: String,
    /// Put before the answer in a training completion (NERRE: one space).
    #[serde(default)]
    pub answer_prefix: String,
    /// Put after the answer in a training completion (NERRE: `\nEND`).
    #[serde(default)]
    pub answer_suffix: String,
    /// Where generation stops.
    #[serde(default)]
    pub stop: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }
}

impl Prompts {
    /// One worked example as a few-shot prompt shows it.
    pub fn example_text(&self, input: &str, output: &str) -> String {
        fill(&self.example, input, output)
    }

    /// The paragraph as put after the instruction and examples.
    pub fn query_text(&self, paragraph: &str) -> String {
        fill(&self.query, paragraph, "")
    }
}

/// Fills `{input}` and `{output}`; other braces are left alone.
fn fill(template: &str, input: &str, output: &str) -> String {
    // One pass, so an `{output}` inside the input is not expanded.
    let mut out = String::with_capacity(template.len() + input.len() + output.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{input}") {
            out.push_str(input);
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{output}") {
            out.push_str(output);
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

impl FineTunedTemplate {
    /// The prompt messages for `paragraph` (chat style: system + user; completion style: one
    /// user message holding the raw prompt).
    pub fn messages(&self, paragraph: &str) -> Vec<ChatMessage> {
        let mut messages = Vec::new();
        if self.style == FineTunedStyle::Chat && !self.system.is_empty() {
            messages.push(ChatMessage::new("system", self.system.clone()));
        }
        messages.push(ChatMessage::new("user", self.prompt_text(paragraph)));
        messages
    }

    /// The raw prompt of a completion-style template.
    pub fn prompt_text(&self, paragraph: &str) -> String {
        fill(&self.user, paragraph, "")
    }

    /// The training target for `answer` (its canonical text).
    pub fn completion(&self, answer: &str) -> String {
        format!("{}{}{}", self.answer_prefix, answer, self.answer_suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_is_one_pass() {
        assert_eq!(fill("a {input} b {output} {x}", "{output}", "O"), "a {output} b O {x}");
    }
}
