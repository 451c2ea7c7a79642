//! Training from Retort: a run's files (`run`), the export it trains on (`prepare`), and the
//! backends that train: OpenAI's fine-tuning API (`openai` speaks it, `openai_job` runs a job
//! through it) and a trainer on a GPU box (`trainers` writes TRL, axolotl or LLaMA-Factory
//! configs, `command_job` starts it detached here or over ssh (`crate::host`), `trainer_logs` reads
//! its progress). A run is a directory under `<data>/runs/` that any later `retort train …`
//! reads again, so watching, cancelling and registering survive Retort exiting.

pub mod backend;
pub mod command_job;
pub mod experiment;
pub mod local;
pub mod openai;
pub mod openai_job;
pub mod python_env;
pub mod run;
pub mod summary;
pub mod tokens;
pub mod trainer_logs;
pub mod trainers;

use crate::dataset::export::split::Share;
use crate::dataset::export::{Excluded, ExportPlan, ExportStyle, export_dir};
use crate::dataset::store::Store;
use crate::task::Task;
use run::{Job, Progress, Run, Status};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Supervised fine-tuning on the corrected answers, or preference tuning on corrected against
/// rejected answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Method {
    Sft,
    Dpo,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Sft => "sft",
            Method::Dpo => "dpo",
        }
    }
}

/// What a run trains on and how.
pub struct Spec<'a> {
    pub task: &'a Task,
    pub base: String,
    pub method: Method,
    pub style: ExportStyle,
    pub epochs: Option<u32>,
    pub seed: u64,
    /// Splits: the first is trained on; one named `valid`, `val` or `validation` validates.
    pub shares: Vec<Share>,
    /// Train on the first N examples of the training split only (nested subsets).
    pub size: Option<usize>,
    pub exclude: Vec<Excluded>,
}

/// A run exported and recorded, before any job exists.
pub struct Prepared {
    pub run: Run,
    pub training: PathBuf,
    pub validation: Option<PathBuf>,
    /// The export's names of the two splits (`train-100`, `valid`).
    pub training_split: String,
    pub validation_split: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("{task}: {found} training examples{subset}, but {needed}")]
    TooFew {
        task: String,
        found: usize,
        subset: String,
        needed: String,
    },
    #[error(transparent)]
    Export(#[from] crate::dataset::export::ExportError),
    #[error(transparent)]
    Run(#[from] run::RunError),
    /// Claiming the run's id or making its directory (the error names the path).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Exports the saved examples into a new run's directory (`<run>/data/`) and records the run
/// (status `preparing`), ready for a backend to start. `min` is the fewest training examples
/// the backend accepts.
pub fn prepare(data: &Path, store: &Store, spec: &Spec, job: Job, min: usize) -> Result<Prepared, PrepareError> {
    let id = run::claim_id(data, &spec.task.name, job.backend())?;
    let dir = run::runs_dir(data).join(&id).join("data");
    std::fs::create_dir_all(&dir).map_err(crate::config::io_at("creating", &dir))?;
    let plan = ExportPlan {
        styles: vec![spec.style],
        shares: spec.shares.clone(),
        seed: spec.seed,
        sizes: spec.size.into_iter().collect(),
        exclude: spec.exclude.clone(),
    };
    let report = match export_dir(store, spec.task, &plan, &dir) {
        Ok(report) => report,
        Err(e) => {
            // Nothing to train on: no run is left behind.
            let _ = std::fs::remove_dir_all(run::runs_dir(data).join(&id));
            return Err(e.into());
        }
    };
    let first = spec.shares.first().map_or("train", |s| s.name.as_str()).to_string();
    let training_split = match spec.size {
        Some(n) => format!("{first}-{n}"),
        None => first,
    };
    let rows_of = |split: &str| {
        report
            .files
            .iter()
            .find(|f| f.split == split)
            .map(|f| (dir.join(&f.file), f.rows))
    };
    let validation_split = ["valid", "val", "validation"]
        .into_iter()
        .find(|s| rows_of(s).is_some())
        .map(str::to_string);
    let validation = validation_split.as_deref().and_then(rows_of);
    let (training, train_rows) = rows_of(&training_split).unwrap_or((dir.join("missing"), 0));
    if train_rows < min {
        let _ = std::fs::remove_dir_all(run::runs_dir(data).join(&id));
        return Err(PrepareError::TooFew {
            task: spec.task.name.clone(),
            found: train_rows,
            subset: spec.size.map_or(String::new(), |n| format!(" in the subset of {n}")),
            needed: format!("the backend needs at least {min}; save more with the workbench or `retort review`"),
        });
    }
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap_or_default();
    let now = crate::clock::now();
    let mut run = Run {
        id,
        task: spec.task.name.clone(),
        base: spec.base.clone(),
        method: spec.method.name().into(),
        job,
        train_examples: train_rows,
        valid_examples: validation.as_ref().map_or(0, |v| v.1),
        size: spec.size,
        epochs: spec.epochs,
        seed: spec.seed,
        manifest_sha256: format!("{:x}", Sha256::digest(&manifest)),
        status: Status::Preparing,
        progress: Progress::default(),
        fine_tuned_model: None,
        error: None,
        checkpoints: Vec::new(),
        profile: None,
        created_at: now.clone(),
        updated_at: now,
        finished_at: None,
    };
    run.save(data)?;
    Ok(Prepared {
        run,
        training,
        validation: validation.map(|v| v.0),
        training_split,
        validation_split,
    })
}
