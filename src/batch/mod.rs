//! `retort extract`: a corpus through a model profile into prediction JSONL. Paragraphs are
//! read as they are needed and lines written as runs finish (bounded memory whatever the
//! corpus), with bounded concurrency over the profile's endpoints as replicas that fail over,
//! resumable, one whole line per paragraph (a failure is recorded with its error and the run goes
//! on), a progress bar on stderr, and Ctrl-C leaving a valid file.

pub mod answers;
pub mod api;
pub mod collect;
mod output;
pub mod remote;
pub mod replicas;
pub mod requests;
pub mod run_dir;
pub mod vllm;

pub use crate::input::{Paragraph, Paragraphs, Source, stream};
pub use output::{Done, id_hash, keep_newest_per_id, output_line, read_done};

use crate::config::io_at;
use crate::dataset::table::InputError;
use crate::llm::prompt::Pool;
use crate::llm::{Engines, ModelProfile, Run, RunRequest, execute};
use crate::task::Task;
use futures_util::StreamExt;
use replicas::{ReplicaReport, Replicas};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Where lines go.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    File(PathBuf),
    /// Standard output (`--output -`); nothing to resume from.
    Stdout,
}

impl Target {
    /// The file, or `standard output`, for messages.
    fn name(&self) -> PathBuf {
        match self {
            Target::File(path) => path.clone(),
            Target::Stdout => PathBuf::from("standard output"),
        }
    }

    pub fn from_arg(path: &std::path::Path) -> Target {
        if path.as_os_str() == "-" {
            Target::Stdout
        } else {
            Target::File(path.to_path_buf())
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::File(path) => path.display().to_string(),
            Target::Stdout => "standard output".into(),
        }
    }
}

pub struct BatchOptions {
    pub concurrency: usize,
    pub resume: bool,
    pub progress: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BatchSummary {
    /// Paragraphs read (not counting bad lines).
    pub read: usize,
    pub written: usize,
    /// Calls that failed, and answers that are empty (a broken model or adapter writes nothing).
    pub failed: usize,
    /// Answers cut off (the token limit) or stopped for repeating themselves: written, but not
    /// whole.
    pub incomplete: usize,
    /// Answers with a value that is not in its paragraph but is in the prompt around it (a
    /// worked example's): copied, not extracted.
    pub copied_from_prompt: usize,
    /// Already done in the output (`--resume`).
    pub skipped: usize,
    /// Input lines that are not paragraphs (each named on stderr).
    pub bad_lines: usize,
    pub interrupted: bool,
    /// Each distinct error (it names the URL or file it concerns) and how many paragraphs it hit.
    pub errors: std::collections::BTreeMap<String, usize>,
    /// Per endpoint: requests served and failed, times taken out of rotation.
    pub replicas: Vec<ReplicaReport>,
}

/// The error counted for an answer with nothing in it.
pub const EMPTY_ANSWER: &str = "the model wrote nothing (a broken model or adapter, or a prompt it cannot follow)";

impl BatchSummary {
    /// Counts a written run: failed (with its error), empty, incomplete or whole.
    pub fn count(&mut self, run: &crate::llm::run::Run) {
        let error = match (run.outcome.error(), run.raw_reply.trim().is_empty()) {
            (Some(error), _) => Some(error.to_string()),
            (None, true) => Some(EMPTY_ANSWER.to_string()),
            (None, false) => None,
        };
        match error {
            Some(error) => {
                self.failed += 1;
                *self.errors.entry(error).or_default() += 1;
            }
            None if run.outcome.is_incomplete() => self.incomplete += 1,
            None => {}
        }
        if !run.from_prompt.is_empty() {
            self.copied_from_prompt += 1;
        }
    }

    /// Every answer written is incomplete: the run as a whole gave nothing to trust.
    pub fn all_incomplete(&self) -> bool {
        self.incomplete > 0 && self.incomplete == self.written
    }
}

/// What a batch runs: a task through a profile into an output.
pub struct BatchJob<'a> {
    pub task: &'a Task,
    pub profile: &'a ModelProfile,
    /// Worked examples for few-shot profiles.
    pub pool: &'a Pool,
    pub output: &'a Target,
    pub options: BatchOptions,
}

/// Runs every paragraph not yet in the output and appends one line per finished paragraph.
/// `bad_line` hears of each input line that is not a paragraph.
pub async fn extract(
    engines: &Engines,
    job: &BatchJob<'_>,
    paragraphs: Paragraphs,
    cancel: CancellationToken,
    bad_line: &(dyn Fn(&InputError) + Sync),
) -> std::io::Result<BatchSummary> {
    let BatchJob {
        task,
        profile,
        pool,
        output,
        options,
    } = job;
    let done = match (output, options.resume) {
        (Target::File(path), true) => read_done(path)?,
        _ => Done::default(),
    };
    let mut sink: Box<dyn Write + Send> = match output {
        Target::File(path) => {
            let mut open = std::fs::OpenOptions::new();
            open.create(true);
            if options.resume {
                open.append(true);
            } else {
                open.write(true).truncate(true);
            }
            Box::new(std::io::BufWriter::new(
                open.open(path).map_err(io_at("opening", path))?,
            ))
        }
        Target::Stdout => Box::new(crate::stdout::Stdout),
    };
    // Only a retried paragraph leaves two lines for one id; then the file is compacted.
    let retrying = AtomicBool::new(false);
    let (skipped, bad, read) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let todo = paragraphs.items.filter_map(|item| match item {
        Err(e) => {
            bad.fetch_add(1, Ordering::Relaxed);
            bad_line(&e);
            None
        }
        Ok(p) => {
            read.fetch_add(1, Ordering::Relaxed);
            if done.is_done(&p.id) {
                skipped.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            if done.had_failed(&p.id) {
                retrying.store(true, Ordering::Relaxed);
            }
            Some(p)
        }
    });
    let replicas = Replicas::new(profile.endpoints(), replicas::BACKOFF);
    let mut summary = BatchSummary::default();
    let bar = progress_bar(paragraphs.total, options.progress);
    let jobs = todo.map(|paragraph| {
        let (cancel, replicas) = (cancel.clone(), &replicas);
        async move {
            let run = run_with_failover(
                engines,
                (task, profile, pool, options.concurrency),
                &paragraph.text,
                replicas,
                &cancel,
            )
            .await;
            (paragraph, run)
        }
    });
    let mut results = futures_util::stream::iter(jobs).buffer_unordered(options.concurrency.max(1));
    while let Some((paragraph, run)) = results.next().await {
        if cancel.is_cancelled() && run.outcome.is_cancelled() {
            summary.interrupted = true;
            continue;
        }
        let line = output_line(&paragraph, &run).to_line();
        // Flushed line by line: what was counted as written is in the file (a kill loses none).
        sink.write_all(format!("{line}\n").as_bytes())
            .and_then(|()| sink.flush())
            .map_err(io_at("writing", &output.name()))?;
        summary.written += 1;
        summary.count(&run);
        bar.inc(1);
    }
    drop(results);
    sink.flush().map_err(io_at("writing", &output.name()))?;
    drop(sink);
    if let Target::File(path) = output {
        std::fs::File::open(path)
            .and_then(|f| f.sync_all())
            .map_err(io_at("writing", path))?;
        if retrying.load(Ordering::Relaxed) {
            keep_newest_per_id(path).map_err(io_at("compacting", path))?;
        }
    }
    bar.finish_and_clear();
    summary.skipped = skipped.load(Ordering::Relaxed);
    summary.bad_lines = bad.load(Ordering::Relaxed);
    summary.read = read.load(Ordering::Relaxed);
    summary.replicas = replicas.reports();
    summary.interrupted |= cancel.is_cancelled();
    Ok(summary)
}

/// One paragraph's run: sent to the next replica in rotation; when that replica fails it is
/// taken out and the paragraph goes to another, until each has been tried once.
async fn run_with_failover(
    engines: &Engines,
    (task, profile, pool, parallel): (&Task, &ModelProfile, &Pool, usize),
    paragraph: &str,
    replicas: &Replicas,
    cancel: &CancellationToken,
) -> Run {
    let mut tried = Vec::new();
    loop {
        let index = replicas.pick(Instant::now(), &tried);
        let request = RunRequest {
            task,
            profile,
            paragraph,
            pool,
            endpoint: index,
            stream: false,
            parallel,
        };
        let run = execute(engines, &request, None, cancel).await;
        if !run.replica_failed {
            replicas.served(index);
            return run;
        }
        replicas.failed(index, Instant::now());
        tried.push(index);
        if tried.len() >= replicas.count() || cancel.is_cancelled() {
            return run;
        }
        tracing::warn!(
            "{} failed a request ({:?}); trying another replica",
            run.endpoint,
            run.outcome.error()
        );
    }
}

fn progress_bar(len: Option<usize>, visible: bool) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(len.map(|n| n as u64), indicatif::ProgressDrawTarget::stderr());
    let template = if len.is_some() {
        "{bar:30} {pos}/{len} paragraphs  {per_sec}  eta {eta}  {msg}"
    } else {
        "{spinner} {pos} paragraphs  {per_sec}  {msg}"
    };
    let style =
        indicatif::ProgressStyle::with_template(template).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
