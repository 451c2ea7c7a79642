//! A score over nothing is no score: every measure gives "—" / null on empty input instead of a
//! perfect or a zero figure, and `eval` and `curve` say why and fail.

use crate::common;

use proptest::prelude::*;
use retort::eval::{AnswerPair, Report, score_answers};
use retort::extraction::{Extraction, Field, FieldContent, Record, Value};
use retort::metrics::generic;
use retort::task::Registry;
use std::path::Path;

fn cells(report: &Report) -> Vec<(String, String, Option<f64>)> {
    report
        .tables
        .iter()
        .flat_map(|t| {
            t.rows
                .iter()
                .flat_map(move |(row, values)| values.iter().map(move |v| (t.title.clone(), row.clone(), *v)))
        })
        .collect()
}

#[test]
fn every_measure_of_every_task_is_no_score_over_no_paragraph() {
    for task in &Registry::builtin().tasks {
        let report = score_answers(task, "nothing", &[]).unwrap();
        let cells = cells(&report);
        assert!(!cells.is_empty(), "{}: no table at all", task.name);
        let numbers: Vec<_> = cells.iter().filter(|c| c.2.is_some()).collect();
        assert!(numbers.is_empty(), "{}: figures over nothing: {numbers:?}", task.name);
    }
}

#[test]
fn a_paragraph_with_nothing_on_either_side_has_no_generic_score() {
    let empty = (Extraction::default(), Extraction::default());
    let s = generic::score(&[empty], &["compound".to_string()]);
    assert_eq!(s.all.exact.f1(), None);
    assert_eq!(s.all.similarity(), None);
    assert_eq!(s.records.precision(), None);
    // One paragraph was scored, and its (empty) answers are identical.
    assert_eq!(s.exact_match(), Some(1.0));
    assert_eq!(generic::score(&[], &[]).exact_match(), None);
}

fn record(fields: &[(&str, Vec<String>)]) -> Record {
    Record {
        fields: fields
            .iter()
            .map(|(name, values)| Field {
                name: name.to_string(),
                content: FieldContent::Values(
                    values
                        .iter()
                        .map(|t| Value {
                            text: t.clone(),
                            span: None,
                            alignment: Default::default(),
                            confidence: None,
                        })
                        .collect(),
                ),
                list: true,
            })
            .collect(),
    }
}

fn extraction() -> impl Strategy<Value = Extraction> {
    let values = prop::collection::vec(prop::sample::select(vec!["LiOH", "NaCl", "water", ""]), 0..3)
        .prop_map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
    prop::collection::vec((values.clone(), values), 0..3).prop_map(|records| Extraction {
        records: records
            .into_iter()
            .map(|(a, b)| record(&[("compound", a), ("solvent", b)]))
            .collect(),
        annotated_text: None,
    })
}

fn in_unit(value: Option<f64>) -> bool {
    value.is_none_or(|v| (0.0..=1.0).contains(&v))
}

proptest! {
    /// Any figure the generic measures give lies in [0, 1] (never NaN); a field that no record
    /// holds a value of, on either side, has no score; `temperature` is never held.
    #[test]
    fn generic_figures_are_shares_or_none(pairs in prop::collection::vec((extraction(), extraction()), 0..4)) {
        let s = generic::score(&pairs, &["compound".into(), "solvent".into(), "temperature".into()]);
        prop_assert!(!s.fields.iter().any(|(name, _)| name == "temperature"));
        for (_, f) in s.fields.iter().chain([(String::new(), s.all.clone())].iter()) {
            for v in [f.exact.precision(), f.exact.recall(), f.exact.f1(), f.normalized.f1(), f.similarity()] {
                prop_assert!(in_unit(v), "{v:?}");
            }
            let held = f.exact.tp + f.exact.fp + f.exact.fn_;
            prop_assert_eq!(f.exact.f1().is_none(), held == 0);
        }
        prop_assert_eq!(s.exact_match().is_none(), pairs.is_empty());
    }

    /// The papers' measures give figures in [0, 1] over any answers, and none over no answer.
    #[test]
    fn every_task_scores_shares_or_none(answers in prop::collection::vec(("[a-z |]{0,12}", "[a-z |]{0,12}"), 0..4)) {
        for task in &Registry::builtin().tasks {
            let pairs: Vec<AnswerPair> = answers
                .iter()
                .enumerate()
                .map(|(i, (gold, prediction))| AnswerPair {
                    id: i.to_string(),
                    paragraph: gold.clone(),
                    gold: gold.clone(),
                    prediction: prediction.clone(),
                })
                .collect();
            let report = match score_answers(task, "prop", &pairs) {
                Ok(report) => report,
                // Only the NERRE JSON measures refuse, and only a gold that is not JSON.
                Err(e) => {
                    let json_task = matches!(task.format, retort::format::Format::Json { .. });
                    let gold_not_json = pairs.iter().any(|p| serde_json::from_str::<serde_json::Value>(&p.gold).is_err());
                    prop_assert!(json_task && gold_not_json, "{}: {e}", task.name);
                    continue;
                }
            };
            for (table, row, value) in cells(&report) {
                prop_assert!(in_unit(value), "{} {table} {row}: {value:?}", task.name);
                prop_assert!(!value.is_some_and(f64::is_nan), "{} {table} {row}: NaN", task.name);
                if pairs.is_empty() {
                    prop_assert!(value.is_none(), "{} {table} {row}: {value:?} over nothing", task.name);
                }
            }
        }
    }
}

fn write(dir: &Path, name: &str, lines: &[serde_json::Value]) -> std::path::PathBuf {
    let path = dir.join(name);
    let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// A gold file and a prediction file with no id in common.
fn disjoint(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let gold = write(
        dir,
        "gold.jsonl",
        &[
            serde_json::json!({"id": "p-1", "text": "LiOH was added.", "answer": "LiOH"}),
            serde_json::json!({"id": "p-2", "text": "NaCl was added.", "answer": "NaCl"}),
        ],
    );
    let pred = write(
        dir,
        "pred.jsonl",
        &[
            serde_json::json!({"id": "q-1", "raw": "LiOH"}),
            serde_json::json!({"id": "q-2", "raw": "NaCl"}),
        ],
    );
    (gold, pred)
}

#[test]
fn eval_with_no_id_in_common_prints_no_figure_says_why_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (gold, pred) = disjoint(dir.path());
    for (generic, format) in [(true, "table"), (true, "json"), (false, "table"), (false, "json")] {
        let mut command = common::retort_in(dir.path());
        command
            .args(["eval", "--task", "compound", "--format", format, "--gold"])
            .arg(&gold)
            .arg("--pred")
            .arg(&pred);
        if generic {
            command.arg("--generic");
        }
        let out = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{generic} {format}: {stdout}{stderr}");
        assert!(
            stderr.contains("no id in common") && stderr.contains("p-1") && stderr.contains("q-1"),
            "{stderr}"
        );
        if format == "json" {
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let numbers: Vec<_> = json["tables"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|t| t.as_object().unwrap().values())
                .flat_map(|row| row.as_object().unwrap().values())
                .filter(|v| !v.is_null())
                .collect();
            assert!(numbers.is_empty(), "{json}");
            assert!(json["nothing_scored"].as_str().unwrap().contains("no id in common"));
        } else {
            assert!(!stdout.contains("1.0000") && !stdout.contains("0.0000"), "{stdout}");
            assert!(stdout.contains('—'), "{stdout}");
        }
    }
}

#[test]
fn a_curve_point_with_nothing_scored_is_not_plotted_and_the_command_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (gold, pred) = disjoint(dir.path());
    let matching = write(
        dir.path(),
        "good.jsonl",
        &[serde_json::json!({"id": "p-1", "raw": "LiOH"})],
    );
    let out = common::retort_in(dir.path())
        .args(["curve", "--task", "compound", "--format", "json", "--out"])
        .arg(dir.path().join("plot"))
        .arg("--gold")
        .arg(&gold)
        .arg(format!("model@10={}", pred.display()))
        .arg(format!("model@100={}", matching.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("pred.jsonl") && stderr.contains("no id in common"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["points"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.is_null()),
        "{json}"
    );
    assert_eq!(json["points"][1]["values"][2], 1.0, "{json}");
}
