//! One line of `retort extract`'s output: a paragraph's id and text with the run made on it.
//! Written by `batch` (and the review queue's look-ahead), read back by `--resume`, the review
//! queue and `retort eval`: one type, so that renaming a key is a compile error, not a queue
//! that silently finds no runs.

use super::dialect::Validation;
use super::finish::FinishReason;
use super::grounding::GroundingUsed;
use super::profile::Mode;
use super::prompt::Prompt;
use super::run::Run;
use crate::extraction::Extraction;
use crate::format::FormatError;
use crate::task::Task;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A value's span in the document's text, in characters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSpan {
    pub field: String,
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// The line as written (every key, `null` where a run has no value) and as read (leniently:
/// files from older versions lack keys).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunLine {
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    #[serde(default)]
    pub task: String,
    #[serde(default)]
    pub profile: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub endpoint: String,
    /// The embedded engine's CPU backend (`Run::backend`); `null` for servers.
    #[serde(default)]
    pub backend: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
    pub input: String,
    #[serde(default)]
    pub raw: String,
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub extraction: Option<Extraction>,
    #[serde(default)]
    pub parse_error: Option<FormatError>,
    #[serde(default)]
    pub validation: Option<Validation>,
    /// How the run ended (`error`, `incomplete`, `cancelled` on disk): a failed one is run again
    /// by `--resume`.
    #[serde(flatten)]
    pub outcome: super::Outcome,
    /// When the run started (RFC 3339).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub started_at: String,
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    #[serde(default)]
    pub prompt_tokens: Option<u64>,
    /// Prompt tokens the engine took from its cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    #[serde(default)]
    pub completion_tokens: Option<u64>,
    /// Whether `completion_tokens` was counted here because the server gave no usage.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tokens_counted: bool,
    #[serde(default)]
    pub time_to_first_token_ms: Option<f64>,
    #[serde(default)]
    pub total_ms: f64,
    #[serde(default)]
    pub prompt_hash: String,
    #[serde(default)]
    pub prompt: Option<Prompt>,
    #[serde(default)]
    pub shots_from: Option<String>,
    /// The LoRA adapters applied, with their scales.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adapters: Vec<String>,
    /// Whether verbatim values could only be copied (`constrained`) or were checked afterwards.
    #[serde(default)]
    pub grounding: GroundingUsed,
    /// Values not in the paragraph but in the prompt around it (a worked example): copied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from_prompt: Vec<String>,
    /// Where the paragraph sits in its document, when it was read from a paper (`doc`, `kind`,
    /// `section`, `offset`, `page` beside the other keys).
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub place: Option<crate::place::Place>,
    /// Each grounded value's place in the document's text, when the paragraph has one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub document_spans: Vec<DocumentSpan>,
}

/// What `--resume` needs of a line (the same keys as `RunLine`, read without the rest).
#[derive(Deserialize)]
pub struct ResumeKeys {
    #[serde(default, deserialize_with = "id_text")]
    pub id: Option<String>,
    #[serde(default)]
    pub error: Option<Json>,
}

impl ResumeKeys {
    pub fn failed(&self) -> bool {
        self.error.as_ref().is_some_and(|e| !e.is_null())
    }
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Json::deserialize(d)? {
        Json::String(s) => Some(s),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

impl RunLine {
    pub fn new(id: &str, paragraph: &str, run: &Run) -> RunLine {
        RunLine {
            id: Some(id.to_string()),
            task: run.task.clone(),
            profile: run.profile.clone(),
            model: run.model.clone(),
            endpoint: run.endpoint.clone(),
            backend: run.backend.clone(),
            mode: Some(run.mode),
            input: paragraph.to_string(),
            raw: run.raw_reply.clone(),
            answer: run.answer.clone(),
            extraction: run.extraction.clone(),
            parse_error: run.parse_error.clone(),
            validation: Some(run.validation.clone()),
            outcome: run.outcome.clone(),
            started_at: run.started_at.clone(),
            finish_reason: run.finish_reason.clone(),
            prompt_tokens: run.prompt_tokens,
            cached_tokens: run.cached_tokens,
            completion_tokens: run.completion_tokens,
            tokens_counted: run.tokens_counted,
            time_to_first_token_ms: run.time_to_first_token_ms,
            total_ms: run.total_ms,
            prompt_hash: run.prompt_hash.clone(),
            prompt: Some(run.prompt.clone()),
            shots_from: run.shots_from.clone(),
            adapters: run.adapters.clone(),
            grounding: run.grounding,
            from_prompt: run.from_prompt.clone(),
            place: None,
            document_spans: Vec::new(),
        }
    }

    /// The line of a paragraph read from a paper: its place, and each grounded value's span
    /// moved by the paragraph's offset into the document's text.
    pub fn placed(mut self, place: Option<&crate::place::Place>) -> RunLine {
        let Some(place) = place else { return self };
        self.document_spans = self
            .extraction
            .iter()
            .flat_map(|e| e.values())
            .filter_map(|(field, value)| {
                let span = value.span.as_ref()?;
                Some(DocumentSpan {
                    field: field.to_string(),
                    text: value.text.clone(),
                    start: place.offset + span.chars.start,
                    end: place.offset + span.chars.end,
                })
            })
            .collect();
        self.place = Some(place.clone());
        self
    }

    /// The line's JSON text (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether a JSON line is one of these (it has the paragraph and a reply or an error), as
    /// opposed to a paragraph to run or a prediction file of another tool.
    pub fn is_one(value: &Json) -> bool {
        value.get("input").is_some() && (value.get("raw").is_some() || value.get("error").is_some())
    }

    /// The run as recorded, its values grounded in the paragraph when the file has no spans.
    pub fn into_run(self, task: &Task) -> Run {
        let mut extraction = self.extraction;
        if let Some(extraction) = &mut extraction
            && extraction
                .values()
                .iter()
                .any(|(_, v)| v.alignment == crate::extraction::Alignment::Unchecked)
        {
            crate::ground::ground(extraction, &self.input, &|f| task.is_verbatim(f));
        }
        Run {
            task: self.task,
            profile: self.profile,
            model: self.model,
            endpoint: self.endpoint,
            mode: self.mode.unwrap_or(Mode::ZeroShot),
            prompt: self.prompt.unwrap_or(Prompt::Completion { text: String::new() }),
            prompt_hash: self.prompt_hash,
            request: Json::Null,
            backend: self.backend,
            raw_reply: self.raw,
            answer: self.answer,
            finish_reason: self.finish_reason,
            prompt_tokens: self.prompt_tokens,
            cached_tokens: self.cached_tokens,
            completion_tokens: self.completion_tokens,
            tokens_counted: self.tokens_counted,
            time_to_first_token_ms: self.time_to_first_token_ms,
            total_ms: self.total_ms,
            outcome: self.outcome,
            extraction,
            parse_error: self.parse_error,
            validation: self.validation.unwrap_or(Validation::NotApplicable),
            started_at: self.started_at,
            shots_from: self.shots_from,
            adapters: self.adapters,
            grounding: self.grounding,
            from_prompt: self.from_prompt,
            tokens: Vec::new(),
            replica_failed: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::profile::parse;
    use crate::llm::run::{RunRequest, from_reply};
    use crate::task::Registry;

    /// A run written as a line and read back is the same record (all but the request body, which
    /// lines do not carry).
    #[test]
    fn a_run_survives_its_line() {
        let registry = Registry::builtin();
        let task = registry.get("compound").unwrap();
        let toml = "[[model]]\nname = \"p\"\nengine = \"embedded\"\npath = \"m.gguf\"\nmode = \"few-shot\"\n";
        let profile = parse(toml).unwrap().remove(0);
        let paragraph = "Ethanol and THF were stirred.";
        let mut run = from_reply(&RunRequest::new(task, &profile, paragraph), "Ethanol | THF | water");
        run.backend = Some("haswell".into());
        run.model = "m".into();
        run.endpoint = "in-process".into();
        run.finish_reason = Some(FinishReason::Repetition);
        (run.prompt_tokens, run.cached_tokens, run.completion_tokens) = (Some(120), Some(100), Some(7));
        run.tokens_counted = true;
        (run.time_to_first_token_ms, run.total_ms) = (Some(12.5), 80.25);
        run.outcome = crate::llm::Outcome::Cancelled { partial: true };
        run.shots_from = Some("3 shipped examples".into());
        run.adapters = vec!["chem.gguf ×1".into()];
        run.grounding = GroundingUsed::Constrained;
        run.from_prompt = vec!["water".into()];
        assert!(run.extraction.is_some() && !run.started_at.is_empty());

        let line = RunLine::new("p1", paragraph, &run).to_line();
        let back = serde_json::from_str::<RunLine>(&line).unwrap().into_run(task);
        let record = |run: &Run| {
            let mut value = serde_json::to_value(run).unwrap();
            value.as_object_mut().unwrap().remove("request");
            value
        };
        assert_eq!(record(&back), record(&run));
    }
}
