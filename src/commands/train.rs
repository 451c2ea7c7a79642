//! `retort train`: start a fine-tuning run, list and follow runs, cancel them, and register
//! what they made as model profiles. The runs' files and the backends are `crate::train`'s;
//! this module asks, prints and exits.

use super::{Failure, config_error, excluded, exit, runtime, setup};
use crate::cli::{SummaryFormat, TrainAction, TrainStartArgs};
use crate::config::Paths;
use crate::dataset::export::{ExportStyle, parse_shares};
use crate::dataset::store::Store;
use crate::train::openai::{self, ApiError, FineTuning};
use crate::train::openai_job::{self, JobError};
use crate::train::run::{self, Job, Run, Status};
use crate::train::{Method, PrepareError, Spec, prepare, tokens};
use anyhow::Result;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

pub fn train(paths: &Paths, action: TrainAction) -> Result<()> {
    match action {
        TrainAction::Start(args) => start(paths, args),
        TrainAction::Status { run, format } => status(paths, run.as_deref(), format),
        TrainAction::Watch {
            run,
            interval,
            register,
        } => watch(paths, &run, Duration::from_secs_f64(interval.max(0.01)), register),
        TrainAction::Cancel { run } => cancel(paths, &run),
        TrainAction::Register { run, name } => register(paths, &run, name).map(|_| ()),
    }
}

/// A failure of the API or of the run's files, with the exit status it deserves.
fn job_failure(e: JobError) -> anyhow::Error {
    let code = match &e {
        JobError::Api(ApiError::NoKey { .. } | ApiError::BadKey { .. })
        | JobError::NotOpenai(_)
        | JobError::NoJob(_) => exit::CONFIG,
        JobError::Run(run::RunError::Unknown { .. }) => exit::CONFIG,
        _ => 1,
    };
    Failure {
        code,
        message: e.to_string(),
    }
    .into()
}

fn start(paths: &Paths, args: TrainStartArgs) -> Result<()> {
    let registry = setup(paths).registry;
    let task = registry.require(&args.task).map_err(config_error)?;
    let api = FineTuning::new(&args.base_url, &args.api_key_env).map_err(|e| job_failure(e.into()))?;
    let rt = runtime()?;
    rt.block_on(api.check_key()).map_err(|e| job_failure(e.into()))?;
    let spec = Spec {
        task,
        base: args.base.clone(),
        method: args.method,
        style: match args.method {
            Method::Sft => ExportStyle::Chat,
            Method::Dpo => ExportStyle::DpoOpenai,
        },
        epochs: args.epochs,
        seed: args.seed,
        shares: parse_shares(&args.split).map_err(|e| config_error(format!("--split: {e}")))?,
        size: args.size,
        exclude: excluded(task, &args.exclude)?,
    };
    let job = Job::Openai {
        base_url: api.base_url().to_string(),
        api_key_env: args.api_key_env.clone(),
        job_id: None,
        training_file: None,
        validation_file: None,
        last_event: None,
    };
    let store = Store::new(paths.examples_dir());
    let mut prepared = prepare(&paths.data, &store, &spec, job, openai::MIN_EXAMPLES).map_err(|e| match e {
        PrepareError::TooFew { .. } => config_error(e),
        PrepareError::Other(e) => e,
    })?;
    let id = prepared.run.id.clone();
    let text = std::fs::read_to_string(&prepared.training).unwrap_or_default();
    let per_epoch = tokens::count(&args.base, &text);
    let times = match args.epochs {
        Some(n) => format!("× {n} epochs = {} tokens billed", per_epoch * n as usize),
        None => "× the epochs the service chooses (give --epochs to fix them)".into(),
    };
    eprintln!(
        "{} training examples of {} ({} validation): {per_epoch} training tokens per epoch {times}, sent to {}",
        prepared.run.train_examples,
        task.name,
        prepared.run.valid_examples,
        api.base_url()
    );
    let asked = if args.yes { Ok(true) } else { confirmed() };
    if !matches!(asked, Ok(true)) {
        // Nothing was sent: no run is left behind.
        std::fs::remove_dir_all(prepared.run.dir(&paths.data)).ok();
        asked?;
        return Err(config_error(
            "not started: nothing was uploaded (add --yes to start without asking)",
        ));
    }
    rt.block_on(openai_job::launch(&paths.data, &mut prepared, &api))
        .map_err(job_failure)?;
    let run = &prepared.run;
    eprintln!(
        "started fine-tuning job {} on {} ({}); follow it with: retort train watch {id}",
        job_label(run),
        run.base,
        run.status
    );
    println!("{id}");
    Ok(())
}

/// Asks on the terminal; without one there is nobody to ask.
fn confirmed() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(config_error(
            "not started: this would start a paid job and there is no terminal to ask; add --yes",
        ));
    }
    eprint!("Start the fine-tuning job? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn job_label(run: &Run) -> String {
    match &run.job {
        Job::Openai { job_id, .. } => job_id.clone().unwrap_or_else(|| "(none)".into()),
        Job::Command { pid, host, .. } => format!(
            "pid {}{}",
            pid.map_or("?".into(), |p| p.to_string()),
            host.as_ref().map_or(String::new(), |h| format!(" on {h}"))
        ),
    }
}

/// Reads a run that is not over again from its service; what fails is said and the recorded
/// state stands.
fn refreshed(paths: &Paths, mut run: Run) -> Run {
    if run.status.is_final() || run.status == Status::Preparing {
        return run;
    }
    let result = openai_job::client_for(&run).and_then(|api| {
        runtime()
            .map_err(|e| {
                JobError::Api(ApiError::Transport {
                    url: String::new(),
                    message: e.to_string(),
                })
            })?
            .block_on(openai_job::refresh(&paths.data, &mut run, &api))
    });
    if let Err(e) = result {
        eprintln!(
            "warning: run {}: {e}; showing what was recorded at {}",
            run.id, run.updated_at
        );
    }
    run
}

fn status(paths: &Paths, one: Option<&str>, format: SummaryFormat) -> Result<()> {
    let runs = match one {
        Some(id) => vec![Run::load(&paths.data, id).map_err(|e| job_failure(e.into()))?],
        None => {
            let (runs, problems) = run::list(&paths.data);
            for problem in problems {
                eprintln!("warning: {problem}");
            }
            runs
        }
    };
    let runs: Vec<Run> = runs.into_iter().map(|r| refreshed(paths, r)).collect();
    match format {
        SummaryFormat::Json => {
            let rows: Vec<serde_json::Value> = runs.iter().map(status_json).collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        SummaryFormat::Table => print!("{}", status_table(&runs)),
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
            .or_else(|| run.error.as_ref().map(|e| format!("error: {e}")))
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
    let mut run = Run::load(&paths.data, id).map_err(|e| job_failure(e.into()))?;
    let api = openai_job::client_for(&run).map_err(job_failure)?;
    let rt = runtime()?;
    let mut shown = super::train_progress::Shown::new(&run);
    let mut wait = interval;
    while !run.status.is_final() {
        match rt.block_on(openai_job::refresh(&paths.data, &mut run, &api)) {
            Ok(refreshed) => {
                wait = interval;
                shown.update(&run, &refreshed.messages);
            }
            Err(JobError::Api(e)) if e.is_transient() => {
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
    finished(paths, run, register_at_end)
}

/// The end of a watched run: its model (registered when asked), or its error and status 7.
fn finished(paths: &Paths, run: Run, register_at_end: bool) -> Result<()> {
    match run.status {
        Status::Succeeded => {
            eprintln!(
                "run {} succeeded: {}",
                run.id,
                run.fine_tuned_model.as_deref().unwrap_or("(no model named)")
            );
            if register_at_end && run.profile.is_none() {
                register(paths, &run.id, None)?;
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
    let mut run = Run::load(&paths.data, id).map_err(|e| job_failure(e.into()))?;
    if run.status.is_final() {
        eprintln!("run {id} is already {}", run.status);
        return Ok(());
    }
    let api = openai_job::client_for(&run).map_err(job_failure)?;
    runtime()?
        .block_on(openai_job::cancel(&paths.data, &mut run, &api))
        .map_err(job_failure)?;
    eprintln!("asked to cancel {}; the run is now {}", job_label(&run), run.status);
    Ok(())
}

/// Adds the run's model to models.toml as a fine-tuned profile of its task.
fn register(paths: &Paths, id: &str, name: Option<String>) -> Result<String> {
    let mut run = Run::load(&paths.data, id).map_err(|e| job_failure(e.into()))?;
    let Some(model) = run.fine_tuned_model.clone().filter(|_| run.status == Status::Succeeded) else {
        return Err(config_error(format!(
            "run {id} is {} and has no model to register yet{}",
            run.status,
            if run.status.is_final() {
                ""
            } else {
                "; `retort train watch` follows it to the end"
            }
        )));
    };
    let name = name.unwrap_or_else(|| {
        format!(
            "{}-{}",
            run.task,
            run.id.split('-').take(2).collect::<Vec<_>>().join("")
        )
    });
    let Job::Openai {
        base_url, api_key_env, ..
    } = &run.job
    else {
        return Err(config_error(format!("run {id} is not an OpenAI run")));
    };
    let profile = crate::llm::ModelProfile {
        task: Some(run.task.clone()),
        api_key_env: Some(api_key_env.clone()),
        ..crate::llm::ModelProfile::openai(&name, base_url, &model, crate::llm::profile::Mode::FineTuned)
    };
    crate::llm::models_file::add_profile(&paths.config, &profile).map_err(config_error)?;
    run.profile = Some(name.clone());
    run.save(&paths.data).map_err(|e| job_failure(e.into()))?;
    eprintln!(
        "registered {model} as the profile {name:?} (fine-tuned, task {}); compare it with prompt-only in the workbench (m, M) or run it with `retort extract --model {name}`",
        run.task
    );
    Ok(name)
}
