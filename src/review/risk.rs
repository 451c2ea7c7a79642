//! Why an item deserves a look: what went wrong with its runs, and the order that puts the
//! riskiest first.

use super::items::Item;
use crate::extraction::Alignment;
use crate::llm::Run;
use crate::llm::dialect::Validation;
use crate::llm::logprobs::LOW_CONFIDENCE;
use crate::metrics::align::{ValueDiff, align};
use crate::side::Side;
use crate::task::checks::FieldCheck;

/// One reason an item is risky.
#[derive(Debug, Clone, PartialEq)]
pub enum Risk {
    /// The model call failed (transport or server).
    RunFailed,
    /// A reply arrived but does not parse.
    ParseError,
    /// The reply breaks the task's JSON Schema.
    SchemaViolated,
    /// This many values are not found in the paragraph (⚠).
    NotFound(usize),
    /// The two runs disagree on this many fields (of a record).
    Disagree(usize),
    /// This many values were written with low confidence (token probabilities).
    Unsure(usize),
    /// This many values fail a chemistry check of the task (`task::checks`).
    Chemistry(usize),
}

impl Risk {
    /// How much the reason weighs in the riskiest-first order.
    fn weight(&self) -> u64 {
        match self {
            Risk::RunFailed => 2000,
            Risk::ParseError => 1000,
            Risk::SchemaViolated => 500,
            Risk::NotFound(n) => 30 * *n as u64,
            Risk::Disagree(n) => 10 * *n as u64,
            Risk::Unsure(n) => 15 * *n as u64,
            Risk::Chemistry(n) => 25 * *n as u64,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Risk::RunFailed => "run failed".into(),
            Risk::ParseError => "does not parse".into(),
            Risk::SchemaViolated => "schema violated".into(),
            Risk::NotFound(n) => format!("{n} ⚠ not in source"),
            Risk::Disagree(n) => format!("runs disagree on {n}"),
            Risk::Unsure(n) => format!("{n} unsure (p < {LOW_CONFIDENCE})"),
            Risk::Chemistry(n) => format!("{n} ⚗ to check"),
        }
    }
}

/// The reasons of an item, worst first; none for an item without runs.
pub fn assess(item: &Item, checks: &[FieldCheck]) -> Vec<Risk> {
    let mut risks = Vec::new();
    for run in item.runs.iter().flatten() {
        for risk in run_risks(run, checks) {
            if !risks.contains(&risk) {
                risks.push(risk);
            }
        }
    }
    if let (Some(left), Some(right)) = (&item.runs[Side::Main], &item.runs[Side::Compare])
        && let (Some(l), Some(r)) = (&left.extraction, &right.extraction)
    {
        let fields: std::collections::BTreeSet<(usize, String)> = align(l, r)
            .into_iter()
            .filter(|d| d.status != ValueDiff::Same)
            .map(|d| (d.record, d.field))
            .collect();
        let disagreeing = fields.len();
        if disagreeing > 0 {
            risks.push(Risk::Disagree(disagreeing));
        }
    }
    risks.sort_by_key(|r| std::cmp::Reverse(r.weight()));
    risks
}

fn run_risks(run: &Run, checks: &[FieldCheck]) -> Vec<Risk> {
    let mut risks = Vec::new();
    if run.outcome.is_error() {
        risks.push(Risk::RunFailed);
    } else if run.parse_error.is_some() {
        risks.push(Risk::ParseError);
    }
    // A reply that does not parse breaks the schema too: one reason is enough.
    if run.parse_error.is_none() && matches!(run.validation, Validation::Violated(_)) {
        risks.push(Risk::SchemaViolated);
    }
    let not_found = run.extraction.as_ref().map_or(0, |e| {
        e.values()
            .iter()
            .filter(|(_, v)| v.alignment == Alignment::Unaligned)
            .count()
    });
    if not_found > 0 {
        risks.push(Risk::NotFound(not_found));
    }
    let unsure = run.extraction.as_ref().map_or(0, |e| {
        e.values()
            .iter()
            .filter(|(_, v)| v.confidence.is_some_and(|c| c < LOW_CONFIDENCE))
            .count()
    });
    if unsure > 0 {
        risks.push(Risk::Unsure(unsure));
    }
    let odd = run.extraction.as_ref().map_or(0, |e| {
        e.values()
            .iter()
            .filter(|(field, v)| !crate::task::checks::problems(checks, field, &v.text).is_empty())
            .count()
    });
    if odd > 0 {
        risks.push(Risk::Chemistry(odd));
    }
    risks
}

pub fn score(risks: &[Risk]) -> u64 {
    risks.iter().map(Risk::weight).sum()
}

/// How the queue is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// As the file lists them.
    #[default]
    Input,
    /// Highest risk first (ties in input order).
    Risk,
}

/// Item indices in review order.
pub fn order(risks: &[Vec<Risk>], how: Order) -> Vec<usize> {
    let mut order: Vec<usize> = (0..risks.len()).collect();
    if how == Order::Risk {
        order.sort_by_key(|&i| std::cmp::Reverse(score(&risks[i])));
    }
    order
}
