//! Beside the data: `manifest.json` (what was written, from what, with which template and
//! seed, each file's sha256), `dataset_info.json` entries for LLaMA-Factory and a `datasets:`
//! block for axolotl, so the files are usable without reading those tools' docs.

use super::{ExportPlan, ExportReport, ExportStyle, ExportedFile};
use crate::task::Task;
use serde_json::{Value as Json, json};
use std::path::Path;

pub fn write(task: &Task, plan: &ExportPlan, report: &ExportReport, dir: &Path) -> std::io::Result<()> {
    let manifest = json!({
        "task": task.name,
        "styles": plan.styles,
        "template": task.prompt.fine_tuned,
        "splits": plan.shares,
        "seed": plan.seed,
        "sizes": plan.sizes,
        "examples": report.examples.iter().map(|(n, c)| json!({"split": n, "examples": c})).collect::<Vec<_>>(),
        "files": report.files,
        "excluded": report.excluded,
        "excluded_from": plan.exclude.iter().map(|e| &e.path).collect::<Vec<_>>(),
        "superseded": report.superseded,
        "created_at": crate::clock::now(),
        "retort": env!("CARGO_PKG_VERSION"),
    });
    let info: serde_json::Map<String, Json> = report
        .files
        .iter()
        .filter_map(|f| Some((dataset_name(&task.name, &f.split, f.style), llama_factory(f)?)))
        .collect();
    let pretty = |v: &Json| serde_json::to_string_pretty(v).unwrap_or_default();
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        crate::atomic::write(&path, text)
    };
    write("manifest.json", pretty(&manifest) + "\n")?;
    write("dataset_info.json", pretty(&Json::Object(info)) + "\n")?;
    write("axolotl.yaml", axolotl(dir, &report.files))?;
    Ok(())
}

/// The name a file has in `dataset_info.json`: `<task>_<split>_<style>`.
pub fn dataset_name(task: &str, split: &str, style: ExportStyle) -> String {
    format!("{task}_{split}_{}", style.name())
}

/// A LLaMA-Factory `dataset_info.json` entry, for the styles it reads as they are.
fn llama_factory(file: &ExportedFile) -> Option<Json> {
    let name = &file.file;
    Some(match file.style {
        ExportStyle::Chat => json!({
            "file_name": name,
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                     "assistant_tag": "assistant", "system_tag": "system"},
        }),
        ExportStyle::Sharegpt => json!({
            "file_name": name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
        }),
        ExportStyle::Alpaca => json!({
            "file_name": name,
            "columns": {"prompt": "instruction", "query": "input", "response": "output", "system": "system"},
        }),
        ExportStyle::Completion => json!({
            "file_name": name,
            "columns": {"prompt": "prompt", "response": "completion"},
        }),
        ExportStyle::Text => json!({ "file_name": name, "columns": {"prompt": "text"} }),
        ExportStyle::DpoOpenai | ExportStyle::DpoTrl => return None,
    })
}

/// An axolotl `datasets:` block for the training files and `test_datasets:` for the others.
fn axolotl(dir: &Path, files: &[ExportedFile]) -> String {
    let mut train = String::new();
    let mut test = String::new();
    for file in files {
        let Some(kind) = axolotl_type(file.style) else { continue };
        let path = dir.join(&file.file);
        let entry = format!("  - path: {}\n    ds_type: json\n{kind}", path.display());
        if file.split.starts_with("train") && !file.split.contains('-') {
            train.push_str(&entry);
        } else if !file.split.starts_with("train") {
            test.push_str(&entry);
        }
    }
    let mut out =
        String::from("# Paste into your axolotl config. Nested subsets (train-N) are listed in manifest.json.\n");
    out.push_str("datasets:\n");
    out.push_str(&train);
    if !test.is_empty() {
        out.push_str("test_datasets:\n");
        out.push_str(&test);
    }
    out
}

fn axolotl_type(style: ExportStyle) -> Option<&'static str> {
    Some(match style {
        ExportStyle::Chat => "    type: chat_template\n    field_messages: messages\n",
        ExportStyle::Sharegpt => {
            "    type: chat_template\n    field_messages: conversations\n    message_property_mappings:\n      role: from\n      content: value\n"
        }
        ExportStyle::Alpaca => "    type: alpaca\n",
        ExportStyle::Text => "    type: completion\n    field: text\n",
        ExportStyle::Completion => {
            "    type:\n      field_instruction: prompt\n      field_output: completion\n      format: \"{instruction}\"\n      no_input_format: \"{instruction}\"\n"
        }
        ExportStyle::DpoOpenai | ExportStyle::DpoTrl => return None,
    })
}
