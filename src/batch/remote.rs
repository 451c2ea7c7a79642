//! A batch run's side at the service: request files uploaded and batches created (each step
//! saved in run.json before the next, so a run killed at any point is taken up where it
//! stopped), their states read again, and their output and error files downloaded once.

use super::api::{BatchStatus, Batches};
use super::requests::{Part, RequestLine};
use super::run_dir::{BatchRun, RunDir, RunDirError, Submitted};
use crate::service::ApiError;
use std::io::BufRead;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    #[error("{path} holds no request line: {why}")]
    Empty { path: String, why: String },
}

impl RemoteError {
    /// The person must change something (the key, the run) before trying again.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            RemoteError::Api(ApiError::NoKey { .. } | ApiError::BadKey { .. }) | RemoteError::RunDir(_)
        )
    }
}

/// The request files of `parts` not yet created as batches.
pub fn unsent<'a>(run: &BatchRun, parts: &'a [Part]) -> Vec<&'a Part> {
    parts
        .iter()
        .filter(|part| {
            !run.batches
                .iter()
                .any(|b| b.file == part.file && b.status != BatchStatus::NotCreated)
        })
        .collect()
}

/// Uploads one request file (unless an earlier, interrupted submit did) and creates its batch.
pub async fn send(
    batches: &Batches,
    dir: &RunDir,
    run: &mut BatchRun,
    part: &Part,
    retry: u32,
) -> Result<(), RemoteError> {
    let path = dir.file(&part.file);
    let endpoint = endpoint_of(&path)?;
    let index = match run.batches.iter().position(|b| b.file == part.file) {
        Some(index) => index,
        None => {
            let input_file_id = batches.upload(&path).await?;
            run.batches.push(Submitted {
                file: part.file.clone(),
                requests: part.requests,
                retry,
                input_file_id,
                batch_id: None,
                status: BatchStatus::NotCreated,
                counts: Default::default(),
                output_file_id: None,
                error_file_id: None,
                created_at: None,
                errors: Vec::new(),
            });
            run.service = Some(batches.base_url().to_string());
            dir.save(run)?;
            run.batches.len() - 1
        }
    };
    let name = dir
        .path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().to_string());
    let batch = batches
        .create(&run.batches[index].input_file_id, &endpoint, &name)
        .await?;
    run.batches[index].apply(&batch);
    dir.save(run)?;
    Ok(())
}

/// The endpoint a request file's lines go to (one per run: the profile's).
fn endpoint_of(path: &Path) -> Result<String, RemoteError> {
    let empty = |why: String| RemoteError::Empty {
        path: path.display().to_string(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| empty(e.to_string()))?;
    let mut first = String::new();
    std::io::BufReader::new(file)
        .read_line(&mut first)
        .map_err(|e| empty(e.to_string()))?;
    let line: RequestLine = serde_json::from_str(&first).map_err(|e| empty(e.to_string()))?;
    Ok(line.url)
}

/// Reads again every batch that may still change; a failure to read one is said, not fatal, and
/// its last known state stands. Returns the failures.
pub async fn refresh(batches: &Batches, dir: &RunDir, run: &mut BatchRun) -> Result<Vec<ApiError>, RemoteError> {
    let mut failures = Vec::new();
    for index in 0..run.batches.len() {
        let submitted = &run.batches[index];
        let Some(id) = submitted.batch_id.clone().filter(|_| !submitted.status.is_final()) else {
            continue;
        };
        match batches.get(&id).await {
            Ok(batch) => run.batches[index].apply(&batch),
            Err(e @ (ApiError::NoKey { .. } | ApiError::BadKey { .. })) => return Err(e.into()),
            Err(e) => failures.push(e),
        }
    }
    dir.save(run)?;
    Ok(failures)
}

/// Downloads the output and error files of finished batches that are not here yet, each whole
/// or not at all. Returns how many files came.
pub async fn download(batches: &Batches, dir: &RunDir, run: &BatchRun) -> Result<usize, RemoteError> {
    let mut came = 0;
    for submitted in run.batches.iter().filter(|b| b.status.is_final()) {
        let Some(batch_id) = &submitted.batch_id else { continue };
        let files = [
            (&submitted.output_file_id, dir.output_of(batch_id)),
            (&submitted.error_file_id, dir.errors_of(batch_id)),
        ];
        for (file_id, dest) in files {
            if let Some(file_id) = file_id.as_ref().filter(|_| !dest.exists()) {
                batches.download(file_id, &dest).await?;
                came += 1;
            }
        }
    }
    Ok(came)
}

/// Whether every finished batch's files are here (nothing to ask the service for).
pub fn all_downloaded(dir: &RunDir, run: &BatchRun) -> bool {
    run.batches.iter().all(|b| {
        let Some(batch_id) = &b.batch_id else { return false };
        b.status.is_final()
            && (b.output_file_id.is_none() || dir.output_of(batch_id).exists())
            && (b.error_file_id.is_none() || dir.errors_of(batch_id).exists())
    })
}
