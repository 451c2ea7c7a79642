//! The task's measures for one paragraph: a run against the corrected gold, or two runs against
//! each other (the workbench's comparison).

use super::doping::{self, DopingGraph, DopingPair};
use super::{action, compound, fields, nerre, roles};
use crate::metrics::doping::DopingSchema;
use crate::task::{MetricSet, Task};

/// (measure, value) for `pred` against `gold`, both in the task's canonical text; no value where
/// the measure has nothing to measure (both sides empty).
pub fn score_pair(task: &Task, gold: &str, pred: &str, paragraph: &str) -> Vec<(String, Option<f64>)> {
    let pair = || vec![(gold.to_string(), pred.to_string())];
    let named = |items: &[(&str, Option<f64>)]| items.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    match task.metrics {
        MetricSet::Generic => {
            let parse = |text: &str| task.parse(text).unwrap_or_default();
            let order: Vec<String> = task.fields.iter().map(|f| f.name.clone()).collect();
            let s = super::generic::score(&[(parse(gold), parse(pred))], &order);
            named(&[
                ("field F1", s.all.exact.f1()),
                ("normalised F1", s.all.normalized.f1()),
                ("record F1", s.records.f1()),
                ("exact", s.exact_match()),
            ])
        }
        MetricSet::Compound => {
            let s = compound::score_paragraph(gold, pred);
            named(&[
                ("precision", Some(s.precision)),
                ("recall", Some(s.recall)),
                ("F1", Some(s.f1)),
                ("Jaccard", Some(s.jaccard)),
            ])
        }
        MetricSet::Roles => {
            let plain = crate::format::strip_tags(gold).unwrap_or_else(|_| paragraph.to_string());
            let sentence = roles::RoleSentence {
                input: &plain,
                gold_labels: roles::bio_labels(gold),
                prediction: Some(pred),
            };
            let (raw, _) = roles::score(&[sentence]);
            named(&[
                ("tag precision", raw.precision),
                ("tag recall", raw.recall),
                ("tag F1", raw.f1),
            ])
        }
        MetricSet::MofSynthesis => {
            let s = fields::score_mof(&pair());
            named(&[("mean Levenshtein", s.mean_levenshtein), ("mean exact", s.mean_exact)])
        }
        MetricSet::Nmr => {
            let (g, p) = (fields::nmr_cells(gold), fields::nmr_cells(pred));
            let gold_cols = g.into_iter().map(|c| vec![c]).collect();
            let pred_cols = p.into_iter().map(|c| vec![c]).collect();
            let s = fields::score_columns(&fields::NMR_FIELDS, &gold_cols, &pred_cols);
            named(&[("mean Levenshtein", s.mean_levenshtein), ("mean exact", s.mean_exact)])
        }
        MetricSet::Action => {
            let s = action::score(&pair());
            named(&[
                ("Levenshtein", s.map(|s| s.levenshtein)),
                ("exact", s.map(|s| s.exact)),
                ("modified BLEU", s.map(|s| s.modified_bleu)),
            ])
        }
        MetricSet::DopingEnglish | MetricSet::DopingEnglishExtra | MetricSet::DopingJson => {
            let schema = DopingSchema::for_metrics(task.metrics);
            let graph = |text: &str| match schema {
                DopingSchema::Json => serde_json::from_str(text)
                    .map(|v| DopingGraph::from_json(&v))
                    .unwrap_or_default(),
                _ => doping::decode_english(text),
            };
            let pair = DopingPair {
                gold: graph(gold),
                gold_completion: gold.into(),
                pred: graph(pred),
                pred_completion: pred.into(),
            };
            let s = doping::score(&[pair], schema);
            let mut out: Vec<(String, Option<f64>)> = s
                .categories
                .iter()
                .map(|(n, p)| (format!("{n} F1"), p.map(|p| p.f1)))
                .collect();
            out.push(("link triplets F1".into(), s.triplets.map(|p| p.f1)));
            out
        }
        MetricSet::NerreGeneral | MetricSet::NerreMof => {
            let schema = if task.metrics == MetricSet::NerreGeneral {
                nerre::GENERAL
            } else {
                nerre::MOF
            };
            let sample = nerre::NerreSample {
                prompt: paragraph.into(),
                completion: gold.into(),
                llm_completion: pred.into(),
            };
            match nerre::score_folds(&[vec![sample]], schema) {
                Ok(s) => {
                    let mut out: Vec<(String, Option<f64>)> = s
                        .entities
                        .iter()
                        .map(|(n, p)| (format!("{n} F1"), p.map(|p| p.f1)))
                        .collect();
                    out.push(("exact".into(), s.exact));
                    out
                }
                Err(_) => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Registry;

    #[test]
    fn a_correct_answer_beats_an_empty_one_for_every_task() {
        let registry = Registry::builtin();
        for task in &registry.tasks {
            let path = format!("{}/sample_paragraphs/{}.jsonl", env!("CARGO_MANIFEST_DIR"), task.name);
            let sample = std::fs::read_to_string(path).unwrap();
            let line: serde_json::Value = serde_json::from_str(sample.lines().next().unwrap()).unwrap();
            let (gold, text) = (line["gold"].as_str().unwrap(), line["text"].as_str().unwrap());
            let same = score_pair(task, gold, gold, text);
            let empty = score_pair(task, gold, "", text);
            assert_eq!(same.len(), empty.len(), "{}", task.name);
            assert!(!same.is_empty(), "{}", task.name);
            assert!(
                same.iter()
                    .zip(&empty)
                    .all(|(a, b)| a.1.unwrap_or(0.0) >= b.1.unwrap_or(0.0)),
                "{}: {same:?} vs {empty:?}",
                task.name
            );
            assert!(
                same.iter()
                    .zip(&empty)
                    .any(|(a, b)| a.1.unwrap_or(0.0) > b.1.unwrap_or(0.0)),
                "{}: {same:?} vs {empty:?}",
                task.name
            );
        }
    }
}
