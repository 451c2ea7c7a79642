//! OpenAI's Batch API as the SDKs speak it (Azure's and other services' too): request files
//! uploaded with purpose `batch`, `POST /batches`, `GET /batches/{id}`, `POST /batches/{id}/cancel`,
//! and the output and error files downloaded whole.

use crate::service::{ApiError, Service, plain};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::Path;

/// How long a batch may take, as the API names it (the only window OpenAI offers).
pub const COMPLETION_WINDOW: &str = "24h";

/// Where a batch is, as the service says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BatchStatus {
    /// Uploaded here, not yet created at the service.
    NotCreated,
    Validating,
    Failed,
    InProgress,
    Finalizing,
    Completed,
    Expired,
    Cancelling,
    Cancelled,
    /// A state this version does not know; looked at again next time.
    #[serde(other)]
    Unknown,
}

impl BatchStatus {
    /// Nothing more will change: its files, if any, can be collected.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            BatchStatus::Failed | BatchStatus::Completed | BatchStatus::Expired | BatchStatus::Cancelled
        )
    }
}

/// Requests done and failed so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub completed: u64,
    #[serde(default)]
    pub failed: u64,
}

/// A batch as the API describes it (the fields Retort reads).
#[derive(Debug, Clone, Deserialize)]
pub struct BatchObject {
    pub id: String,
    pub status: BatchStatus,
    #[serde(default)]
    pub output_file_id: Option<String>,
    #[serde(default)]
    pub error_file_id: Option<String>,
    #[serde(default)]
    pub request_counts: Option<RequestCounts>,
    #[serde(default)]
    pub created_at: Option<i64>,
    /// Why the batch as a whole failed (a request file it refused), line by line.
    #[serde(default)]
    pub errors: Option<BatchErrors>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct BatchErrors {
    #[serde(default)]
    pub data: Vec<BatchError>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BatchError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub line: Option<u64>,
}

impl BatchObject {
    /// The batch's own errors, one line each (`line 3: invalid_request: …`), at most ten.
    pub fn error_lines(&self) -> Vec<String> {
        let Some(errors) = &self.errors else { return Vec::new() };
        errors
            .data
            .iter()
            .take(10)
            .map(|e| {
                let at = e.line.map(|l| format!("line {l}: ")).unwrap_or_default();
                let code = e.code.as_deref().unwrap_or("error");
                let message = e.message.as_deref().unwrap_or("");
                crate::foreign::one_line(&format!("{at}{code}: {message}"), 300)
            })
            .collect()
    }
}

/// A batch service at one base URL.
pub struct Batches {
    api: Service,
}

impl Batches {
    pub fn new(api: Service) -> Batches {
        Batches { api }
    }

    pub fn base_url(&self) -> &str {
        self.api.base_url()
    }

    /// Uploads a request file; its file id comes back.
    pub async fn upload(&self, path: &Path) -> Result<String, ApiError> {
        self.api.upload(path, "batch").await
    }

    /// Creates a batch over an uploaded request file for `endpoint` (`/v1/chat/completions`).
    pub async fn create(&self, input_file_id: &str, endpoint: &str, run: &str) -> Result<BatchObject, ApiError> {
        let body = json!({
            "input_file_id": input_file_id,
            "endpoint": endpoint,
            "completion_window": COMPLETION_WINDOW,
            "metadata": {"retort_run": run},
        });
        let batch = self.api.post("/batches", Some(&body), "batch").await?;
        self.checked("/batches", batch)
    }

    pub async fn get(&self, id: &str) -> Result<BatchObject, ApiError> {
        let path = format!("/batches/{id}");
        let batch = self.api.get(&path, "batch").await?;
        self.checked(&path, batch)
    }

    /// Downloads an output or error file into `dest`, whole or not at all.
    pub async fn download(&self, file_id: &str, dest: &Path) -> Result<u64, ApiError> {
        self.api.download(file_id, dest, crate::net::BodyLimit::BatchFile).await
    }

    /// A batch whose ids are fit to be stored, printed and put in a URL.
    fn checked(&self, path: &str, batch: BatchObject) -> Result<BatchObject, ApiError> {
        let url = self.api.url(path);
        for id in [
            Some(&batch.id),
            batch.output_file_id.as_ref(),
            batch.error_file_id.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            plain(&url, id, "an id")?;
            if !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(crate::service::shape(
                    &url,
                    "batch",
                    &format!("the id {id:?} is not a plain id"),
                ));
            }
        }
        Ok(batch)
    }
}
