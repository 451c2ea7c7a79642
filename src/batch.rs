//! `retort extract`: a corpus through a model profile into prediction JSONL, with bounded
//! concurrency spread round robin over the profile's endpoints, resumable, one whole line per
//! paragraph (a failure is recorded with its error and the run goes on), a progress bar on
//! stderr, and Ctrl-C leaving a valid file.

use crate::dataset::papers::read_examples;
use crate::dataset::table::{self, FileKind, InputError};
use crate::llm::prompt::Shot;
use crate::llm::{HttpEngine, ModelProfile, Run, RunRequest, execute};
use crate::task::Task;
use futures_util::StreamExt;
use serde_json::{Value as Json, json};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// One paragraph to extract from.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub id: String,
    pub text: String,
}

/// Reads paragraphs: a directory of `.txt` files, one text file, JSONL `{"id", "text"}`, or the
/// papers' CSV/JSON/JSONL (through the same readers as `retort eval`).
pub fn read_input(path: &Path, task: &Task) -> Result<(Vec<Paragraph>, Vec<InputError>), InputError> {
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| InputError::new(path, 0, format!("cannot read the directory: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        let mut out = Vec::new();
        for file in files {
            out.push(text_file(&file)?);
        }
        return Ok((out, Vec::new()));
    }
    match table::file_kind(path) {
        FileKind::Text => Ok((vec![text_file(path)?], Vec::new())),
        FileKind::Jsonl if is_retort_jsonl(path)? => read_retort_jsonl(path),
        _ => {
            let (examples, problems) = read_examples(path, task)?;
            Ok((
                examples
                    .into_iter()
                    .map(|e| Paragraph {
                        id: e.id,
                        text: e.input,
                    })
                    .collect(),
                problems,
            ))
        }
    }
}

fn text_file(path: &Path) -> Result<Paragraph, InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| InputError::new(path, 0, "not UTF-8 text; convert it first"))?;
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("paragraph")
        .to_string();
    Ok(Paragraph {
        id,
        text: text.trim_end_matches('\n').to_string(),
    })
}

fn is_retort_jsonl(path: &Path) -> Result<bool, InputError> {
    let (rows, _) = table::read_jsonl(path)?;
    Ok(rows.first().is_some_and(|(_, r)| r.get("text").is_some()))
}

fn read_retort_jsonl(path: &Path) -> Result<(Vec<Paragraph>, Vec<InputError>), InputError> {
    let (rows, mut problems) = table::read_jsonl(path)?;
    let mut out = Vec::new();
    for (line, row) in rows {
        let id = match row.get("id") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Number(n)) => n.to_string(),
            _ => line.to_string(),
        };
        match row.get("text").and_then(Json::as_str) {
            Some(text) => out.push(Paragraph {
                id,
                text: text.to_string(),
            }),
            None => problems.push(InputError::new(path, line, "expected a \"text\" string")),
        }
    }
    Ok((out, problems))
}

/// One output line for a run.
pub fn output_line(id: &str, paragraph: &str, run: &Run) -> Json {
    json!({
        "id": id,
        "task": run.task,
        "profile": run.profile,
        "model": run.model,
        "endpoint": run.endpoint,
        // The embedded engine's CPU backend and features; absent for servers.
        "backend": run.request.get("backend"),
        "mode": run.mode,
        "input": paragraph,
        "raw": run.raw_reply,
        "answer": run.answer,
        "extraction": run.extraction,
        "parse_error": run.parse_error,
        "validation": run.validation,
        "error": run.error,
        "incomplete": run.incomplete,
        "finish_reason": run.finish_reason,
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": run.completion_tokens,
        "time_to_first_token_ms": run.time_to_first_token_ms,
        "total_ms": run.total_ms,
        "prompt_hash": run.prompt_hash,
        "prompt": run.prompt,
    })
}

/// Ids already done in an output file: written without a transport or server error (a line whose
/// `error` is set is retried; a reply that arrived but does not parse is done). A torn last line
/// (an interrupted write) is cut off so that appending continues a valid file.
pub fn done_ids(output: &Path) -> std::io::Result<HashSet<String>> {
    Ok(read_done(output)?.0)
}

/// (ids done, ids whose newest line records a failure) of an output file.
fn read_done(output: &Path) -> std::io::Result<(HashSet<String>, HashSet<String>)> {
    let Ok(text) = std::fs::read_to_string(output) else {
        return Ok(Default::default());
    };
    if !text.is_empty() && !text.ends_with('\n') {
        let keep = text.rfind('\n').map_or(0, |i| i + 1);
        let file = std::fs::OpenOptions::new().write(true).open(output)?;
        file.set_len(keep as u64)?;
    }
    let (mut done, mut failed) = (HashSet::new(), HashSet::new());
    for line in text.lines().filter_map(|l| serde_json::from_str::<Json>(l).ok()) {
        let Some(id) = line.get("id").and_then(Json::as_str) else {
            continue;
        };
        match line.get("error") {
            Some(error) if !error.is_null() => {
                done.remove(id);
                failed.insert(id.to_string());
            }
            _ => {
                failed.remove(id);
                done.insert(id.to_string());
            }
        }
    }
    Ok((done, failed))
}

/// Rewrites `output` with one line per id, the newest, in the order ids first appear (after a
/// `--resume` retried failed lines). Atomic: a temporary file, then rename. Lines that are not
/// JSON with an id are kept where they were.
pub fn keep_newest_per_id(output: &Path) -> std::io::Result<()> {
    let text = std::fs::read_to_string(output)?;
    let mut order: Vec<Option<String>> = Vec::new();
    let mut newest: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    let mut others = Vec::new();
    for line in text.lines() {
        let id = serde_json::from_str::<Json>(line)
            .ok()
            .and_then(|v| v.get("id").and_then(Json::as_str).map(String::from));
        match id {
            Some(id) => {
                if newest.insert(id.clone(), line).is_none() {
                    order.push(Some(id));
                }
            }
            None => {
                order.push(None);
                others.push(line);
            }
        }
    }
    if newest.len() + others.len() == text.lines().count() {
        return Ok(());
    }
    let mut others = others.into_iter();
    let mut compact = String::with_capacity(text.len());
    for entry in order {
        let line = match entry {
            Some(id) => newest[&id],
            None => others.next().unwrap_or_default(),
        };
        compact.push_str(line);
        compact.push('\n');
    }
    let temporary = output.with_extension("jsonl.tmp");
    std::fs::write(&temporary, compact)?;
    std::fs::File::open(&temporary)?.sync_all()?;
    std::fs::rename(&temporary, output)
}

pub struct BatchOptions {
    pub concurrency: usize,
    pub resume: bool,
    pub progress: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub written: usize,
    pub failed: usize,
    pub skipped: usize,
    pub interrupted: bool,
    /// Each distinct error (it names the URL or file it concerns) and how many paragraphs it hit.
    pub errors: std::collections::BTreeMap<String, usize>,
}

/// What a batch runs: a task through a profile into an output file.
pub struct BatchJob<'a> {
    pub task: &'a Task,
    pub profile: &'a ModelProfile,
    /// Worked examples for few-shot profiles.
    pub pool: &'a [Shot],
    pub output: &'a Path,
    pub options: BatchOptions,
}

/// Runs every paragraph not yet in the output and appends one line per finished paragraph.
pub async fn extract(
    engine: &HttpEngine,
    job: &BatchJob<'_>,
    paragraphs: Vec<Paragraph>,
    cancel: CancellationToken,
) -> std::io::Result<BatchSummary> {
    let BatchJob {
        task,
        profile,
        pool,
        output,
        options,
    } = job;
    let (done, failed_before) = if options.resume {
        read_done(output)?
    } else {
        Default::default()
    };
    if !options.resume && output.exists() {
        std::fs::write(output, "")?;
    }
    let todo: Vec<Paragraph> = paragraphs.into_iter().filter(|p| !done.contains(&p.id)).collect();
    // Only a retried paragraph leaves two lines for one id; then the file is compacted.
    let retrying = todo.iter().any(|p| failed_before.contains(&p.id));
    let mut summary = BatchSummary {
        skipped: done.len(),
        ..BatchSummary::default()
    };
    let bar = progress_bar(todo.len(), options.progress);
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(output)?;
    let jobs = todo.into_iter().enumerate().map(|(i, paragraph)| {
        let cancel = cancel.clone();
        async move {
            let request = RunRequest {
                task,
                profile,
                paragraph: &paragraph.text,
                pool,
                endpoint: i,
                stream: false,
            };
            let run = execute(engine, &request, None, &cancel).await;
            (paragraph, run)
        }
    });
    let mut results = futures_util::stream::iter(jobs).buffer_unordered(options.concurrency.max(1));
    while let Some((paragraph, run)) = results.next().await {
        if cancel.is_cancelled() && run.cancelled {
            summary.interrupted = true;
            continue;
        }
        let line = output_line(&paragraph.id, &paragraph.text, &run).to_string();
        file.write_all(format!("{line}\n").as_bytes())?;
        summary.written += 1;
        if let Some(error) = &run.error {
            summary.failed += 1;
            *summary.errors.entry(error.clone()).or_default() += 1;
        }
        bar.inc(1);
    }
    file.sync_data()?;
    drop(file);
    if retrying {
        keep_newest_per_id(output)?;
    }
    bar.finish_and_clear();
    summary.interrupted |= cancel.is_cancelled();
    Ok(summary)
}

fn progress_bar(len: usize, visible: bool) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(len as u64), indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} paragraphs  {per_sec}  eta {eta}  {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_cut_before_resuming() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        std::fs::write(
            &output,
            "{\"id\": \"a\"}\n{\"id\": \"b\"}\n{\"id\": \"c\", \"raw\": \"hal",
        )
        .unwrap();
        let done = done_ids(&output).unwrap();
        assert_eq!(done, HashSet::from(["a".to_string(), "b".to_string()]));
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            "{\"id\": \"a\"}\n{\"id\": \"b\"}\n"
        );
    }

    #[test]
    fn failed_lines_are_retried_and_the_newest_line_per_id_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        let failed = r#"{"id":"a","error":"cannot connect to http://127.0.0.1:9/v1"}"#;
        let unparsable = r#"{"id":"b","error":null,"parse_error":{"line":1}}"#;
        std::fs::write(&output, format!("{failed}\n{unparsable}\n")).unwrap();
        assert_eq!(done_ids(&output).unwrap(), HashSet::from(["b".to_string()]));
        let retried = r#"{"id":"a","error":null}"#;
        std::fs::write(&output, format!("{failed}\n{unparsable}\n{retried}\n")).unwrap();
        keep_newest_per_id(&output).unwrap();
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            format!("{retried}\n{unparsable}\n")
        );
    }
}
