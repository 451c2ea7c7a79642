//! The review queue's effects, run by the driver: opening a queue, writing its decisions in
//! order (one writer thread, one fsync each), withdrawing examples, and the look-ahead runs.

use super::action::{Action, PreAnnotation, RunJob};
use super::review::ReviewState;
use super::state::Level;
use crate::config::Paths;
use crate::dataset::store::Store;
use crate::llm::{Engines, execute};
use crate::review::open::{Access, ReviewOptions, open_file};
use crate::review::record::{self, DecisionWrite, ExampleChange};
use crate::task::Task;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// Writes decisions (with their example changes) one after the other on its own thread, so the
/// log keeps their order, and reports each as written or not.
pub struct DecisionWriter {
    lines: std::sync::mpsc::Sender<DecisionWrite>,
}

impl DecisionWriter {
    pub fn start(examples: PathBuf, actions: UnboundedSender<Action>) -> DecisionWriter {
        let (tx, rx) = std::sync::mpsc::channel::<DecisionWrite>();
        std::thread::spawn(move || {
            let store = Store::new(examples);
            for write in rx {
                let written = record::write(&write, &store);
                if let Err(e) = &written {
                    tracing::error!(
                        "decision {} on {} not written: {e}",
                        write.decision.seq,
                        write.decision.item
                    );
                }
                let ok = written.is_ok();
                let _ = actions.send(Action::DecisionWritten {
                    seq: write.decision.seq,
                    error: written.err(),
                });
                let task = match &write.change {
                    ExampleChange::Save(example) => Some(example.task.clone()),
                    ExampleChange::Withdraw { task, .. } => Some(task.clone()),
                    ExampleChange::Keep => None,
                };
                if let Some(task) = task.filter(|_| ok) {
                    let pool = crate::llm::prompt::few_shot_pool(&store, &task);
                    let _ = actions.send(Action::PoolLoaded { pool });
                }
            }
        });
        DecisionWriter { lines: tx }
    }

    pub fn write(&self, write: DecisionWrite) {
        let _ = self.lines.send(write);
    }
}

/// A few-shot job takes the saved examples as they are on disk now: when another process (an
/// import, a review in another terminal) changed them since the workbench read them, they are
/// read again, and the workbench is told.
pub async fn refresh_pool(examples: std::path::PathBuf, job: &mut RunJob, actions: &UnboundedSender<Action>) {
    if job.profile.mode != crate::llm::profile::Mode::FewShot {
        return;
    }
    let (task, pool) = (job.task.name.clone(), job.pool.clone());
    let store = crate::dataset::store::Store::new(examples);
    let fresh = tokio::task::spawn_blocking(move || crate::llm::prompt::refreshed_pool(&store, &task, &pool)).await;
    if let Ok(Some(pool)) = fresh {
        tracing::info!(
            "{} few-shot examples of {} read again: {:?}",
            pool.shots.len(),
            pool.task,
            pool.origin
        );
        job.pool = pool.clone();
        let _ = actions.send(Action::PoolLoaded { pool });
    }
}

/// Runs a look-ahead job; a run that succeeded is appended to the queue's runs file so that a
/// reopened queue does not run it again.
pub fn pre_annotate(
    engines: Engines,
    mut pre: PreAnnotation,
    examples: std::path::PathBuf,
    cancel: CancellationToken,
    actions: UnboundedSender<Action>,
) {
    tokio::spawn(async move {
        refresh_pool(examples, &mut pre.job, &actions).await;
        let (item, side) = (pre.item, pre.job.slot);
        let job = pre.job.clone();
        let ran = tokio::spawn(async move {
            let mut request = job.request();
            request.stream = false;
            execute(&engines, &request, None, &cancel).await
        })
        .await;
        let run = match ran {
            Ok(run) => run,
            Err(e) => {
                // A bug must not leave the paragraph waiting for ever: say so, let it be run again.
                tracing::error!("look-ahead run of item {item} failed: {e}");
                let _ = actions.send(Action::PreAnnotationLost {
                    item,
                    side,
                    error: e.to_string(),
                });
                return;
            }
        };
        if run.outcome.is_cancelled() {
            return;
        }
        if !run.outcome.is_error() {
            let line = crate::llm::run_line::RunLine::new(&pre.id, &pre.job.paragraph, &run)
                .placed(pre.place.as_ref())
                .to_line();
            let output = pre.output.clone();
            let written = tokio::task::spawn_blocking(move || append_line(&output, &line)).await;
            if let Ok(Err(e)) = written {
                tracing::warn!("look-ahead run not kept in {}: {e}", pre.output.display());
            }
        }
        let _ = actions.send(Action::PreAnnotated {
            item: pre.item,
            side: pre.job.slot,
            run: Box::new(run),
        });
    });
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_data()
}

/// Opens a queue on a blocking thread and reports it (or why not) as an action. An extract
/// output's recorded task wins over `task`.
pub fn open_queue(paths: &Paths, path: PathBuf, task: Task, tasks: Vec<Task>, actions: UnboundedSender<Action>) {
    let reviews = paths.reviews_dir();
    tokio::task::spawn_blocking(move || {
        let options = ReviewOptions {
            fallback_task: Some(task.name),
            ..ReviewOptions::default()
        };
        let action = match open_file(&path, &options, &tasks, &reviews, Access::Decide) {
            Ok(opened) => {
                let problems = opened.problems.clone();
                Action::QueueOpened(
                    Box::new(ReviewState::new(opened, Default::default(), options.lookahead)),
                    problems,
                )
            }
            Err(e) => Action::Notice {
                text: format!("cannot open {} as a queue: {e}", path.display()),
                level: Level::Error,
            },
        };
        let _ = actions.send(action);
    });
}

/// Files in the working directory a queue could be opened from.
/// Whether a file can be opened as a queue: papers, JSON lines, the papers' datasets, text
/// (judged by content, as every reader does; a text file only by its `.txt` or `.md` name).
fn opens_as_queue(path: &Path) -> bool {
    use crate::input::InputKind;
    match crate::input::kind_of(path) {
        Ok(InputKind::Paper(_) | InputKind::Lines(_) | InputKind::Json | InputKind::Csv) => true,
        Ok(InputKind::Text) => path.extension().is_some_and(|x| x == "txt" || x == "md"),
        Ok(InputKind::Directory | InputKind::Unsupported(_)) | Err(_) => false,
    }
}

pub fn list_files(actions: UnboundedSender<Action>) {
    tokio::task::spawn_blocking(move || {
        let mut files: Vec<String> = std::fs::read_dir(".")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && opens_as_queue(p))
            .map(|p| p.display().to_string())
            .collect();
        files.sort();
        let _ = actions.send(Action::QueueFilesListed(files));
    });
}
