//! Fine-tuning exports of saved examples: chat `messages` JSONL (OpenAI fine-tuning and most
//! open-source trainers) or raw prompt/completion JSONL (the NERRE GPT-3 style).

use super::store::{SavedExample, Store};
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
            let prompt = template.prompt_text(&example.paragraph);
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

/// Exports every saved example of `task` from `store` to `to`: the count written and a warning
/// for each damaged line skipped. Having nothing to export is an error that names the store file.
pub fn export_saved(store: &Store, task: &Task, style: ExportStyle, to: &Path) -> anyhow::Result<(usize, Vec<String>)> {
    let (examples, warnings) = store.read(&task.name)?;
    if examples.is_empty() {
        anyhow::bail!(
            "no saved examples for task {} in {}",
            task.name,
            store.path(&task.name).display()
        );
    }
    let count =
        write_export(task, &examples, style, to).map_err(|e| anyhow::anyhow!("writing {}: {e}", to.display()))?;
    Ok((count, warnings))
}
