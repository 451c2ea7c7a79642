//! Opening a queue from files: its paragraphs and runs, the compared runs, the runs its
//! look-ahead made in earlier sessions, and its decision log.

use super::decisions;
use super::items::{self, Item};
use super::risk::Order;
use super::{Queue, QueueFiles};
use crate::dataset::table::InputError;
use crate::input::BlockFilter;
use crate::task::Task;
use std::path::{Path, PathBuf};

/// What to open.
pub struct OpenSpec<'a> {
    pub file: &'a Path,
    pub task: &'a Task,
    /// A second extract output whose runs are shown on the right.
    pub compare: Option<&'a Path>,
    pub order: Order,
    /// Which blocks of a paper become items.
    pub filter: &'a BlockFilter,
    /// `<data>/reviews`.
    pub reviews_dir: &'a Path,
    pub access: Access,
}

/// Whether the queue is opened to decide (one process at a time) or only to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Holds the queue's lock while open: a second review of it is refused, naming this one.
    Decide,
    /// Reads the files as they are (the summary), whoever is deciding.
    Read,
}

/// A queue ready to review, where it keeps its files, and what was wrong with its inputs.
pub struct Opened {
    pub queue: Queue,
    pub files: QueueFiles,
    pub problems: Vec<String>,
    /// The queue's lock, held while it is open to decide.
    pub lock: Option<crate::lock::Held>,
    /// Blocks of papers the filter passed over, by kind.
    pub passed_over: crate::input::filter::PassedOver,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    // Transparent, and no `source` fields below: a report with causes (`{:#}`) must not print
    // the same message twice.
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{0} holds no paragraphs")]
    Empty(PathBuf),
    #[error("{0} is not a `retort extract` output: name its task with --task (retort tasks lists them)")]
    NoTask(PathBuf),
    #[error("no task named {0:?} (retort tasks lists them)")]
    UnknownTask(String),
    #[error(transparent)]
    BadOption(#[from] crate::input::filter::FilterError),
    #[error("the review queue {queue}: {lock}")]
    Locked {
        queue: PathBuf,
        lock: crate::lock::LockError,
    },
}

/// What `retort review` was asked for (its command-line options).
#[derive(Debug, Clone, clap::Args)]
pub struct ReviewOptions {
    /// The task (default: the one recorded in an extract output).
    #[arg(long)]
    pub task: Option<String>,
    /// The profile that pre-annotates paragraphs without a run (default: the workbench's).
    #[arg(long)]
    pub model: Option<String>,
    /// A second extract output of the same paragraphs, shown on the right.
    #[arg(long, conflicts_with = "compare_model")]
    pub compare: Option<PathBuf>,
    /// A second profile that pre-annotates every paragraph, shown on the right.
    #[arg(long)]
    pub compare_model: Option<String>,
    /// Walk the queue in input order, or riskiest first (run failed, does not parse, schema
    /// violated, values not in the source, low confidence, runs that disagree).
    #[arg(long, value_enum, default_value = "input")]
    pub order: Order,
    /// Paragraphs pre-annotated ahead of the one on screen.
    #[arg(long, default_value_t = super::LOOKAHEAD)]
    pub lookahead: usize,
    #[command(flatten)]
    pub filter: crate::input::filter::FilterArgs,
    /// The task when neither `task` nor the file names a known one (the workbench's).
    #[arg(skip)]
    pub fallback_task: Option<String>,
}

impl Default for ReviewOptions {
    /// Input order, the default look-ahead, the task recorded in the file, no comparison.
    fn default() -> ReviewOptions {
        ReviewOptions {
            task: None,
            model: None,
            compare: None,
            compare_model: None,
            order: Order::Input,
            lookahead: super::LOOKAHEAD,
            filter: Default::default(),
            fallback_task: None,
        }
    }
}

/// Opens `file` as a queue: the task is the one asked for, else the one an extract output
/// records (when it is known, or there is no fallback to take instead), else the fallback.
pub fn open_file(
    file: &Path,
    options: &ReviewOptions,
    tasks: &[Task],
    reviews_dir: &Path,
    access: Access,
) -> Result<Opened, OpenError> {
    if let Err(e) = std::fs::metadata(file) {
        return Err(InputError::new(file, 0, format!("cannot read: {e}")).into());
    }
    let recorded = items::extract_output_task(file)
        .filter(|name| options.fallback_task.is_none() || tasks.iter().any(|t| &t.name == name));
    let name = options
        .task
        .clone()
        .or(recorded)
        .or(options.fallback_task.clone())
        .ok_or_else(|| OpenError::NoTask(file.to_path_buf()))?;
    let task = tasks
        .iter()
        .find(|t| t.name == name)
        .ok_or(OpenError::UnknownTask(name))?;
    let filter = options
        .filter
        .filter(Some(crate::input::filter::PROSE))
        .map_err(OpenError::BadOption)?;
    open(&OpenSpec {
        file,
        task,
        compare: options.compare.as_deref(),
        order: options.order,
        filter: &filter,
        reviews_dir,
        access,
    })
}

pub fn open(spec: &OpenSpec) -> Result<Opened, OpenError> {
    let loaded = items::load(spec.file, spec.task, spec.filter)?;
    let mut problems = loaded.problems;
    let mut items = loaded.items;
    if items.is_empty() {
        return Err(OpenError::Empty(spec.file.to_path_buf()));
    }
    if let Some(compare) = spec.compare {
        problems.extend(items::attach_compare(&mut items, compare, spec.task)?);
    }
    let files = QueueFiles::new(spec.reviews_dir, spec.file, &spec.task.name);
    let lock = match spec.access {
        Access::Decide => {
            let doing = format!("a review of {}", spec.file.display());
            Some(
                crate::lock::hold(&files.decisions, &doing).map_err(|lock| OpenError::Locked {
                    queue: spec.file.to_path_buf(),
                    lock,
                })?,
            )
        }
        Access::Read => None,
    };
    for (side, path) in files.runs.sides() {
        if path.exists() {
            let (runs, bad) = items::read_runs(path, spec.task)?;
            problems.extend(bad);
            fill_missing_runs(&mut items, side, runs);
        }
    }
    let log = decisions::read(&files.decisions).map_err(|error| OpenError::Io {
        path: files.decisions.clone(),
        error,
    })?;
    problems.extend(log.problems);
    let name_of = |path: &Path| path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name_of(spec.file).unwrap_or_else(|| "queue".into());
    let mut queue = Queue::new(name, spec.task, items, spec.order, log.decisions);
    queue.sources[crate::side::Side::Compare] = spec.compare.and_then(name_of);
    Ok(Opened {
        queue,
        files,
        problems,
        lock,
        passed_over: loaded.passed_over,
    })
}

/// Runs the look-ahead made earlier fill the items that have none on that side.
fn fill_missing_runs(items: &mut [Item], side: crate::side::Side, runs: Vec<items::RecordedRun>) {
    let mut by_id: std::collections::HashMap<String, crate::llm::Run> =
        runs.into_iter().map(|r| (r.id, r.run)).collect();
    for item in items.iter_mut().filter(|i| i.runs[side].is_none()) {
        item.runs[side] = by_id.remove(&item.id);
    }
}
