//! `retort eval`: gold answers and predictions in, the papers' metric tables out.

mod inputs;
pub mod report;
mod score;

pub use report::{OutputFormat, Report, Table, render};

use crate::task::{MetricSet, Task};
use std::path::{Path, PathBuf};

/// What to evaluate.
pub struct EvalRequest<'a> {
    pub task: &'a Task,
    pub gold: Option<&'a Path>,
    pub predictions: &'a [PathBuf],
    /// Fail on the first bad row instead of skipping and counting it.
    pub strict: bool,
    pub scoring: Scoring,
}

/// How predictions are scored, beside the task's own measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scoring {
    /// Doping tasks: lowercase the gold hosts and dopants (the NERRE scorer's
    /// `--enforce-lowercase`, with which the paper scores seq2rel).
    pub lowercase: bool,
    /// Score with the generic measures (`metrics::generic`) instead of the task's.
    pub generic: bool,
}

/// Why an evaluation stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A file could not be read or, with `strict`, had a bad row (file and line named).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    GoldNotJson(#[from] crate::metrics::nerre::GoldNotJson),
}

/// A model's answer and the corrected one for a paragraph, both in the task's canonical text.
pub struct AnswerPair {
    pub id: String,
    pub paragraph: String,
    pub gold: String,
    pub prediction: String,
}

/// The task's measures over answer pairs (a review queue's model runs against its corrections).
pub fn score_answers(task: &Task, source: &str, pairs: &[AnswerPair]) -> Result<Report, EvalError> {
    let scored: Vec<inputs::Scored> = pairs.iter().map(|p| inputs::Scored::from_answers(task, p)).collect();
    let mut report = Report {
        task: task.name.clone(),
        source: source.to_string(),
        ..Report::default()
    };
    score::score(task, &[scored], Scoring::default(), &mut report)?;
    Ok(report)
}

/// One report per prediction file; for the NERRE JSON tasks the files are cross-validation folds
/// and give one report averaged over them.
pub fn evaluate(request: &EvalRequest) -> Result<Vec<Report>, EvalError> {
    if request.scoring.lowercase && !request.task.metrics.is_doping() {
        return Err(EvalError::Input(format!(
            "--lowercase is for the doping tasks (the NERRE scorer's --enforce-lowercase), not {}",
            request.task.name
        )));
    }
    let folds_together =
        !request.scoring.generic && matches!(request.task.metrics, MetricSet::NerreGeneral | MetricSet::NerreMof);
    let mut loaded = Vec::new();
    for path in request.predictions {
        let file = inputs::load(request.task, request.gold, path, request.strict)
            .map_err(|e| EvalError::Input(e.to_string()))?;
        loaded.push((path, file));
    }
    if folds_together {
        let source = request
            .predictions
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut report = Report {
            task: request.task.name.clone(),
            source,
            ..Report::default()
        };
        let folds: Vec<_> = loaded.iter().map(|(_, file)| file.scored.clone()).collect();
        report.skipped = loaded.iter().flat_map(|(_, file)| file.skipped.clone()).collect();
        if folds.iter().all(Vec::is_empty) {
            let reasons: Vec<String> = loaded
                .iter()
                .filter_map(|(_, file)| file.nothing_scored.clone())
                .collect();
            report.nothing_scored = Some(reasons.join("; "));
        }
        score::score(request.task, &folds, request.scoring, &mut report)?;
        return Ok(vec![report]);
    }
    let mut reports = Vec::new();
    for (path, file) in loaded {
        let mut report = Report {
            task: request.task.name.clone(),
            source: path.display().to_string(),
            skipped: file.skipped,
            nothing_scored: file.nothing_scored,
            ..Report::default()
        };
        score::score(request.task, &[file.scored], request.scoring, &mut report)?;
        reports.push(report);
    }
    Ok(reports)
}
