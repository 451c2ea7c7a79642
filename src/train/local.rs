//! Retort's own trainer (`--trainer retort`, what `--backend local` runs): the examples of the
//! export tokenized by the engine that serves the base (`llm::embedded::training_tokens`: its
//! chat template, llama.cpp's tokenizer, the end-of-turn token), written as `input_ids` and a
//! `completion_mask` for `sft.py` (TRL's SFTTrainer with PEFT), with its JSON config. The
//! hyperparameters' defaults were chosen by experiment on 2 CPU cores (docs/training.md, "Training here").

use super::trainers::{Files, OUTPUT_DIR, Recipe};
use crate::dataset::export::ExportStyle;
use crate::llm::embedded::TrainingTokens;
use crate::llm::prompt::Prompt;
use crate::task::{ChatMessage, FineTunedStyle, Task};
use serde_json::{Value as Json, json};
use std::path::Path;

/// The script, written into the run's directory.
pub const SCRIPT: &str = include_str!("sft.py");
pub const SCRIPT_FILE: &str = "sft.py";
/// One example per optimiser step on the CPU would make 100 examples 100 noisy steps; four
/// make a steadier gradient at the same cost per token (no padding: one sequence a batch).
pub const GRADIENT_ACCUMULATION: u32 = 4;
pub const BATCH_SIZE: u32 = 1;
/// Longer examples are cut (the papers' paragraphs with their answers fit in far fewer).
pub const MAX_LENGTH: u32 = 2048;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{path}:{line}: not a training row of the {style} export ({why})")]
    Row {
        path: String,
        line: usize,
        style: &'static str,
        why: String,
    },
    #[error("reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error(transparent)]
    Tokens(#[from] crate::llm::error::LlmError),
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

/// The export style whose rows hold exactly the fine-tuned prompt of `task` and its answer.
pub fn style(task: &Task) -> ExportStyle {
    match task.prompt.fine_tuned.style {
        FineTunedStyle::Chat => ExportStyle::Chat,
        FineTunedStyle::Completion => ExportStyle::Completion,
    }
}

/// Each row of an export in `style` (chat or completion) as the prompt a fine-tuned run sends
/// and the text it is to answer.
pub fn prompts_of(path: &Path, style: ExportStyle) -> Result<Vec<(Prompt, String)>, LocalError> {
    let text = std::fs::read_to_string(path).map_err(|source| LocalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let bad = |line: usize, why: &str| LocalError::Row {
        path: path.display().to_string(),
        line,
        style: style.name(),
        why: why.to_string(),
    };
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let json: Json = serde_json::from_str(line).map_err(|e| bad(index + 1, &e.to_string()))?;
        let row = match style {
            ExportStyle::Chat => chat_row(&json),
            ExportStyle::Completion => completion_row(&json),
            _ => None,
        };
        rows.push(row.ok_or_else(|| bad(index + 1, "missing messages or prompt and completion"))?);
    }
    Ok(rows)
}

fn chat_row(json: &Json) -> Option<(Prompt, String)> {
    let mut messages: Vec<ChatMessage> = serde_json::from_value(json.get("messages")?.clone()).ok()?;
    let answer = messages.pop().filter(|m| m.role == "assistant")?;
    Some((Prompt::Chat { messages }, answer.content))
}

fn completion_row(json: &Json) -> Option<(Prompt, String)> {
    let prompt = json.get("prompt")?.as_str()?.to_string();
    let completion = json.get("completion")?.as_str()?.to_string();
    Some((Prompt::Completion { text: prompt }, completion))
}

/// Writes the examples as `sft.py` reads them: one `{"input_ids", "completion_mask"}` a line.
pub fn write_tokens(path: &Path, examples: &[TrainingTokens]) -> std::io::Result<()> {
    let mut text = String::new();
    for example in examples {
        let ids: Vec<i32> = example.prompt.iter().chain(&example.completion).copied().collect();
        let mask: Vec<u8> = std::iter::repeat_n(0, example.prompt.len())
            .chain(std::iter::repeat_n(1, example.completion.len()))
            .collect();
        text.push_str(&json!({"input_ids": ids, "completion_mask": mask}).to_string());
        text.push('\n');
    }
    crate::atomic::write(path, text)
}

/// `sft.py`'s config: the base (a GGUF file or a model directory on the training machine), the
/// token files, and the hyperparameters.
pub fn config(recipe: &Recipe, files: &Files) -> String {
    let config = json!({
        "base": recipe.base,
        "train": files.training,
        "valid": files.validation,
        "output_dir": OUTPUT_DIR,
        "epochs": recipe.epochs,
        "learning_rate": recipe.learning_rate,
        "lora_rank": recipe.lora_rank,
        "lora_alpha": recipe.lora_rank * 2,
        "lora_dropout": 0.0,
        "target_modules": "all-linear",
        "batch_size": BATCH_SIZE,
        "gradient_accumulation": GRADIENT_ACCUMULATION,
        "max_length": MAX_LENGTH,
        "warmup_share": 0.05,
        "logging_steps": recipe.logging_steps,
        "seed": recipe.seed,
        "threads": Json::Null,
    });
    serde_json::to_string_pretty(&config).expect("a config serialises") + "\n"
}
