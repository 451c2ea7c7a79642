//! A run, whatever trains it: reading it again (`refresh`) and cancelling it (`cancel`) go to
//! its backend; their failures are one type that says whether waiting may help.

use super::command_job::{self, CommandError};
use super::openai::ApiError;
use super::openai_job::{self, JobError};
use super::run::{Job, Run, RunError};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Openai(#[from] JobError),
    #[error(transparent)]
    Command(#[from] CommandError),
}

impl From<ApiError> for BackendError {
    fn from(e: ApiError) -> Self {
        BackendError::Openai(JobError::Api(e))
    }
}

impl From<RunError> for BackendError {
    fn from(e: RunError) -> Self {
        BackendError::Openai(JobError::Run(e))
    }
}

impl BackendError {
    /// Worth trying again later: the network, a service that is down, ssh that did not connect.
    pub fn is_transient(&self) -> bool {
        match self {
            BackendError::Openai(JobError::Api(e)) => e.is_transient(),
            BackendError::Command(CommandError::Host(_) | CommandError::Write { .. }) => true,
            _ => false,
        }
    }

    /// The user's to fix: a key, a run id, a run of another kind.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            BackendError::Openai(
                JobError::Api(ApiError::NoKey { .. } | ApiError::BadKey { .. })
                    | JobError::NotOpenai(_)
                    | JobError::NoJob(_)
                    | JobError::Run(RunError::Unknown { .. })
            ) | BackendError::Command(CommandError::NotCommand(_) | CommandError::Run(RunError::Unknown { .. }))
        )
    }
}

/// Reads the run again from where it trains; the messages it brought, oldest first.
pub async fn refresh(data: &Path, run: &mut Run) -> Result<Vec<String>, BackendError> {
    match run.job {
        Job::Openai { .. } => {
            let api = openai_job::client_for(run)?;
            Ok(openai_job::refresh(data, run, &api).await?.messages)
        }
        Job::Command { .. } => Ok(command_job::refresh(data, run)?.messages),
    }
}

pub async fn cancel(data: &Path, run: &mut Run) -> Result<(), BackendError> {
    match run.job {
        Job::Openai { .. } => {
            let api = openai_job::client_for(run)?;
            Ok(openai_job::cancel(data, run, &api).await?)
        }
        Job::Command { .. } => Ok(command_job::cancel(data, run)?),
    }
}
