//! `retort train start --backend local`: Retort's own trainer on this machine, on the GGUF an
//! embedded profile serves. The trainer's Python environment is made first if need be
//! (`train::python_env`); the export is tokenized by the engine that serves the base
//! (`train::local`), and `sft.py` runs detached like any command run, so `watch`, `status` and
//! `cancel` work as for the others. The adapter is registered on the base profile when done.

use super::train_start::{LOGGING_STEPS, prepared, spec};
use super::{config_error, setup};
use crate::cli::TrainStartArgs;
use crate::config::Paths;
use crate::llm::ModelProfile;
use crate::task::Task;
use crate::train::command_job;
use crate::train::local::{self, SCRIPT, SCRIPT_FILE};
use crate::train::run::{Job, Status};
use crate::train::trainers::{Files, Recipe, Trainer};
use anyhow::Result;
use std::path::{Path, PathBuf};

pub(super) fn start_local(paths: &Paths, task: &Task, args: &TrainStartArgs) -> Result<String> {
    if args.method != crate::train::Method::Sft {
        return Err(config_error("the local backend trains with --method sft"));
    }
    let (base_profile, gguf) = base_of(paths, args)?;
    let env = crate::train::python_env::ensure(&|step| crate::stdout::errln!("{step}")).map_err(config_error)?;
    let style = local::style(task);
    let numbers = args.recipe_numbers(crate::train::trainers::LOCAL_DEFAULTS);
    let epochs = numbers.epochs;
    let spec = spec(task, args, style, Some(epochs))?;
    let job = Job::Command {
        trainer: Trainer::Retort,
        logging_steps: LOGGING_STEPS,
        host: None,
        workdir: String::new(),
        pid: None,
        base_profile: Some(base_profile.name.clone()),
        read: Default::default(),
    };
    let mut prepared = prepared(paths, &spec, job, 1)?;
    let workdir = prepared.run.dir(&paths.data);
    if let Job::Command { workdir: w, .. } = &mut prepared.run.job {
        *w = workdir.display().to_string();
    }
    prepared.run.base = gguf.display().to_string();
    let tokenized = tokenize(
        &gguf,
        &workdir,
        &prepared.training,
        prepared.validation.as_deref(),
        style,
    );
    let files = match tokenized {
        Ok(files) => files,
        Err(e) => return Err(failed(paths, &mut prepared.run, e)),
    };
    let recipe = Recipe {
        trainer: Trainer::Retort,
        base: gguf.display().to_string(),
        dpo: false,
        epochs,
        lora_rank: numbers.lora_rank,
        learning_rate: numbers.learning_rate,
        seed: args.seed,
        template: None,
        logging_steps: LOGGING_STEPS,
    };
    let config = local::config(&recipe, &files);
    // Isolated (`-I`): the locked environment alone, whatever PYTHONPATH or a user site holds.
    let command = vec![
        env.python.display().to_string(),
        "-I".to_string(),
        SCRIPT_FILE.to_string(),
        Trainer::Retort.config_file().to_string(),
    ];
    let written = [
        (Trainer::Retort.config_file(), config),
        (SCRIPT_FILE, SCRIPT.to_string()),
    ];
    let run = &mut prepared.run;
    if let Err(e) = command_job::launch(&paths.data, run, &written, &command) {
        return Err(failed(paths, run, anyhow::Error::from(e)));
    }
    crate::stdout::errln!(
        "training a LoRA adapter of {} on {} examples of {} here ({} epochs); the log is {}",
        base_profile.name,
        run.train_examples,
        task.name,
        epochs,
        workdir.join("train.log").display()
    );
    Ok(run.id.clone())
}

/// The embedded profile whose model is trained (and on which the adapter is registered), and
/// its GGUF file: `--base-profile`, or the embedded profile serving the GGUF `--base` names.
fn base_of(paths: &Paths, args: &TrainStartArgs) -> Result<(ModelProfile, PathBuf)> {
    let profiles = setup(paths).profiles;
    let profile = match (&args.base_profile, args.base.as_deref()) {
        (Some(name), _) => profiles.require(name).map_err(config_error)?.clone(),
        (None, Some(base)) => {
            let wanted = std::path::absolute(base).unwrap_or_else(|_| PathBuf::from(base));
            profiles
                .profiles
                .iter()
                .find(|p| p.lora.is_empty() && p.gguf() == Some(&wanted))
                .cloned()
                .ok_or_else(|| {
                    config_error(format!(
                        "no embedded profile serves {}: add one (retort models add NAME --gguf {} --mode few-shot) or name it with --base-profile",
                        base,
                        crate::host::word(base)
                    ))
                })?
        }
        (None, None) => {
            return Err(config_error(
                "give --base-profile (an embedded profile) or --base (its GGUF)",
            ));
        }
    };
    let gguf = match profile.gguf() {
        Some(path) if profile.lora.is_empty() => path.to_path_buf(),
        _ => {
            return Err(config_error(format!(
                "the local backend trains the GGUF of an embedded profile without adapters; {:?} is not one (see `retort models`)",
                profile.name
            )));
        }
    };
    crate::llm::embedded::check_file(&gguf).map_err(config_error)?;
    Ok((profile, gguf))
}

/// The export's rows as token files beside it, as `sft.py` reads them.
fn tokenize(
    gguf: &Path,
    workdir: &Path,
    training: &Path,
    validation: Option<&Path>,
    style: crate::dataset::export::ExportStyle,
) -> Result<Files> {
    let mut names = Vec::new();
    for (split, export) in std::iter::once(("train", training)).chain(validation.map(|v| ("valid", v))) {
        let rows = local::prompts_of(export, style)?;
        let tokens = crate::llm::embedded::training_tokens(gguf, &rows)?;
        let name = format!("data/tokens-{split}.jsonl");
        local::write_tokens(&workdir.join(&name), &tokens)?;
        names.push(name);
    }
    let mut names = names.into_iter();
    Ok(Files {
        training: names.next().unwrap_or_default(),
        validation: names.next(),
        training_name: String::new(),
        validation_name: None,
    })
}

/// A run that could not start: recorded as failed, its error returned.
fn failed(paths: &Paths, run: &mut crate::train::run::Run, error: anyhow::Error) -> anyhow::Error {
    run.status = Status::Failed;
    run.error = Some(format!("{error:#}"));
    run.save(&paths.data).ok();
    error
}
