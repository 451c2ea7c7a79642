//! OpenAI's fine-tuning API, as the OpenAI SDKs speak it, so that Azure OpenAI and other
//! services with the same API work too: `POST /files` (multipart, purpose `fine-tune`),
//! `POST /fine_tuning/jobs`, `GET /fine_tuning/jobs/{id}`, its `events` (newest first, in pages)
//! and `checkpoints`, and `POST …/cancel`. The base URL and the key's variable come from the
//! caller (`OPENAI_BASE_URL`, `OPENAI_API_KEY` by default); the key goes only into the
//! `Authorization` header, never into an error or a log line.

use super::run::{Metric, Progress, Status};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::path::Path;

pub use crate::service::{DEFAULT_BASE_URL, DEFAULT_KEY_ENV};
/// The fewest training examples OpenAI accepts.
pub const MIN_EXAMPLES: usize = 10;
/// The most pages of events read in one look: 100 events a page, newest first, so 5,000 events
/// back, more than a job writes between two looks. A service that says `has_more` for ever
/// is stopped here.
pub const MAX_EVENT_PAGES: usize = 50;
pub use crate::service::ApiError;
use crate::service::{Service, plain};

/// A fine-tuning job as the API describes it (the fields Retort reads).
#[derive(Debug, Clone, Deserialize)]
pub struct JobObject {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub fine_tuned_model: Option<String>,
    #[serde(default)]
    pub error: Option<JobError>,
    #[serde(default)]
    pub trained_tokens: Option<u64>,
    #[serde(default)]
    pub estimated_finish: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl JobObject {
    /// Its status, or `None` for a status this version does not know.
    pub fn status(&self) -> Option<Status> {
        serde_json::from_value(Json::String(self.status.clone())).ok()
    }

    /// The failure, verbatim.
    pub fn error_message(&self) -> Option<String> {
        let e = self.error.as_ref()?;
        match (&e.message, &e.code) {
            (Some(m), _) if !m.is_empty() => Some(m.clone()),
            (_, Some(c)) if !c.is_empty() => Some(c.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub data: Option<Json>,
}

impl Event {
    /// A `metrics` event's step, as `metrics.jsonl` keeps it.
    pub fn metric(&self) -> Option<(Metric, Option<u64>)> {
        let data = self.data.as_ref()?;
        let step = data.get("step")?.as_u64()?;
        let number = |key: &str| data.get(key).and_then(Json::as_f64);
        let metric = Metric {
            step,
            epoch: number("epoch"),
            loss: number("train_loss"),
            eval_loss: number("valid_loss").or_else(|| number("full_valid_loss")),
            learning_rate: number("learning_rate"),
        };
        Some((metric, data.get("total_steps").and_then(Json::as_u64)))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Checkpoint {
    #[serde(default)]
    pub fine_tuned_model_checkpoint: String,
    #[serde(default)]
    pub step_number: u64,
    #[serde(default)]
    pub metrics: Option<Json>,
}

#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
    #[serde(default)]
    has_more: bool,
}

/// How the job is to be trained.
#[derive(Debug, Clone)]
pub struct JobRequest {
    pub model: String,
    pub training_file: String,
    pub validation_file: Option<String>,
    /// `supervised` or `dpo`.
    pub method: &'static str,
    pub epochs: Option<u32>,
    pub seed: u64,
    pub suffix: Option<String>,
}

pub struct FineTuning {
    api: Service,
}

impl FineTuning {
    /// A client for `base_url` with the key in `key_env`; no key is an error naming both.
    pub fn new(base_url: &str, key_env: &str) -> Result<FineTuning, ApiError> {
        Service::new(base_url, key_env).map(|api| FineTuning { api })
    }

    /// A client for `base_url` with `key` (which came from `key_env`).
    pub fn with_key(base_url: &str, key_env: &str, key: String) -> FineTuning {
        FineTuning {
            api: Service::with_key(base_url, key_env, key),
        }
    }

    pub fn base_url(&self) -> &str {
        self.api.base_url()
    }

    /// Asks for the newest job: the key works and the API is there, before anything is sent.
    pub async fn check_key(&self) -> Result<(), ApiError> {
        self.api
            .get::<Page<Json>>("/fine_tuning/jobs?limit=1", "list of jobs")
            .await
            .map(|_| ())
    }

    /// Uploads a training or validation file; its id comes back.
    pub async fn upload(&self, path: &Path) -> Result<String, ApiError> {
        self.api.upload(path, "fine-tune").await
    }

    pub async fn create(&self, job: &JobRequest) -> Result<JobObject, ApiError> {
        let mut hyperparameters = serde_json::Map::new();
        if let Some(epochs) = job.epochs {
            hyperparameters.insert("n_epochs".into(), json!(epochs));
        }
        let mut body = json!({
            "model": job.model,
            "training_file": job.training_file,
            "seed": job.seed,
            "method": {"type": job.method, job.method: {"hyperparameters": hyperparameters}},
        });
        if let Some(file) = &job.validation_file {
            body["validation_file"] = json!(file);
        }
        if let Some(suffix) = &job.suffix {
            body["suffix"] = json!(suffix);
        }
        let path = "/fine_tuning/jobs";
        checked_job(
            &self.api.url(path),
            self.api.post(path, Some(&body), "fine-tuning job").await?,
        )
    }

    pub async fn job(&self, id: &str) -> Result<JobObject, ApiError> {
        let path = format!("/fine_tuning/jobs/{id}");
        let job = self.api.get(&path, "fine-tuning job").await?;
        checked_job(&self.api.url(&path), job)
    }

    pub async fn cancel(&self, id: &str) -> Result<JobObject, ApiError> {
        let path = format!("/fine_tuning/jobs/{id}/cancel");
        checked_job(
            &self.api.url(&path),
            self.api.post(&path, None, "fine-tuning job").await?,
        )
    }

    /// The events after `seen` (the newest read before), oldest first, reading back page by page
    /// until `seen` or the first event.
    pub async fn events_since(&self, id: &str, seen: Option<&str>) -> Result<Vec<Event>, ApiError> {
        let mut newest_first = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_EVENT_PAGES {
            let mut path = format!("/fine_tuning/jobs/{id}/events?limit=100");
            if let Some(after) = &after {
                path.push_str(&format!("&after={after}"));
            }
            let page: Page<Event> = self.api.get(&path, "list of events").await?;
            let more = page.has_more;
            let next = page.data.last().map(|e| e.id.clone());
            // A page that ends where the last one did would be asked for again and again.
            let stuck = next.is_some() && next == after;
            after = next;
            for event in page.data {
                if Some(event.id.as_str()) == seen {
                    newest_first.reverse();
                    return Ok(newest_first);
                }
                newest_first.push(event);
            }
            if !more || after.is_none() || stuck {
                break;
            }
        }
        newest_first.reverse();
        Ok(newest_first)
    }

    pub async fn checkpoints(&self, id: &str) -> Result<Vec<Checkpoint>, ApiError> {
        let path = format!("/fine_tuning/jobs/{id}/checkpoints");
        let page: Page<Checkpoint> = self.api.get(&path, "list of checkpoints").await?;
        let url = self.api.url(&path);
        for checkpoint in &page.data {
            plain(&url, &checkpoint.fine_tuned_model_checkpoint, "a checkpoint's model id")?;
        }
        Ok(page.data)
    }
}

/// A job whose id and model id are fit to be stored, printed and registered as a profile.
fn checked_job(url: &str, job: JobObject) -> Result<JobObject, ApiError> {
    plain(url, &job.id, "the job id")?;
    if let Some(model) = &job.fine_tuned_model {
        plain(url, model, "the fine-tuned model id")?;
    }
    Ok(job)
}

/// Progress from the events read: the last metrics event's step and losses.
pub fn progress_from(events: &[Event], mut progress: Progress) -> (Progress, Vec<Metric>) {
    let mut metrics = Vec::new();
    for event in events {
        if let Some((metric, total)) = event.metric() {
            progress.step = Some(metric.step);
            progress.total_steps = total.or(progress.total_steps);
            progress.train_loss = metric.loss.or(progress.train_loss);
            progress.valid_loss = metric.eval_loss.or(progress.valid_loss);
            metrics.push(metric);
        }
    }
    (progress, metrics)
}
