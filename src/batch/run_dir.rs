//! A batch run's directory and its manifest, `run.json`, rewritten whole through a temporary
//! file after every step (an upload, a batch created, a look at its state), so that a run
//! killed at any point is taken up where it stopped. This module is the only reader and writer.
//!
//! ```text
//! run.json               the manifest: task, profile, model, request files, batches and states
//! requests-001.jsonl     request files, as the service reads them (`retry-1-001.jsonl` for a retry)
//! paragraphs.jsonl       the paragraphs asked about (id, text, place), for grounding the answers
//! output-<batch>.jsonl   a batch's answers, downloaded whole;  errors-<batch>.jsonl  its failures
//! online.jsonl           failed requests sent online (`retort batch retry --online`)
//! run-vllm.sh  vllm.log   vLLM's run_batch over the request files (`retort batch vllm`)
//! ```

use super::api::{BatchObject, BatchStatus, RequestCounts};
use super::requests::Part;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "run.json";
pub const PARAGRAPHS: &str = "paragraphs.jsonl";
pub const ONLINE: &str = "online.jsonl";
pub const PREDICTIONS: &str = "predictions.jsonl";

/// How the input tokens were counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum InputTokens {
    /// In the model's own tokenizer (`o200k_base`), with each message's framing.
    Tokenizer { name: String, tokens: usize },
    /// Four characters a token: no tokenizer of the model is at hand.
    Estimate { tokens: usize },
}

impl InputTokens {
    /// `1234 input tokens (counted in o200k_base)`.
    pub fn describe(&self) -> String {
        match self {
            InputTokens::Tokenizer { name, tokens } => format!("{tokens} input tokens (counted in {name})"),
            InputTokens::Estimate { tokens } => {
                format!("about {tokens} input tokens (estimated at 4 characters a token)")
            }
        }
    }
}

/// One request file sent: its upload, its batch, and what the service last said of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    /// The request file, by name inside the run's directory.
    pub file: String,
    pub requests: usize,
    /// 0 for the prepared files, n for the n-th `retry`.
    #[serde(default)]
    pub retry: u32,
    pub input_file_id: String,
    #[serde(default)]
    pub batch_id: Option<String>,
    pub status: BatchStatus,
    #[serde(default)]
    pub counts: RequestCounts,
    #[serde(default)]
    pub output_file_id: Option<String>,
    #[serde(default)]
    pub error_file_id: Option<String>,
    /// When the service created the batch (seconds since 1970), the answers' `started_at`.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// The batch's own errors (a request file it refused), as the service gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Submitted {
    /// What the service said of the batch now.
    pub fn apply(&mut self, batch: &BatchObject) {
        self.batch_id = Some(batch.id.clone());
        self.status = batch.status;
        self.counts = batch.request_counts.unwrap_or(self.counts);
        self.output_file_id = batch.output_file_id.clone().or(self.output_file_id.take());
        self.error_file_id = batch.error_file_id.clone().or(self.error_file_id.take());
        self.created_at = batch.created_at.or(self.created_at);
        let errors = batch.error_lines();
        if !errors.is_empty() {
            self.errors = errors;
        }
    }
}

/// A run sent to vLLM's `run_batch` on a GPU box instead of a service: one detached job that
/// runs each request file in turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VllmJob {
    /// The ssh destination; `None` for this machine.
    #[serde(default)]
    pub host: Option<String>,
    /// Where the request files, the script, `vllm.log`, `pid` and `exit_status` are there.
    pub workdir: String,
    /// The weights vLLM loads (`--model`: a directory or a hub id).
    pub weights: String,
    /// The python that has vLLM there.
    pub python: String,
    /// More options for run_batch (`--tensor-parallel-size 2`, …).
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub pid: Option<u32>,
    /// Why the job failed, with the end of its log.
    #[serde(default)]
    pub error: Option<String>,
}

/// The manifest of a batch run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRun {
    pub task: String,
    pub profile: String,
    pub model: String,
    pub created_at: String,
    pub requests: usize,
    pub parts: Vec<Part>,
    pub input_tokens: InputTokens,
    /// (paragraph id, why it has no request).
    pub left_out: Vec<(String, String)>,
    /// The service the batches went to (its base URL), once submitted.
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub batches: Vec<Submitted>,
    /// Sent to vLLM's `run_batch` instead of a service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vllm: Option<VllmJob>,
}

impl BatchRun {
    /// The batches that may still change.
    pub fn pending(&self) -> impl Iterator<Item = &Submitted> {
        self.batches.iter().filter(|b| !b.status.is_final())
    }

    /// The next retry's number.
    pub fn next_retry(&self) -> u32 {
        self.batches.iter().map(|b| b.retry).max().unwrap_or(0) + 1
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error("{0} holds no batch run (no run.json): make one with `retort batch prepare --out {0}`")]
    Missing(String),
    #[error("{path} is not a batch run's manifest: {message}")]
    Unreadable { path: String, message: String },
    #[error("writing {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// A batch run's directory.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    pub fn new(path: &Path) -> RunDir {
        RunDir {
            path: path.to_path_buf(),
        }
    }

    pub fn manifest(&self) -> PathBuf {
        self.path.join(MANIFEST)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Where a batch's answers are kept once downloaded.
    pub fn output_of(&self, batch_id: &str) -> PathBuf {
        self.path.join(format!("output-{batch_id}.jsonl"))
    }

    /// Where a batch's failed requests are kept once downloaded.
    pub fn errors_of(&self, batch_id: &str) -> PathBuf {
        self.path.join(format!("errors-{batch_id}.jsonl"))
    }

    pub fn load(&self) -> Result<BatchRun, RunDirError> {
        let path = self.manifest();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RunDirError::Missing(self.path.display().to_string()));
            }
            Err(e) => {
                return Err(RunDirError::Unreadable {
                    path: path.display().to_string(),
                    message: e.to_string(),
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| RunDirError::Unreadable {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    pub fn save(&self, run: &BatchRun) -> Result<(), RunDirError> {
        let path = self.manifest();
        let bytes = serde_json::to_vec_pretty(run).expect("a manifest serializes");
        crate::atomic::write(&path, bytes).map_err(|source| RunDirError::Write {
            path: path.display().to_string(),
            source,
        })
    }
}
