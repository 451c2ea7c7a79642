//! Paragraph2Compound: entity precision, recall, F1 and Jaccard per paragraph, averaged over
//! paragraphs (macro), as the paper's notebook computes them. Items are split on the exact
//! separator ` | `; an empty answer is one empty (wrong) item.

use std::collections::HashSet;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CompoundScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub jaccard: f64,
    pub paragraphs: usize,
}

/// Scores one paragraph: TP counts distinct shared items, FP and FN count the remaining list
/// items (duplicates included), as the notebook does.
pub fn score_paragraph(gold: &str, pred: &str) -> CompoundScores {
    let gold_items: Vec<&str> = gold.split(" | ").collect();
    let pred_items: Vec<&str> = pred.split(" | ").collect();
    let gold_set: HashSet<&str> = gold_items.iter().copied().collect();
    let pred_set: HashSet<&str> = pred_items.iter().copied().collect();
    let tp = gold_set.intersection(&pred_set).count() as f64;
    let fp = pred_items.len() as f64 - tp;
    let fn_ = gold_items.len() as f64 - tp;
    let precision = if tp + fp == 0.0 { 0.0 } else { tp / (tp + fp) };
    let recall = if tp + fn_ == 0.0 { 0.0 } else { tp / (tp + fn_) };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let jaccard = tp / (tp + fp + fn_);
    CompoundScores {
        precision,
        recall,
        f1,
        jaccard,
        paragraphs: 1,
    }
}

/// The mean of per-paragraph scores over `(gold, prediction)` pairs; no scores for no pairs.
pub fn score(pairs: &[(String, String)]) -> Option<CompoundScores> {
    let n = pairs.len();
    if n == 0 {
        return None;
    }
    let mut total = CompoundScores::default();
    for (gold, pred) in pairs {
        let s = score_paragraph(gold, pred);
        total.precision += s.precision;
        total.recall += s.recall;
        total.f1 += s.f1;
        total.jaccard += s.jaccard;
    }
    let n_f = n as f64;
    Some(CompoundScores {
        precision: total.precision / n_f,
        recall: total.recall / n_f,
        f1: total.f1 / n_f,
        jaccard: total.jaccard / n_f,
        paragraphs: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_count_as_the_notebook_counts_them() {
        let s = score_paragraph("a | b | a", "a | c");
        // TP 1, FP 1, FN 2.
        assert_eq!((s.precision, s.recall), (0.5, 1.0 / 3.0));
        assert!((s.jaccard - 0.25).abs() < 1e-12);
        let empty = score_paragraph("a", "");
        assert_eq!((empty.precision, empty.recall, empty.f1), (0.0, 0.0, 0.0));
    }

    #[test]
    fn macro_average_is_mean_of_rows() {
        let s = score(&[("a".into(), "a".into()), ("a | b".into(), "c".into())]).unwrap();
        assert_eq!(s.f1, 0.5);
        assert_eq!(s.paragraphs, 2);
    }
}
