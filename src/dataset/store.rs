//! Saved examples: an append-only JSONL file per task. Each example is one line written with a
//! single `write` and an fsync; a torn last line (a crash mid-write) is skipped with a warning
//! when reading and never blocks later appends.

use crate::extraction::Extraction;
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A paragraph with its corrected extraction: one line of the dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedExample {
    pub id: String,
    pub task: String,
    pub paragraph: String,
    /// The corrected answer in the task's canonical text.
    pub answer: String,
    pub extraction: Extraction,
    /// The model runs the correction started from (model, prompt as sent, raw reply, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<serde_json::Value>,
    /// RFC 3339 time of saving.
    pub saved_at: String,
    /// Where the example came from (`workbench`, `import:<file>`, ...).
    pub provenance: String,
    /// The paragraph's id in the file it came from (an import, a review queue), whole: ingested
    /// papers' ids hold `#` (`US20110039701A1#332`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

impl SavedExample {
    /// The paragraph's id in the file it came from, else the example's own id: what `--gold
    /// saved` joins predictions on. Examples saved before `source_id` was written have it in
    /// their provenance (`import:<file>#<id>`, `review:<queue> <verdict> #<id>`), read whole.
    pub fn source_id(&self) -> &str {
        if let Some(id) = &self.source_id {
            return id;
        }
        let legacy = if self.provenance.starts_with("review:") {
            self.provenance.split_once(" #").map(|(_, id)| id)
        } else if self.provenance.starts_with("import:") {
            self.provenance.split_once('#').map(|(_, id)| id)
        } else {
            None
        };
        legacy.filter(|id| !id.is_empty()).unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StoreError {
    pub path: String,
    pub message: String,
}

fn store_error(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub fn path(&self, task: &str) -> PathBuf {
        self.dir.join(format!("{task}.jsonl"))
    }

    /// Appends one example; what was in the file stays as it was.
    pub fn append(&self, example: &SavedExample) -> Result<(), StoreError> {
        self.append_all(std::slice::from_ref(example))
    }

    /// Appends one example, then runs `then` (a review writing its decision) while the file is
    /// still locked: when either fails, the file is cut back to what it was, so the example is
    /// saved exactly when `then` succeeded.
    pub fn append_then(
        &self,
        example: &SavedExample,
        then: impl FnOnce() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let path = self.path(&example.task);
        let line = serde_json::to_string(example).map_err(|e| store_error(&path, e))?;
        self.append_lines_then(&path, &[line], then)
    }

    /// `withdraw`, then `then`, both or neither (as `append_then`).
    pub fn withdraw_then(
        &self,
        task: &str,
        id: &str,
        then: impl FnOnce() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.append_lines_then(&self.path(task), &[withdrawal(task, id)], then)
    }

    /// Appends several examples of one task, each on its own line, with one fsync.
    pub fn append_all(&self, examples: &[SavedExample]) -> Result<(), StoreError> {
        let Some(first) = examples.first() else {
            return Ok(());
        };
        let path = self.path(&first.task);
        let mut lines = Vec::with_capacity(examples.len());
        for example in examples {
            lines.push(serde_json::to_string(example).map_err(|e| store_error(&path, e))?);
        }
        self.append_lines(&path, &lines)
    }

    /// Takes an example out of the dataset (a review decision undone): a line naming its id is
    /// appended; the example's own line stays in the file, superseded.
    pub fn withdraw(&self, task: &str, id: &str) -> Result<(), StoreError> {
        self.append_lines(&self.path(task), &[withdrawal(task, id)])
    }

    fn append_lines(&self, path: &Path, lines: &[String]) -> Result<(), StoreError> {
        self.append_lines_then(path, lines, || Ok(()))
    }

    /// Appends under an exclusive lock of the file (other processes append to it too: an import,
    /// a second workbench), then runs `then`; a failure of either cuts the file back to its
    /// length before (a full disk leaves no partial line and no example without its decision).
    fn append_lines_then(
        &self,
        path: &Path,
        lines: &[String],
        then: impl FnOnce() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| store_error(&self.dir, e))?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| store_error(path, e))?;
        file.lock().map_err(|e| store_error(path, e))?;
        let before = file.metadata().map_err(|e| store_error(path, e))?.len();
        let mut text = String::new();
        if !ends_with_newline(&mut file).map_err(|e| store_error(path, e))? {
            text.push('\n');
        }
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| store_error(path, e))
            .and_then(|()| then());
        if written.is_err() {
            // Cutting back needs no space; if even that fails, the reader skips a torn line.
            let _ = file.set_len(before).and_then(|()| file.sync_data());
        }
        written
    }

    /// Every readable example of `task` not withdrawn since, and a warning for each line that is
    /// not one.
    pub fn read(&self, task: &str) -> Result<(Vec<SavedExample>, Vec<String>), StoreError> {
        let path = self.path(task);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(store_error(&path, e)),
        };
        let mut examples: Vec<SavedExample> = Vec::new();
        let mut warnings = Vec::new();
        let mut withdrawn = std::collections::HashSet::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(value) if value["withdrawn"] == true => {
                    withdrawn.insert(value["id"].as_str().unwrap_or_default().to_string());
                }
                Ok(value) => match serde_json::from_value(value) {
                    Ok(example) => examples.push(example),
                    Err(e) => warnings.push(format!("{}:{}: skipped a damaged line ({e})", path.display(), i + 1)),
                },
                Err(e) => warnings.push(format!("{}:{}: skipped a damaged line ({e})", path.display(), i + 1)),
            }
        }
        examples.retain(|e| !withdrawn.contains(&e.id));
        Ok((examples, warnings))
    }
}

fn withdrawal(task: &str, id: &str) -> String {
    serde_json::json!({ "id": id, "task": task, "withdrawn": true, "withdrawn_at": crate::clock::now() }).to_string()
}

/// Empty files count as ending with a newline.
fn ends_with_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// A fresh example id: time plus a counter, unique within a process and sortable.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = chrono::Utc::now();
    format!(
        "{}-{:04}",
        now.format("%Y%m%dT%H%M%S%.6f"),
        COUNTER.fetch_add(1, Ordering::Relaxed) % 10_000
    )
}
