//! A training run as files a user can read: `<data>/runs/<id>/run.json` (what was trained, from
//! what, where it runs, its state) rewritten whole on every change (through a temporary file, so
//! a reader never sees half of one), and `metrics.jsonl` (one line per step reported) appended
//! as the trainer reports. Only this module reads and writes them.

use crate::config::io_at;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a run's files are kept.
pub fn runs_dir(data: &Path) -> PathBuf {
    data.join("runs")
}

/// Where a run's job lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "kebab-case")]
pub enum Job {
    /// A fine-tuning job of an OpenAI-compatible service (the key is never kept: only the name
    /// of its variable).
    Openai {
        base_url: String,
        api_key_env: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        training_file: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        validation_file: Option<String>,
        /// The newest event read, so watching again reads only what is new.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_event: Option<String>,
    },
    /// A trainer started as a detached process, here or on `host` over ssh.
    Command {
        trainer: super::trainers::Trainer,
        /// The trainer reports a step every this many steps.
        logging_steps: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        /// The run's directory on the machine that trains (the config, the data, `train.log`,
        /// `pid`, `exit_status` and the trainer's `output/`).
        workdir: String,
        /// The trainer's process group there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
        /// The profile that serves the base model, for registering the adapter.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_profile: Option<String>,
        /// How far its logs have been read.
        #[serde(default, skip_serializing_if = "LogCursor::at_start")]
        read: LogCursor,
    },
}

/// How far a command run's logs have been read, so that each look reads only what is new (a
/// long run's `train.log` grows to megabytes of progress-bar redraws, read over ssh).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogCursor {
    /// Bytes of `train.log` read, up to its last whole line.
    pub train_log: u64,
    /// Bytes of LLaMA-Factory's `trainer_log.jsonl` read, up to its last whole line.
    pub trainer_log: u64,
    /// Training losses seen in `train.log` (Hugging Face's reports carry no step: they are counted).
    pub reports: u64,
}

impl LogCursor {
    pub fn at_start(&self) -> bool {
        *self == LogCursor::default()
    }
}

impl Job {
    pub fn backend(&self) -> &'static str {
        match self {
            Job::Openai { .. } => "openai",
            Job::Command { .. } => "command",
        }
    }
}

/// Where a run stands. The first six are the OpenAI job's own statuses, which the command
/// backend shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    /// Retort is exporting and uploading; no job yet.
    Preparing,
    ValidatingFiles,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl Status {
    pub fn is_final(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Cancelled)
    }
}

/// How far a job has come: its last reported step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_steps: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_loss: Option<f64>,
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub task: String,
    /// The model trained from (an OpenAI model name, a Hugging Face id or a local directory).
    pub base: String,
    /// `sft` or `dpo`.
    pub method: String,
    #[serde(flatten)]
    pub job: Job,
    /// Training (and validation) examples, as exported.
    pub train_examples: usize,
    #[serde(default)]
    pub valid_examples: usize,
    /// The nested subset of the training split, for a learning curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<u32>,
    pub seed: u64,
    /// sha256 of the export's `manifest.json`.
    pub manifest_sha256: String,
    pub status: Status,
    #[serde(default)]
    pub progress: Progress,
    /// The model a finished OpenAI job made (`ft:…`), or the adapter directory a trainer wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_tuned_model: Option<String>,
    /// Why it failed: the service's message verbatim, or the trainer's exit and last lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The models a service kept along the way (OpenAI keeps the last epochs'), to register
    /// one instead of the last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<Checkpoint>,
    /// The profile it was registered as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// A model kept at a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub step: u64,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_loss: Option<f64>,
}

/// One reported step (`metrics.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub step: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_loss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learning_rate: Option<f64>,
}

/// Adds a report to a list of steps: an evaluation at the step of the last training report
/// (logged apart, perhaps read apart) joins it.
pub fn add_metric(metrics: &mut Vec<Metric>, metric: Metric) {
    match metrics.last_mut() {
        Some(last) if last.step == metric.step => {
            last.loss = last.loss.or(metric.loss);
            last.eval_loss = last.eval_loss.or(metric.eval_loss);
            last.epoch = last.epoch.or(metric.epoch);
            last.learning_rate = last.learning_rate.or(metric.learning_rate);
        }
        _ => metrics.push(metric),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no training run {id:?} in {dir}; `retort train status` lists the runs")]
    Unknown { id: String, dir: String },
    #[error("{path}: {message}")]
    Bad { path: String, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Run {
    pub fn dir(&self, data: &Path) -> PathBuf {
        runs_dir(data).join(&self.id)
    }

    /// Writes `run.json` whole, the time of the change stamped.
    pub fn save(&mut self, data: &Path) -> Result<(), RunError> {
        self.updated_at = crate::clock::now();
        if self.status.is_final() && self.finished_at.is_none() {
            self.finished_at = Some(self.updated_at.clone());
        }
        let dir = self.dir(data);
        std::fs::create_dir_all(&dir).map_err(io_at("creating", &dir))?;
        let text = serde_json::to_string_pretty(self).expect("a run serialises") + "\n";
        crate::atomic::write(&dir.join("run.json"), text)?;
        Ok(())
    }

    pub fn load(data: &Path, id: &str) -> Result<Run, RunError> {
        if !is_run_id(id) {
            return Err(RunError::Unknown {
                id: crate::foreign::one_line(id, 80),
                dir: runs_dir(data).display().to_string(),
            });
        }
        let path = runs_dir(data).join(id).join("run.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RunError::Unknown {
                    id: id.to_string(),
                    dir: runs_dir(data).display().to_string(),
                });
            }
            Err(e) => return Err(io_at("reading", &path)(e).into()),
        };
        let run: Run = serde_json::from_str(&text).map_err(|e| RunError::Bad {
            path: path.display().to_string(),
            message: format!("line {}, column {}: {e}", e.line(), e.column()),
        })?;
        // The id builds every path of the run: it must be the directory's own name.
        if run.id != id {
            return Err(RunError::Bad {
                path: path.display().to_string(),
                message: format!(
                    "its id is {:?}, not the directory's {id:?}; the file was moved or edited",
                    crate::foreign::one_line(&run.id, 80)
                ),
            });
        }
        Ok(run)
    }

    /// Appends reported steps to `metrics.jsonl`, flushed to disk.
    pub fn append_metrics(&self, data: &Path, metrics: &[Metric]) -> Result<(), RunError> {
        if metrics.is_empty() {
            return Ok(());
        }
        let path = self.dir(data).join("metrics.jsonl");
        let mut text = String::new();
        for metric in metrics {
            text.push_str(&serde_json::to_string(metric).expect("a metric serialises"));
            text.push('\n');
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_at("opening", &path))?;
        file.write_all(text.as_bytes()).map_err(io_at("writing", &path))?;
        file.sync_data().map_err(io_at("writing", &path))?;
        Ok(())
    }

    /// The steps reported so far, one per step (lines that do not read are skipped: a line cut
    /// by a crash).
    pub fn metrics(&self, data: &Path) -> Vec<Metric> {
        let path = self.dir(data).join("metrics.jsonl");
        let mut metrics = Vec::new();
        for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
            if let Ok(metric) = serde_json::from_str(line) {
                add_metric(&mut metrics, metric);
            }
        }
        metrics
    }
}

/// Every run, newest first, with the problems of those that do not read.
pub fn list(data: &Path) -> (Vec<Run>, Vec<String>) {
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(runs_dir(data)) else {
        return (runs, problems);
    };
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().to_string();
        if !entry.path().join("run.json").exists() {
            continue;
        }
        match Run::load(data, &id) {
            Ok(run) => runs.push(run),
            Err(e) => problems.push(e.to_string()),
        }
    }
    runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    (runs, problems)
}

/// A new run's id, its directory made: when, which task, which backend
/// (`20261202-093012-compound-openai`), with a number when two start in the same second.
/// A run's id as `claim_id` makes them: letters, digits, `-`, `_` and `.`, not starting with a
/// dot (so never `..`, never a path).
pub fn is_run_id(id: &str) -> bool {
    !id.is_empty() && !id.starts_with('.') && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

pub fn claim_id(data: &Path, task: &str, backend: &str) -> std::io::Result<String> {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let safe: String = task
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    let base = format!("{stamp}-{safe}-{backend}");
    let runs = runs_dir(data);
    std::fs::create_dir_all(&runs).map_err(io_at("creating", &runs))?;
    for n in 1.. {
        let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        match std::fs::create_dir(runs.join(&id)) {
            Ok(()) => return Ok(id),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_at("creating", &runs.join(&id))(e)),
        }
    }
    unreachable!("some number is free")
}
