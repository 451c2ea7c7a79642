//! `retort train`: start a fine-tuning run, list and follow runs, cancel them, and register
//! what they made as model profiles. The runs' files and the backends are `crate::train`'s;
//! this module asks, prints and exits.

use super::{Failure, exit, runtime};
use crate::cli::{SummaryFormat, TrainAction};
use crate::config::Paths;
use crate::stdout::{out, outln};
use crate::train::backend::{self, BackendError};
use crate::train::run::{self, Run, Status};
use anyhow::Result;
use std::time::Duration;

pub fn train(paths: &Paths, action: TrainAction) -> Result<()> {
    match action {
        TrainAction::Start(args) => super::train_start::start(paths, *args),
        TrainAction::Status { run, format } => status(paths, run.as_deref(), format),
        TrainAction::Watch {
            run,
            interval,
            register,
        } => watch(paths, &run, Duration::from_secs_f64(interval.max(0.01)), register),
        TrainAction::Cancel { run } => cancel(paths, &run),
        TrainAction::Curve(args) => super::train_curve::curve(paths, *args),
        TrainAction::Register {
            run,
            name,
            base_profile,
            checkpoint,
        } => super::train_register::register(paths, &run, name, base_profile, checkpoint).map(|_| ()),
    }
}

/// A failure of a backend or of the run's files, with the exit status it deserves.
pub(super) fn job_failure(e: impl Into<BackendError>) -> anyhow::Error {
    let e = e.into();
    Failure {
        code: if e.is_usage() { exit::CONFIG } else { 1 },
        message: e.to_string(),
    }
    .into()
}

/// Reads a run that is not over again from where it trains; what fails is said and the
/// recorded state stands.
fn refreshed(paths: &Paths, mut run: Run) -> Run {
    if run.status.is_final() || run.status == Status::Preparing {
        return run;
    }
    let result = runtime().map(|rt| rt.block_on(backend::refresh(&paths.data, &mut run)));
    let problem = match result {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    if let Some(problem) = problem {
        crate::stdout::errln!(
            "warning: run {}: {problem}; showing what was recorded at {}",
            run.id,
            run.updated_at
        );
    }
    run
}

fn status(paths: &Paths, one: Option<&str>, format: SummaryFormat) -> Result<()> {
    let runs = match one {
        Some(id) => vec![Run::load(&paths.data, id).map_err(job_failure)?],
        None => {
            let (runs, problems) = run::list(&paths.data);
            for problem in problems {
                crate::stdout::errln!("warning: {problem}");
            }
            runs
        }
    };
    let runs: Vec<Run> = runs.into_iter().map(|r| refreshed(paths, r)).collect();
    match format {
        SummaryFormat::Json => {
            let rows: Vec<serde_json::Value> = runs.iter().map(status_json).collect();
            outln!("{}", serde_json::to_string_pretty(&rows)?)?;
        }
        SummaryFormat::Table => out!("{}", status_table(&runs))?,
    }
    Ok(())
}

fn status_json(run: &Run) -> serde_json::Value {
    serde_json::json!({
        "id": run.id,
        "task": run.task,
        "backend": run.job.backend(),
        "base": run.base,
        "status": run.status,
        "progress": run.progress,
        "error": run.error,
        "fine_tuned_model": run.fine_tuned_model,
        "checkpoints": run.checkpoints,
        "profile": run.profile,
    })
}

fn status_table(runs: &[Run]) -> String {
    if runs.is_empty() {
        return "no training runs yet: start one with `retort train start --task TASK --base MODEL`\n".into();
    }
    let mut out = format!(
        "{:<40} {:<16} {:<8} {:<16} {:>11} {:>8}  model\n",
        "run", "task", "backend", "status", "step", "loss"
    );
    for run in runs {
        let step = match (run.progress.step, run.progress.total_steps) {
            (Some(s), Some(t)) => format!("{s}/{t}"),
            (Some(s), None) => s.to_string(),
            _ => "—".into(),
        };
        let loss = run.progress.train_loss.map_or("—".into(), |l| format!("{l:.4}"));
        let model = run
            .profile
            .as_ref()
            .map(|p| format!("profile {p}"))
            .or_else(|| run.fine_tuned_model.clone())
            .or_else(|| {
                run.error
                    .as_ref()
                    .map(|e| format!("error: {}", e.lines().next().unwrap_or_default()))
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<40} {:<16} {:<8} {:<16} {step:>11} {loss:>8}  {model}\n",
            run.id,
            run.task,
            run.job.backend(),
            run.status.to_string()
        ));
    }
    out
}

fn watch(paths: &Paths, id: &str, interval: Duration, register_at_end: bool) -> Result<()> {
    let run = Run::load(&paths.data, id).map_err(job_failure)?;
    let run = follow(paths, run, interval)?;
    finished(paths, run, register_at_end)
}

/// Reads the run again every `interval` until it is over, showing its progress; a service or
/// host that does not answer is waited for (the run is not touched).
pub(super) fn follow(paths: &Paths, mut run: Run, interval: Duration) -> Result<Run> {
    let rt = runtime()?;
    let mut shown = super::train_progress::Shown::new(&run);
    let mut wait = interval;
    while !run.status.is_final() {
        match rt.block_on(backend::refresh(&paths.data, &mut run)) {
            Ok(messages) => {
                wait = interval;
                shown.update(&run, &messages);
            }
            Err(e) if e.is_transient() => {
                shown.say(&format!(
                    "{e}; trying again in {:.0} s (the job is not touched)",
                    wait.as_secs_f64()
                ));
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(120)).max(interval);
                continue;
            }
            Err(e) => return Err(job_failure(e)),
        }
        if !run.status.is_final() {
            std::thread::sleep(interval);
        }
    }
    shown.finish(&run);
    Ok(run)
}

/// The end of a watched run: its model (registered when asked), or its error and status 7.
pub(super) fn finished(paths: &Paths, run: Run, register_at_end: bool) -> Result<()> {
    match run.status {
        Status::Succeeded => {
            crate::stdout::errln!(
                "run {} succeeded: {}",
                run.id,
                run.fine_tuned_model.as_deref().unwrap_or("(no model named)")
            );
            if register_at_end && run.profile.is_none() {
                super::train_register::register(paths, &run.id, None, None, None)?;
            }
            Ok(())
        }
        status => Err(Failure {
            code: exit::TRAINING_FAILED,
            message: match &run.error {
                Some(error) => format!("run {} {status}: {error}", run.id),
                None => format!("run {} {status}", run.id),
            },
        }
        .into()),
    }
}

fn cancel(paths: &Paths, id: &str) -> Result<()> {
    let mut run = Run::load(&paths.data, id).map_err(job_failure)?;
    if run.status.is_final() {
        crate::stdout::errln!("run {id} is already {}", run.status);
        return Ok(());
    }
    runtime()?
        .block_on(backend::cancel(&paths.data, &mut run))
        .map_err(job_failure)?;
    crate::stdout::errln!(
        "asked to cancel {}; the run is now {}",
        super::train_start::job_label(&run),
        run.status
    );
    Ok(())
}
