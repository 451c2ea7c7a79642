//! What a queue's decisions say: how far it got, how fast, how often the model's values were
//! kept, and the task's measures of the model against the corrections.

use super::Queue;
use super::decisions::{Decision, Verdict};
use crate::eval::{AnswerPair, Report};
use crate::extraction::Extraction;
use crate::task::Task;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldAcceptance {
    pub field: String,
    /// Values the model gave for the field, over accepted and corrected items.
    pub model_values: usize,
    /// Of those, the ones the final answer kept.
    pub kept: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub queue: String,
    pub task: String,
    pub items: usize,
    pub counts: super::Counts,
    pub seconds_median: Option<f64>,
    pub seconds_total: f64,
    /// Mean characters changed between the model's answer and the final one (corrected items).
    pub edit_distance_mean: Option<f64>,
    pub reject_reasons: BTreeMap<String, usize>,
    pub fields: Vec<FieldAcceptance>,
    /// The model's runs scored against the accepted and corrected answers.
    pub measures: Option<Report>,
    /// Why the measures are missing, if they are.
    pub measures_error: Option<String>,
}

pub fn summarize(queue: &Queue, task: &Task) -> Summary {
    let decided: Vec<&Decision> = (0..queue.items.len()).filter_map(|i| queue.decision(i)).collect();
    let kept: Vec<&Decision> = decided
        .iter()
        .copied()
        .filter(|d| matches!(d.verdict, Verdict::Accepted | Verdict::Corrected))
        .collect();
    let mut reject_reasons = BTreeMap::new();
    for d in decided.iter().filter(|d| d.verdict == Verdict::Rejected) {
        *reject_reasons
            .entry(d.reason.clone().unwrap_or_else(|| "no reason".into()))
            .or_default() += 1;
    }
    let distances: Vec<f64> = kept
        .iter()
        .filter(|d| d.verdict == Verdict::Corrected)
        .filter_map(|d| d.edit_distance.map(|e| e as f64))
        .collect();
    let (measures, measures_error) = measures(queue, task, &kept);
    Summary {
        queue: queue.name.clone(),
        task: task.name.clone(),
        items: queue.items.len(),
        counts: queue.counts(),
        seconds_median: queue.median_seconds(),
        seconds_total: decided.iter().map(|d| d.seconds).sum(),
        edit_distance_mean: (!distances.is_empty()).then(|| distances.iter().sum::<f64>() / distances.len() as f64),
        reject_reasons,
        fields: field_acceptance(&kept),
        measures,
        measures_error,
    }
}

fn measures(queue: &Queue, task: &Task, kept: &[&Decision]) -> (Option<Report>, Option<String>) {
    let paragraphs: std::collections::HashMap<&str, &str> = queue
        .items
        .iter()
        .map(|i| (i.id.as_str(), i.paragraph.as_str()))
        .collect();
    let pairs: Vec<AnswerPair> = kept
        .iter()
        .filter_map(|d| {
            Some(AnswerPair {
                id: d.item.clone(),
                paragraph: paragraphs.get(d.item.as_str())?.to_string(),
                gold: d.answer.clone()?,
                prediction: d.model_answer.clone().unwrap_or_default(),
            })
        })
        .collect();
    if pairs.is_empty() {
        return (None, Some("no accepted or corrected items yet".into()));
    }
    match crate::eval::score_answers(task, &queue.name, &pairs) {
        Ok(report) => (Some(report), None),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// Per field: the model's values and how many the final answer kept (as a multiset of texts).
fn field_acceptance(kept: &[&Decision]) -> Vec<FieldAcceptance> {
    let mut by_field: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for d in kept {
        let (Some(model), Some(fin)) = (&d.model_extraction, &d.extraction) else {
            continue;
        };
        let mut remaining = texts_by_field(fin);
        for (field, texts) in texts_by_field(model) {
            let entry = by_field.entry(field.clone()).or_default();
            let pool = remaining.entry(field).or_default();
            for text in texts {
                entry.0 += 1;
                if let Some(at) = pool.iter().position(|t| *t == text) {
                    pool.swap_remove(at);
                    entry.1 += 1;
                }
            }
        }
    }
    by_field
        .into_iter()
        .map(|(field, (model_values, kept))| FieldAcceptance {
            field,
            model_values,
            kept,
        })
        .collect()
}

fn texts_by_field(extraction: &Extraction) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (field, value) in extraction.values() {
        out.entry(field.to_string()).or_default().push(value.text.clone());
    }
    out
}

/// The summary for people.
pub fn render_text(summary: &Summary) -> String {
    let c = &summary.counts;
    let mut out = format!(
        "queue {} ({}): {} paragraphs\n  accepted {} · corrected {} · rejected {} · skipped {} · left {}\n",
        summary.queue, summary.task, summary.items, c.accepted, c.corrected, c.rejected, c.skipped, c.left
    );
    if let Some(median) = summary.seconds_median {
        out.push_str(&format!(
            "  {median:.1} s per paragraph (median), {:.0} s in all\n",
            summary.seconds_total
        ));
    }
    if let Some(distance) = summary.edit_distance_mean {
        out.push_str(&format!("  corrections change {distance:.1} characters on average\n"));
    }
    for (reason, count) in &summary.reject_reasons {
        out.push_str(&format!("  rejected as {reason}: {count}\n"));
    }
    if !summary.fields.is_empty() {
        out.push_str("\nmodel values kept, per field\n");
        for f in &summary.fields {
            let share = if f.model_values == 0 {
                0.0
            } else {
                100.0 * f.kept as f64 / f.model_values as f64
            };
            out.push_str(&format!(
                "  {:<24} {:>5} / {:<5} {share:5.1} %\n",
                f.field, f.kept, f.model_values
            ));
        }
    }
    match (&summary.measures, &summary.measures_error) {
        (Some(report), _) => {
            out.push_str("\nthe model against the corrections\n");
            out.push_str(&crate::eval::render(
                std::slice::from_ref(report),
                crate::eval::OutputFormat::Table,
            ));
        }
        (None, Some(why)) => out.push_str(&format!("\nno measures: {why}\n")),
        (None, None) => {}
    }
    out
}
