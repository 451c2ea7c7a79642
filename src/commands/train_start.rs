//! `retort train start`: the export made into a new run, then the job started on OpenAI's
//! fine-tuning API (after the training tokens are said and, unless --yes, confirmed) or on a
//! trainer started detached here or over ssh. The run's id alone is the last line of standard
//! output, for scripts.

use super::train::job_failure;
use super::{config_error, excluded, runtime, setup};
use crate::cli::{TrainBackend, TrainStartArgs};
use crate::config::Paths;
use crate::dataset::export::{ExportStyle, parse_shares};
use crate::dataset::store::Store;
use crate::stdout::outln;
use crate::task::Task;
use crate::train::command_job;
use crate::train::openai::{self, FineTuning};
use crate::train::openai_job;
use crate::train::run::{Job, Run};
use crate::train::trainers::{self, Files, Recipe, Trainer};
use crate::train::{Method, PrepareError, Prepared, Spec, prepare, tokens};
use anyhow::Result;
use std::io::{BufRead, IsTerminal, Write};

/// Steps between two reports of a trainer (few examples make few steps).
pub(super) const LOGGING_STEPS: u32 = 1;

pub fn start(paths: &Paths, args: TrainStartArgs) -> Result<()> {
    let registry = setup(paths).registry;
    let task = registry.require(&args.task).map_err(config_error)?;
    let id = start_run(paths, task, &args)?;
    if args.backend == TrainBackend::Local {
        // Here, the run is followed to its end and its adapter registered on the base profile;
        // Ctrl-C leaves it training (`retort train watch` follows it again).
        crate::stdout::errln!(
            "following it (Ctrl-C leaves it training; `retort train watch {id} --register` follows it again)"
        );
        let run = crate::train::run::Run::load(&paths.data, &id).map_err(job_failure)?;
        let run = super::train::follow(paths, run, std::time::Duration::from_secs(2))?;
        super::train::finished(paths, run, true)?;
    }
    outln!("{id}")?;
    Ok(())
}

/// Starts a run as `args` say; its id.
pub(super) fn start_run(paths: &Paths, task: &Task, args: &TrainStartArgs) -> Result<String> {
    match args.backend {
        TrainBackend::Openai => start_openai(paths, task, args),
        TrainBackend::Command => start_command(paths, task, args),
        TrainBackend::Local => super::train_local::start_local(paths, task, args),
    }
}

pub(super) fn spec<'a>(
    task: &'a Task,
    args: &TrainStartArgs,
    style: ExportStyle,
    epochs: Option<u32>,
) -> Result<Spec<'a>> {
    Ok(Spec {
        task,
        base: args.base().to_string(),
        method: args.method,
        style,
        epochs,
        seed: args.seed,
        shares: parse_shares(&args.split).map_err(|e| config_error(format!("--split: {e}")))?,
        size: args.size,
        exclude: excluded(task, &args.exclude)?,
    })
}

pub(super) fn prepared(paths: &Paths, spec: &Spec, job: Job, min: usize) -> Result<Prepared> {
    let store = Store::new(paths.examples_dir());
    prepare(&paths.data, &store, spec, job, min).map_err(|e| match e {
        PrepareError::TooFew { .. } => config_error(e),
        PrepareError::Export(e) => e.into(),
        PrepareError::Run(e) => e.into(),
        PrepareError::Io(e) => e.into(),
    })
}

fn start_openai(paths: &Paths, task: &Task, args: &TrainStartArgs) -> Result<String> {
    let api = FineTuning::new(&args.base_url, &args.api_key_env).map_err(job_failure)?;
    let rt = runtime()?;
    rt.block_on(api.check_key()).map_err(job_failure)?;
    let style = match args.method {
        Method::Sft => ExportStyle::Chat,
        Method::Dpo => ExportStyle::DpoOpenai,
    };
    let spec = spec(task, args, style, args.epochs)?;
    let job = Job::Openai {
        base_url: api.base_url().to_string(),
        api_key_env: args.api_key_env.clone(),
        job_id: None,
        training_file: None,
        validation_file: None,
        last_event: None,
    };
    let mut prepared = prepared(paths, &spec, job, openai::MIN_EXAMPLES)?;
    let id = prepared.run.id.clone();
    let text = std::fs::read_to_string(&prepared.training).unwrap_or_default();
    let per_epoch = tokens::count(args.base(), &text);
    let times = match args.epochs {
        Some(n) => format!("× {n} epochs = {} tokens billed", per_epoch * n as usize),
        None => "× the epochs the service chooses (give --epochs to fix them)".into(),
    };
    crate::stdout::errln!(
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
    crate::stdout::errln!(
        "started fine-tuning job {} on {} ({}); follow it with: retort train watch {id}",
        job_label(run),
        run.base,
        run.status
    );
    Ok(id)
}

/// Asks on the terminal; without one there is nobody to ask.
fn confirmed() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(config_error(
            "not started: this would start a paid job and there is no terminal to ask; add --yes",
        ));
    }
    crate::stdout::write_err("Start the fine-tuning job? [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

pub fn job_label(run: &Run) -> String {
    match &run.job {
        Job::Openai { job_id, .. } => job_id.clone().unwrap_or_else(|| "(none)".into()),
        Job::Command { pid, host, .. } => format!(
            "pid {}{}",
            pid.map_or("?".into(), |p| p.to_string()),
            host.as_ref().map_or(String::new(), |h| format!(" on {h}"))
        ),
    }
}

fn start_command(paths: &Paths, task: &Task, args: &TrainStartArgs) -> Result<String> {
    let dpo = args.method == Method::Dpo;
    if dpo && !args.trainer.supports_dpo() {
        return Err(config_error(format!(
            "--method dpo runs with --trainer trl; {} is set up here for supervised training only",
            args.trainer.name()
        )));
    }
    let template = match (args.trainer, &args.template) {
        (Trainer::LlamaFactory, None) => Some(
            trainers::llama_factory_template(args.base())
                .ok_or_else(|| {
                    config_error(format!(
                        "LLaMA-Factory needs the chat template of {}: give --template (llama3, mistral, qwen, gemma, …)",
                        args.base()
                    ))
                })?
                .to_string(),
        ),
        (_, template) => template.clone(),
    };
    if let Some(profile) = &args.base_profile {
        setup(paths).profiles.require(profile).map_err(config_error)?;
    }
    let numbers = args.recipe_numbers(trainers::GPU_DEFAULTS);
    let spec = spec(task, args, args.trainer.style(dpo), Some(numbers.epochs))?;
    let job = Job::Command {
        trainer: args.trainer,
        logging_steps: LOGGING_STEPS,
        host: args.host.clone(),
        workdir: String::new(),
        pid: None,
        base_profile: args.base_profile.clone(),
        read: Default::default(),
    };
    let mut prepared = prepared(paths, &spec, job, 1)?;
    let run = &mut prepared.run;
    let workdir = match &args.host {
        None => run.dir(&paths.data).display().to_string(),
        Some(_) => format!("retort-runs/{}", run.id),
    };
    if let Job::Command { workdir: w, .. } = &mut run.job {
        *w = workdir.clone();
    }
    let recipe = Recipe {
        trainer: args.trainer,
        base: args.base().to_string(),
        dpo,
        epochs: numbers.epochs,
        lora_rank: numbers.lora_rank,
        learning_rate: numbers.learning_rate,
        seed: args.seed,
        template,
        logging_steps: LOGGING_STEPS,
    };
    let config = trainers::config(&recipe, &files(task, &prepared, args.trainer.style(dpo)));
    let program = args
        .trainer_program
        .as_deref()
        .map(|p| local_program(p, args.host.is_some()));
    let command = args.trainer.command(dpo, program.as_deref());
    let run = &mut prepared.run;
    let files = [(args.trainer.config_file(), config)];
    if let Err(e) = command_job::launch(&paths.data, run, &files, &command) {
        run.status = crate::train::run::Status::Failed;
        run.error = Some(e.to_string());
        run.save(&paths.data).ok();
        return Err(job_failure(e));
    }
    crate::stdout::errln!(
        "started {} ({}) on {} in {workdir}, {} training examples; follow it with: retort train watch {}",
        args.trainer.name(),
        command.join(" "),
        crate::host::Host::new(args.host.as_deref()).name(),
        run.train_examples,
        run.id
    );
    Ok(run.id.clone())
}

/// The export's files as the config names them (relative to the run's directory), with their
/// names in the export's `dataset_info.json` for LLaMA-Factory.
fn files(task: &Task, prepared: &Prepared, style: ExportStyle) -> Files {
    let relative = |path: &std::path::Path| format!("data/{}", path.file_name().unwrap_or_default().to_string_lossy());
    let named = |split: &str| crate::dataset::export::dataset_name(&task.name, split, style);
    Files {
        training: relative(&prepared.training),
        validation: prepared.validation.as_deref().map(relative),
        training_name: named(&prepared.training_split),
        validation_name: prepared.validation_split.as_deref().map(named),
    }
}

/// A program given as a relative path here is found from where Retort was started (the
/// trainer starts in the run's directory); on another host it is that host's.
fn local_program(program: &str, remote: bool) -> String {
    let path = std::path::Path::new(program);
    if remote || path.is_absolute() || !program.contains('/') || !path.exists() {
        return program.to_string();
    }
    std::path::absolute(path).map_or(program.to_string(), |p| p.display().to_string())
}
