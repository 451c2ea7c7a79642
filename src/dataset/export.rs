//! Fine-tuning exports of saved examples: chat `messages` JSONL (OpenAI fine-tuning and most
//! open-source trainers) or raw prompt/completion JSONL (the NERRE GPT-3 style).

use super::store::SavedExample;
use crate::task::{ChatMessage, Task};
use serde_json::json;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportStyle {
    /// `{"messages": [system, user, assistant]}`
    Chat,
    /// `{"prompt": ..., "completion": ...}` with the task's separators
    Completion,
}

/// One JSONL line for `example`.
pub fn export_line(task: &Task, example: &SavedExample, style: ExportStyle) -> String {
    let template = &task.prompt.fine_tuned;
    let value = match style {
        ExportStyle::Chat => {
            let mut messages = template.messages(&example.paragraph);
            messages.push(ChatMessage::new("assistant", example.answer.clone()));
            json!({ "messages": messages })
        }
        ExportStyle::Completion => {
            let prompt = template
                .messages(&example.paragraph)
                .pop()
                .map(|m| m.content)
                .unwrap_or_default();
            json!({ "prompt": prompt, "completion": template.completion(&example.answer) })
        }
    };
    value.to_string()
}

/// Writes the export atomically: a temporary file beside `to`, then a rename.
pub fn write_export(task: &Task, examples: &[SavedExample], style: ExportStyle, to: &Path) -> std::io::Result<usize> {
    let dir = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        to.file_name().and_then(|n| n.to_str()).unwrap_or("export")
    ));
    let mut file = std::fs::File::create(&tmp)?;
    for example in examples {
        writeln!(file, "{}", export_line(task, example, style))?;
    }
    file.sync_all()?;
    std::fs::rename(&tmp, to)?;
    Ok(examples.len())
}
