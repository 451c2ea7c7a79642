//! One training row per style, each in the shape its trainer reads without conversion. The
//! prompt inside every style is what Retort's fine-tuned mode sends at inference.

use crate::dataset::store::SavedExample;
use crate::task::{ChatMessage, FineTunedStyle, Task};
use serde_json::{Value as Json, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportStyle {
    /// OpenAI fine-tuning `{"messages": [system?, user, assistant]}` (also TRL, axolotl
    /// `chat_template`, torchtune `openai`, unsloth).
    Chat,
    /// `{"prompt", "completion"}` with the task's separators (the NERRE GPT-3 files).
    Completion,
    /// One `text` field: `<s>[INST] {prompt} [/INST] {answer}!!! </s>` for chat templates (the
    /// Chem. Sci. string, for TRL's `dataset_text_field="text"`), prompt + completion otherwise.
    Text,
    /// `{"conversations": [{"from": "system"|"human"|"gpt", "value"}]}`.
    Sharegpt,
    /// `{"instruction", "input", "output", "system"}`.
    Alpaca,
    /// OpenAI preference fine-tuning: `{"input": {"messages"}, "preferred_output",
    /// "non_preferred_output"}`.
    DpoOpenai,
    /// TRL `DPOTrainer`: `{"prompt", "chosen", "rejected"}` (conversational for chat templates).
    DpoTrl,
}

impl ExportStyle {
    pub fn name(self) -> &'static str {
        match self {
            ExportStyle::Chat => "chat",
            ExportStyle::Completion => "completion",
            ExportStyle::Text => "text",
            ExportStyle::Sharegpt => "sharegpt",
            ExportStyle::Alpaca => "alpaca",
            ExportStyle::DpoOpenai => "dpo-openai",
            ExportStyle::DpoTrl => "dpo-trl",
        }
    }

    /// Preference pairs rather than demonstrations.
    pub fn is_preference(self) -> bool {
        matches!(self, ExportStyle::DpoOpenai | ExportStyle::DpoTrl)
    }
}

/// The demonstration row of `example` in `style` (not for preference styles).
pub fn demonstration(task: &Task, example: &SavedExample, style: ExportStyle) -> Json {
    let template = &task.prompt.fine_tuned;
    let paragraph = &example.paragraph;
    let prompt = template.prompt_text(paragraph);
    let system = system(task);
    match style {
        ExportStyle::Chat => {
            let mut messages = template.messages(paragraph);
            messages.push(ChatMessage::new("assistant", example.answer.clone()));
            json!({ "messages": messages })
        }
        ExportStyle::Completion => json!({ "prompt": prompt, "completion": template.completion(&example.answer) }),
        ExportStyle::Text => json!({ "text": text(task, paragraph, &example.answer) }),
        ExportStyle::Sharegpt => {
            let mut turns = Vec::new();
            if let Some(system) = &system {
                turns.push(json!({"from": "system", "value": system}));
            }
            turns.push(json!({"from": "human", "value": prompt}));
            turns.push(json!({"from": "gpt", "value": example.answer}));
            json!({ "conversations": turns })
        }
        ExportStyle::Alpaca => json!({
            "instruction": prompt,
            "input": "",
            "output": example.answer,
            "system": system.unwrap_or_default(),
        }),
        ExportStyle::DpoOpenai | ExportStyle::DpoTrl => Json::Null,
    }
}

/// The preference row: the corrected answer preferred over the model's.
pub fn preference(task: &Task, example: &SavedExample, rejected: &str, style: ExportStyle) -> Json {
    let template = &task.prompt.fine_tuned;
    let chosen = &example.answer;
    match style {
        ExportStyle::DpoOpenai => json!({
            "input": { "messages": template.messages(&example.paragraph) },
            "preferred_output": [ChatMessage::new("assistant", chosen.clone())],
            "non_preferred_output": [ChatMessage::new("assistant", rejected)],
        }),
        _ if template.style == FineTunedStyle::Chat => json!({
            "prompt": template.messages(&example.paragraph),
            "chosen": [ChatMessage::new("assistant", chosen.clone())],
            "rejected": [ChatMessage::new("assistant", rejected)],
        }),
        _ => json!({
            "prompt": template.prompt_text(&example.paragraph),
            "chosen": template.completion(chosen),
            "rejected": template.completion(rejected),
        }),
    }
}

/// The single training string: the Mistral/Llama-2 instruction form the Chem. Sci. models were
/// trained on for chat templates (the first stop string, e.g. `!!!`, ends the answer), the raw
/// prompt and completion for completion templates.
pub fn text(task: &Task, paragraph: &str, answer: &str) -> String {
    let template = &task.prompt.fine_tuned;
    match template.style {
        FineTunedStyle::Chat => {
            let end = template.stop.first().map_or("", String::as_str);
            format!(
                "<s>[INST] {} [/INST] {answer}{end} </s>",
                template.prompt_text(paragraph)
            )
        }
        FineTunedStyle::Completion => {
            format!("{}{}", template.prompt_text(paragraph), template.completion(answer))
        }
    }
}

fn system(task: &Task) -> Option<String> {
    let template = &task.prompt.fine_tuned;
    (template.style == FineTunedStyle::Chat && !template.system.is_empty()).then(|| template.system.clone())
}

/// The model's answers that the correction differs from (canonical text of each run's parse,
/// else its raw answer), each once.
pub fn rejected_answers(task: &Task, example: &SavedExample) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for run in &example.runs {
        let answer = run
            .get("extraction")
            .filter(|e| !e.is_null())
            .and_then(|e| serde_json::from_value::<crate::extraction::Extraction>(e.clone()).ok())
            .map(|e| task.render(&e))
            .or_else(|| run.get("answer").and_then(Json::as_str).map(String::from))
            .filter(|a| !a.trim().is_empty());
        if let Some(answer) = answer
            && answer != example.answer
            && !out.contains(&answer)
        {
            out.push(answer);
        }
    }
    out
}
