//! A run on OpenAI's fine-tuning API: its files uploaded and its job created (`launch`), its
//! job and new events read into the run's files (`refresh`), cancelled (`cancel`). Every change
//! is saved to `run.json` as it happens, so a run interrupted anywhere is found again.

use super::Prepared;
use super::openai::{ApiError, FineTuning, JobObject, JobRequest, progress_from};
use super::run::{Job, Run, RunError, Status};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("run {0} is not an OpenAI fine-tuning run")]
    NotOpenai(String),
    #[error("run {0} has no job yet: it stopped before the job was created; start a new run")]
    NoJob(String),
}

/// The client for a run's service and key variable.
pub fn client_for(run: &Run) -> Result<FineTuning, JobError> {
    match &run.job {
        Job::Openai {
            base_url, api_key_env, ..
        } => Ok(FineTuning::new(base_url, api_key_env)?),
        _ => Err(JobError::NotOpenai(run.id.clone())),
    }
}

/// Uploads the files and creates the job; the run records each step. A failure before the
/// job exists marks the run failed with the reason.
pub async fn launch(data: &Path, prepared: &mut Prepared, api: &FineTuning) -> Result<(), JobError> {
    let result = try_launch(data, prepared, api).await;
    if let Err(e) = &result {
        let run = &mut prepared.run;
        if run.status == Status::Preparing {
            run.status = Status::Failed;
            run.error = Some(e.to_string());
            run.save(data)?;
        }
    }
    result
}

async fn try_launch(data: &Path, prepared: &mut Prepared, api: &FineTuning) -> Result<(), JobError> {
    api.check_key().await?;
    let training = api.upload(&prepared.training).await?;
    let validation = match &prepared.validation {
        Some(path) => Some(api.upload(path).await?),
        None => None,
    };
    let run = &mut prepared.run;
    set_files(run, &training, validation.as_deref());
    run.save(data)?;
    let request = JobRequest {
        model: run.base.clone(),
        training_file: training,
        validation_file: validation,
        method: if run.method == "dpo" { "dpo" } else { "supervised" },
        epochs: run.epochs,
        seed: run.seed,
        suffix: Some(suffix(&run.task)),
    };
    let job = api.create(&request).await?;
    if let Job::Openai { job_id, .. } = &mut run.job {
        *job_id = Some(job.id.clone());
    }
    apply(run, &job);
    run.save(data)?;
    Ok(())
}

/// OpenAI allows 64 characters of suffix; the task's name, cut short.
fn suffix(task: &str) -> String {
    task.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect()
}

fn set_files(run: &mut Run, training: &str, validation: Option<&str>) {
    if let Job::Openai {
        training_file,
        validation_file,
        ..
    } = &mut run.job
    {
        *training_file = Some(training.to_string());
        *validation_file = validation.map(str::to_string);
    }
}

fn job_id(run: &Run) -> Result<String, JobError> {
    match &run.job {
        Job::Openai { job_id: Some(id), .. } => Ok(id.clone()),
        Job::Openai { .. } => Err(JobError::NoJob(run.id.clone())),
        _ => Err(JobError::NotOpenai(run.id.clone())),
    }
}

/// The job's status, model and error into the run.
fn apply(run: &mut Run, job: &JobObject) {
    if let Some(status) = job.status() {
        run.status = status;
    }
    if job.fine_tuned_model.is_some() {
        run.fine_tuned_model = job.fine_tuned_model.clone();
    }
    if run.status == Status::Failed {
        run.error = job.error_message().or_else(|| run.error.clone());
    }
}

/// What a refresh brought: the events' messages, oldest first.
pub struct Refreshed {
    pub messages: Vec<String>,
}

/// Reads the job and its new events: the run's status, progress and model are updated, new
/// metrics appended to `metrics.jsonl`, and `run.json` saved when anything changed.
pub async fn refresh(data: &Path, run: &mut Run, api: &FineTuning) -> Result<Refreshed, JobError> {
    let id = job_id(run)?;
    let job = api.job(&id).await?;
    let seen = match &run.job {
        Job::Openai { last_event, .. } => last_event.clone(),
        _ => None,
    };
    let events = api.events_since(&id, seen.as_deref()).await?;
    let before = run.clone();
    let (progress, metrics) = progress_from(&events, run.progress.clone());
    run.append_metrics(data, &metrics)?;
    run.progress = progress;
    if let (Some(newest), Job::Openai { last_event, .. }) = (events.last(), &mut run.job) {
        *last_event = Some(newest.id.clone());
    }
    apply(run, &job);
    if run.status == Status::Succeeded {
        if run.progress.total_steps.is_some() {
            run.progress.step = run.progress.total_steps;
        }
        if run.checkpoints.is_empty() {
            run.checkpoints = api.checkpoints(&id).await?.iter().map(checkpoint).collect();
            run.checkpoints.sort_by_key(|c| c.step);
        }
    }
    if *run != before {
        run.save(data)?;
    }
    let messages = events
        .iter()
        .filter(|e| e.kind.as_deref() != Some("metrics"))
        .map(|e| e.message.clone())
        .filter(|m| !m.is_empty())
        .collect();
    Ok(Refreshed { messages })
}

fn checkpoint(c: &super::openai::Checkpoint) -> super::run::Checkpoint {
    let metric = |key: &str| c.metrics.as_ref().and_then(|m| m.get(key)).and_then(|v| v.as_f64());
    super::run::Checkpoint {
        step: c.step_number,
        model: c.fine_tuned_model_checkpoint.clone(),
        train_loss: metric("train_loss"),
        valid_loss: metric("valid_loss").or_else(|| metric("full_valid_loss")),
    }
}

/// Asks the service to cancel the job; the run records what it answers.
pub async fn cancel(data: &Path, run: &mut Run, api: &FineTuning) -> Result<(), JobError> {
    let id = job_id(run)?;
    let job = api.cancel(&id).await?;
    apply(run, &job);
    run.save(data)?;
    Ok(())
}
