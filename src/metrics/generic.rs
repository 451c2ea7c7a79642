//! Measures for any task, from the shape of its answers alone (the default for user tasks).
//!
//! Per paragraph, gold and predicted records are paired by an optimal assignment (Hungarian
//! method) that maximises the number of values they share, counted field by field after the
//! grounding's normalisation; pairs sharing nothing stay unpaired. Then, summed over every
//! paragraph (micro):
//! - per field, precision / recall / F1 over the values as multisets, exact and normalised
//!   (a value of an unpaired record is a false negative or positive);
//! - per field, the mean normalised Levenshtein similarity of the values joined with ` | `,
//!   over paired records (an unpaired record's fields count 0);
//! - records: a predicted record is correct when its pair has exactly the same values in
//!   every field; precision = correct / predicted, recall = correct / gold;
//! - paragraphs: the fraction whose answers are identical.

use crate::extraction::{Extraction, Record};
use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }

    /// No value when nothing was predicted.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// No value when nothing was expected.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// No value when nothing was expected and nothing predicted.
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    super::share(a as f64, b as f64)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldScore {
    pub exact: Counts,
    pub normalized: Counts,
    similarity_sum: f64,
    similarity_n: usize,
}

impl FieldScore {
    /// Mean normalised Levenshtein similarity (no value when the field never occurs).
    pub fn similarity(&self) -> Option<f64> {
        super::share(self.similarity_sum, self.similarity_n as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenericScores {
    /// By field name, in first-seen order of the task's fields then others.
    pub fields: Vec<(String, FieldScore)>,
    pub all: FieldScore,
    /// Records: tp = predicted records equal to their gold pair.
    pub records: Counts,
    pub paragraphs: usize,
    pub exact_paragraphs: usize,
}

impl GenericScores {
    /// No value over no paragraphs.
    pub fn exact_match(&self) -> Option<f64> {
        ratio(self.exact_paragraphs, self.paragraphs)
    }
}

/// Scores (gold, prediction) pairs; `order` gives the field order of the report.
pub fn score(pairs: &[(Extraction, Extraction)], order: &[String]) -> GenericScores {
    let mut fields: BTreeMap<String, FieldScore> = BTreeMap::new();
    let mut scores = GenericScores::default();
    for (gold, pred) in pairs {
        scores.paragraphs += 1;
        scores.exact_paragraphs += usize::from(texts(gold) == texts(pred));
        let pairing = pair_records(&gold.records, &pred.records);
        let mut correct = 0;
        for (g, p) in &pairing {
            let empty = Record::default();
            let gold_record = g.map_or(&empty, |i| &gold.records[i]);
            let pred_record = p.map_or(&empty, |j| &pred.records[j]);
            let paired = g.is_some() && p.is_some();
            correct += usize::from(paired && record_texts(gold_record) == record_texts(pred_record));
            for name in names(gold_record, pred_record) {
                let field = fields.entry(name.clone()).or_default();
                let (gv, pv) = (values(gold_record, &name), values(pred_record, &name));
                field.exact.add(multiset(&gv, &pv));
                field.normalized.add(multiset(&normalized(&gv), &normalized(&pv)));
                field.similarity_n += 1;
                if paired {
                    field.similarity_sum += strsim::normalized_levenshtein(&gv.join(" | "), &pv.join(" | "));
                }
            }
        }
        scores.records.add(Counts {
            tp: correct,
            fp: pred.records.len() - correct,
            fn_: gold.records.len() - correct,
        });
    }
    for score in fields.values() {
        scores.all.exact.add(score.exact);
        scores.all.normalized.add(score.normalized);
        scores.all.similarity_sum += score.similarity_sum;
        scores.all.similarity_n += score.similarity_n;
    }
    let mut ordered: Vec<(String, FieldScore)> = Vec::new();
    for name in order {
        if let Some(score) = fields.remove(name) {
            ordered.push((name.clone(), score));
        }
    }
    ordered.extend(fields);
    scores.fields = ordered;
    scores
}

/// Gold and predicted record indices paired: optimal on shared values; the rest alone.
pub fn pair_records(gold: &[Record], pred: &[Record]) -> Vec<(Option<usize>, Option<usize>)> {
    let mut pairs = Vec::new();
    let (mut gold_used, mut pred_used) = (vec![false; gold.len()], vec![false; pred.len()]);
    if !gold.is_empty() && !pred.is_empty() {
        let transpose = gold.len() > pred.len();
        let (rows, cols) = if transpose {
            (pred.len(), gold.len())
        } else {
            (gold.len(), pred.len())
        };
        let weights = Matrix::from_fn(rows, cols, |(r, c)| {
            let (g, p) = if transpose { (c, r) } else { (r, c) };
            agreement(&gold[g], &pred[p]) as i64
        });
        let (_, assignment) = kuhn_munkres(&weights);
        for (r, &c) in assignment.iter().enumerate() {
            let (g, p) = if transpose { (c, r) } else { (r, c) };
            if agreement(&gold[g], &pred[p]) > 0 {
                pairs.push((Some(g), Some(p)));
                gold_used[g] = true;
                pred_used[p] = true;
            }
        }
    }
    pairs.sort();
    pairs.extend(
        gold_used
            .iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(g, _)| (Some(g), None)),
    );
    pairs.extend(
        pred_used
            .iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(p, _)| (None, Some(p))),
    );
    pairs
}

/// How many values two records share, field by field, normalised.
fn agreement(gold: &Record, pred: &Record) -> usize {
    names(gold, pred)
        .iter()
        .map(|name| multiset(&normalized(&values(gold, name)), &normalized(&values(pred, name))).tp)
        .sum()
}

fn normalized(values: &[String]) -> Vec<String> {
    values.iter().map(|t| crate::ground::normalize(t)).collect()
}

/// Multiset intersection counts of gold and predicted values.
fn multiset(gold: &[String], pred: &[String]) -> Counts {
    let mut left: Vec<&String> = gold.iter().collect();
    let mut tp = 0;
    for value in pred {
        if let Some(at) = left.iter().position(|g| *g == value) {
            left.swap_remove(at);
            tp += 1;
        }
    }
    Counts {
        tp,
        fp: pred.len() - tp,
        fn_: gold.len() - tp,
    }
}

/// Both records' field names, the first's order then the second's new ones.
pub(super) fn names(a: &Record, b: &Record) -> Vec<String> {
    let mut names: Vec<String> = a.fields.iter().map(|f| f.name.clone()).collect();
    for field in &b.fields {
        if !names.contains(&field.name) {
            names.push(field.name.clone());
        }
    }
    names
}

/// The texts of a record's field (nested records' values included).
fn values(record: &Record, name: &str) -> Vec<String> {
    let Some(field) = record.field(name) else {
        return Vec::new();
    };
    Extraction::from_records(vec![Record::new(vec![field.clone()])])
        .values()
        .iter()
        .map(|(_, v)| v.text.clone())
        .collect()
}

fn record_texts(record: &Record) -> BTreeMap<String, Vec<String>> {
    record
        .fields
        .iter()
        .map(|f| (f.name.clone(), values(record, &f.name)))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

fn texts(extraction: &Extraction) -> Vec<BTreeMap<String, Vec<String>>> {
    extraction.records.iter().map(record_texts).collect()
}
