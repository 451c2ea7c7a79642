//! A batch run's answers as `retort extract` lines: every request of the run, in the order of
//! its request files, becomes one line for its paragraph (grounded, validated and measured as
//! an online run), written whole through a temporary file, so that collecting again rewrites the
//! same file and a kill leaves the last one whole. Requests whose batch is still running are
//! left for the next collect; requests a finished batch did not answer are failed lines, named
//! for `retry`.

use super::answers::{Answer, Answers};
use super::requests::RequestLine;
use super::run_dir::{BatchRun, ONLINE, PARAGRAPHS, RunDir};
use super::{BatchSummary, Paragraph, output_line};
use crate::llm::batch_answer::{AnswerOrigin, BatchAnswer, from_batch_answer};
use crate::llm::prompt::Pool;
use crate::llm::run_line::ResumeKeys;
use crate::llm::{ModelProfile, RunRequest};
use crate::task::Task;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::Path;

/// What a collect wrote and left.
#[derive(Debug, Default)]
pub struct Collected {
    pub summary: BatchSummary,
    /// Requests whose batch is still running.
    pub pending: usize,
    /// Requests in a request file never submitted.
    pub unsubmitted: usize,
    /// Paragraphs without an answer from a finished batch (failed, expired, cancelled): `retry`'s.
    pub to_retry: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{verb} {path}: {source}")]
    Io {
        verb: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Paragraphs { path: String, message: String },
}

fn io(verb: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CollectError {
    let path = path.display().to_string();
    move |source| CollectError::Io { verb, path, source }
}

/// The answers downloaded so far, batch by batch in the run's order (a retry's after).
pub fn answers(dir: &RunDir, run: &BatchRun) -> Result<Answers, CollectError> {
    let mut answers = Answers::default();
    for (index, submitted) in run.batches.iter().enumerate() {
        let Some(batch_id) = &submitted.batch_id else { continue };
        for path in [dir.output_of(batch_id), dir.errors_of(batch_id)] {
            if path.exists() {
                answers.read(&path, index).map_err(io("reading", &path))?;
            }
        }
    }
    Ok(answers)
}

/// The model a collect rebuilds its runs with.
pub struct Model<'a> {
    pub task: &'a Task,
    pub profile: &'a ModelProfile,
    pub pool: &'a Pool,
}

/// What a request's line is made of.
enum Decision<'a> {
    /// Sent online after the batch failed it: its line as `retort extract` wrote it.
    Online(&'a str),
    /// The batch's answer or failure, from run.batches[batch].
    Answer(&'a Answer, usize),
    /// A finished batch that did not answer it.
    Unanswered(usize),
    Pending,
    Unsubmitted,
}

/// What is known of a run's requests: the online lines and the batch each request went in last.
struct Known {
    online: HashMap<String, (bool, String)>,
    sent_in: HashMap<String, usize>,
}

impl Known {
    fn read(dir: &RunDir, run: &BatchRun) -> Result<Known, CollectError> {
        Ok(Known {
            online: online_lines(&dir.file(ONLINE))?,
            sent_in: batch_of_each_request(dir, run)?,
        })
    }

    fn decide<'a>(&'a self, run: &BatchRun, answers: &'a Answers, id: &str) -> Decision<'a> {
        let answered = answers.by_id.get(id);
        if let Some((true, line)) = self.online.get(id).filter(|_| !answers.answered(id)) {
            return Decision::Online(line);
        }
        if let Some(answered) = answered {
            return Decision::Answer(&answered.answer, answered.batch);
        }
        match self.sent_in.get(id) {
            None => Decision::Unsubmitted,
            Some(&batch) if run.batches[batch].status.is_final() => Decision::Unanswered(batch),
            Some(_) => Decision::Pending,
        }
    }
}

/// Every request of the run, once, in the order of its request files.
fn each_request(
    dir: &RunDir,
    run: &BatchRun,
    mut visit: impl FnMut(RequestLine) -> Result<(), CollectError>,
) -> Result<(), CollectError> {
    let mut seen = HashSet::new();
    for part in &run.parts {
        let path = dir.file(&part.file);
        for request in request_lines(&path)? {
            let request = request.map_err(io("reading", &path))?;
            if seen.insert(request.custom_id.clone()) {
                visit(request)?;
            }
        }
    }
    Ok(())
}

/// The paragraphs a finished batch failed or left unanswered and no online run answered since.
pub fn failed_ids(dir: &RunDir, run: &BatchRun, answers: &Answers) -> Result<Vec<String>, CollectError> {
    let known = Known::read(dir, run)?;
    let mut failed = Vec::new();
    each_request(dir, run, |request| {
        let id = request.custom_id;
        let unanswered = match known.decide(run, answers, &id) {
            Decision::Answer(Answer::Failed(_), _) | Decision::Unanswered(_) => true,
            Decision::Online(_) | Decision::Answer(Answer::Reply(_), _) | Decision::Pending | Decision::Unsubmitted => {
                false
            }
        };
        if unanswered {
            failed.push(id);
        }
        Ok(())
    })?;
    Ok(failed)
}

/// Writes one line per answered or finished request to `output`.
pub fn write(
    dir: &RunDir,
    run: &BatchRun,
    answers: &Answers,
    model: &Model<'_>,
    output: &Path,
) -> Result<Collected, CollectError> {
    let paragraphs = paragraphs(dir, model.task)?;
    let known = Known::read(dir, run)?;
    let mut collected = Collected::default();
    let mut file = crate::atomic::AtomicFile::create(output).map_err(io("writing", output))?;
    each_request(dir, run, |request| {
        let Some(paragraph) = paragraphs.get(&request.custom_id) else {
            return Ok(());
        };
        collected.summary.read += 1;
        let decision = known.decide(run, answers, &request.custom_id);
        if let Some(line) = line_for(run, decision, model, paragraph, &request, &mut collected) {
            writeln!(file, "{line}").map_err(io("writing", output))?;
        }
        Ok(())
    })?;
    file.commit().map_err(io("writing", output))?;
    Ok(collected)
}

/// The line for one request, counted; `None` while it has no answer yet.
fn line_for(
    run: &BatchRun,
    decision: Decision<'_>,
    model: &Model<'_>,
    paragraph: &Paragraph,
    request: &RequestLine,
    collected: &mut Collected,
) -> Option<String> {
    let failure;
    let (answer, batch) = match decision {
        Decision::Online(line) => {
            count_online(&mut collected.summary, line);
            return Some(line.to_string());
        }
        Decision::Pending => {
            collected.pending += 1;
            return None;
        }
        Decision::Unsubmitted => {
            collected.unsubmitted += 1;
            return None;
        }
        Decision::Answer(Answer::Reply(body), batch) => (BatchAnswer::Reply(body), batch),
        Decision::Answer(Answer::Failed(message), batch) => (BatchAnswer::Failed(message), batch),
        Decision::Unanswered(batch) => {
            let submitted = &run.batches[batch];
            failure = format!(
                "batch {} ended {} without answering this request",
                submitted.batch_id.as_deref().unwrap_or("?"),
                submitted.status
            );
            (BatchAnswer::Failed(&failure), batch)
        }
    };
    let started_at = run.batches[batch]
        .created_at
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    let origin = AnswerOrigin {
        endpoint: run.service.as_deref().unwrap_or_default(),
        started_at: &started_at,
    };
    let run_request = RunRequest {
        pool: model.pool,
        ..RunRequest::new(model.task, model.profile, &paragraph.text)
    };
    let made = from_batch_answer(&run_request, &request.body, answer, origin);
    if made.outcome.error().is_some() {
        collected.to_retry.push(request.custom_id.clone());
    }
    collected.summary.written += 1;
    collected.summary.count(&made);
    Some(output_line(paragraph, &made).to_line())
}

/// An online line counted as `retort extract` counts it.
fn count_online(summary: &mut BatchSummary, line: &str) {
    summary.written += 1;
    if let Ok(run) = serde_json::from_str::<crate::llm::run_line::RunLine>(line)
        && run.outcome.is_incomplete()
    {
        summary.incomplete += 1;
    }
}

/// The paragraphs the run asked about, by id.
fn paragraphs(dir: &RunDir, task: &Task) -> Result<HashMap<String, Paragraph>, CollectError> {
    let path = dir.file(PARAGRAPHS);
    let (read, problems) = crate::input::read_paragraphs(&path, task).map_err(|e| CollectError::Paragraphs {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    if let Some(problem) = problems.first() {
        return Err(CollectError::Paragraphs {
            path: path.display().to_string(),
            message: problem.to_string(),
        });
    }
    Ok(read.into_iter().map(|p| (p.id.clone(), p)).collect())
}

/// The newest online line per id: (whether it succeeded, the line).
fn online_lines(path: &Path) -> Result<HashMap<String, (bool, String)>, CollectError> {
    let mut lines = HashMap::new();
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(lines);
    };
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(io("reading", path))?;
        if let Ok(keys) = serde_json::from_str::<ResumeKeys>(&line)
            && let Some(id) = keys.id.clone()
        {
            lines.insert(id, (!keys.failed(), line));
        }
    }
    Ok(lines)
}

/// The last batch each request was sent in (a retry's, when it was retried).
fn batch_of_each_request(dir: &RunDir, run: &BatchRun) -> Result<HashMap<String, usize>, CollectError> {
    let mut sent_in = HashMap::new();
    for (index, submitted) in run.batches.iter().enumerate() {
        if submitted.batch_id.is_none() {
            continue;
        }
        let path = dir.file(&submitted.file);
        for request in request_lines(&path)? {
            sent_in.insert(request.map_err(io("reading", &path))?.custom_id, index);
        }
    }
    Ok(sent_in)
}

/// A request file's lines, read one at a time (lines that are not requests are passed over).
fn request_lines(path: &Path) -> Result<impl Iterator<Item = std::io::Result<RequestLine>> + use<>, CollectError> {
    let file = std::fs::File::open(path).map_err(io("reading", path))?;
    Ok(std::io::BufReader::new(file).lines().filter_map(|line| match line {
        Ok(line) => serde_json::from_str::<RequestLine>(&line).ok().map(Ok),
        Err(e) => Some(Err(e)),
    }))
}
