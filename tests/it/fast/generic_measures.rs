//! The generic measures: hand-worked small cases with their numbers written here, gold against
//! itself, and on a paper's JSON task the field F1 against a reference computed independently
//! (records paired by trying every assignment).

use crate::common;

use retort::extraction::{Extraction, Field, Record, Value};
use retort::metrics::generic::{pair_records, score};

fn record(fields: &[(&str, &[&str])]) -> Record {
    Record::new(
        fields
            .iter()
            .map(|(name, values)| Field::values(*name, values.iter().map(|v| Value::new(*v)).collect()))
            .collect(),
    )
}

fn answer(records: Vec<Record>) -> Extraction {
    Extraction::from_records(records)
}

fn close(a: impl Into<Option<f64>>, b: f64) {
    let a = a.into().expect("a score, not none");
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
}

fn order() -> Vec<String> {
    vec!["polymer".into(), "tg".into(), "solvents".into()]
}

#[test]
fn a_list_field_missing_and_extra_values() {
    // Gold: Tg 105 °C, solvents THF and toluene. Prediction: Tg right, THF, and water (wrong),
    // the polymer field missing.
    let gold = answer(vec![record(&[
        ("polymer", &["PS"]),
        ("tg", &["105 °C"]),
        ("solvents", &["THF", "toluene"]),
    ])]);
    let pred = answer(vec![record(&[("tg", &["105 °C"]), ("solvents", &["THF", "water"])])]);
    let s = score(&[(gold, pred)], &order());
    let fields: Vec<(&str, usize, usize, usize)> = s
        .fields
        .iter()
        .map(|(n, f)| (n.as_str(), f.exact.tp, f.exact.fp, f.exact.fn_))
        .collect();
    assert_eq!(fields, [("polymer", 0, 0, 1), ("tg", 1, 0, 0), ("solvents", 1, 1, 1)]);
    // All fields: tp 2, fp 1, fn 2 → P 2/3, R 2/4, F1 4/7.
    close(s.all.exact.precision(), 2.0 / 3.0);
    close(s.all.exact.recall(), 0.5);
    close(s.all.exact.f1(), 4.0 / 7.0);
    // The one record is not exactly right: record P = R = 0; the paragraph is not an exact match.
    close(s.records.precision(), 0.0);
    close(s.records.recall(), 0.0);
    close(s.exact_match(), 0.0);
    // Similarity: polymer "PS" vs "" → 0, tg 1, solvents "THF | toluene" vs "THF | water".
    let solvents = strsim::normalized_levenshtein("THF | toluene", "THF | water");
    close(s.fields[2].1.similarity(), solvents);
    close(s.all.similarity(), (0.0 + 1.0 + solvents) / 3.0);
}

#[test]
fn reordered_records_are_paired_and_an_extra_one_counts_against_precision() {
    let a = record(&[("polymer", &["PS"]), ("tg", &["105 °C"])]);
    let b = record(&[("polymer", &["PMMA"]), ("tg", &["120 °C"])]);
    let c = record(&[("polymer", &["PVC"]), ("tg", &["80 °C"])]);
    let gold = answer(vec![a.clone(), b.clone()]);
    let pred = answer(vec![b.clone(), c, a.clone()]);
    assert_eq!(
        pair_records(&gold.records, &pred.records),
        [(Some(0), Some(2)), (Some(1), Some(0)), (None, Some(1))]
    );
    let s = score(&[(gold, pred)], &order());
    // Fields: 4 right, 2 extra (PVC, 80 °C) → P 4/6, R 1.
    close(s.all.exact.precision(), 4.0 / 6.0);
    close(s.all.exact.recall(), 1.0);
    // Records: 2 of 3 predicted right, both gold found.
    close(s.records.precision(), 2.0 / 3.0);
    close(s.records.recall(), 1.0);
    close(s.exact_match(), 0.0);
    // The same records in another order score 1 on fields and records, but are not the same answer.
    let s = score(&[(answer(vec![a.clone(), b.clone()]), answer(vec![b, a]))], &order());
    close(s.all.exact.f1(), 1.0);
    close(s.records.f1(), 1.0);
    close(s.exact_match(), 0.0);
}

#[test]
fn normalised_values_match_where_exact_ones_do_not() {
    let gold = answer(vec![record(&[("solvents", &["Ethanol", "N,N–dimethylformamide"])])]);
    let pred = answer(vec![record(&[("solvents", &["ethanol", "N,N-dimethylformamide "])])]);
    let s = score(&[(gold, pred)], &order());
    close(s.all.exact.f1(), 0.0);
    close(s.all.normalized.f1(), 1.0);
}

#[test]
fn gold_against_itself_is_one_everywhere() {
    let (paragraph, gold) = common::sample("mof-synthesis");
    let registry = retort::task::Registry::builtin();
    let task = registry.get("mof-synthesis").unwrap();
    let extraction = task.parse_grounded(&gold, &paragraph).unwrap();
    let s = score(&[(extraction.clone(), extraction)], &[]);
    for (_, field) in &s.fields {
        // A field present in name only (no value on either side) has no score.
        if field.exact.tp > 0 {
            close(field.exact.f1(), 1.0);
        } else {
            assert_eq!(field.exact.f1(), None);
        }
        close(field.similarity(), 1.0);
    }
    close(s.records.f1(), 1.0);
    close(s.exact_match(), 1.0);
    // And through `retort eval` with the generic measures on a built-in task's file.
    let path = common::data("chemsci2024/mof-synthesis/train_329.csv");
    let (examples, _) = retort::input::read_examples(&path, task).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let predictions = dir.path().join("self.jsonl");
    let lines: Vec<String> = examples
        .iter()
        .map(|e| serde_json::json!({"id": e.id, "raw": e.gold}).to_string())
        .collect();
    std::fs::write(&predictions, lines.join("\n")).unwrap();
    let request = retort::eval::EvalRequest {
        task,
        gold: Some(&path),
        predictions: std::slice::from_ref(&predictions),
        strict: true,
        scoring: retort::eval::Scoring {
            lowercase: false,
            generic: true,
        },
    };
    let report = retort::eval::evaluate(&request).unwrap().remove(0);
    assert_eq!(report.count("paragraphs"), Some(examples.len()));
    close(
        report
            .table("fields (micro over paragraphs)")
            .unwrap()
            .get("all fields", "f1")
            .unwrap(),
        1.0,
    );
    close(report.table("records").unwrap().get("records", "f1").unwrap(), 1.0);
    close(
        report.table("paragraphs").unwrap().get("exact match", "value").unwrap(),
        1.0,
    );
}

/// Field values of a NERRE general answer (a JSON list of entries), by field.
fn entries(text: &str) -> Vec<Vec<(String, Vec<String>)>> {
    let json: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or(serde_json::Value::Array(Vec::new()));
    json.as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.as_object())
        .map(|entry| {
            entry
                .iter()
                .map(|(key, value)| {
                    let values: Vec<String> = match value {
                        serde_json::Value::String(s) if !s.is_empty() => vec![s.clone()],
                        serde_json::Value::Array(items) => {
                            items.iter().filter_map(|i| i.as_str().map(String::from)).collect()
                        }
                        _ => Vec::new(),
                    };
                    (key.clone(), values)
                })
                .collect()
        })
        .collect()
}

fn shared(a: &[String], b: &[String]) -> usize {
    let mut left: Vec<&String> = a.iter().collect();
    b.iter()
        .filter(|v| left.iter().position(|x| x == v).map(|i| left.swap_remove(i)).is_some())
        .count()
}

fn permutations(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for rest in permutations(n, k - 1) {
        for i in 0..n {
            if !rest.contains(&i) {
                let mut p = rest.clone();
                p.push(i);
                out.push(p);
            }
        }
    }
    out
}

/// The generic field F1 of `texts` (gold, prediction) and its reference, over answers of at
/// most 5 entries (so that every assignment can be tried).
fn field_f1_and_reference(task_name: &str, texts: &[(String, String)]) -> (f64, f64, usize) {
    let registry = retort::task::Registry::builtin();
    let task = registry.get(task_name).unwrap();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut pairs = Vec::new();
    for (gold_text, pred_text) in texts {
        let (gold_text, pred_text) = (gold_text.as_str(), pred_text.as_str());
        let (gold, pred) = (entries(gold_text), entries(pred_text));
        // Small answers only, so that every assignment can be tried.
        if gold.len() > 5 || pred.len() > 5 {
            continue;
        }
        let agree = |g: &[(String, Vec<String>)], p: &[(String, Vec<String>)]| -> usize {
            let norm = |v: &[String]| v.iter().map(|t| retort::ground::normalize(t)).collect::<Vec<_>>();
            g.iter()
                .map(|(k, gv)| {
                    p.iter()
                        .find(|(pk, _)| pk == k)
                        .map_or(0, |(_, pv)| shared(&norm(gv), &norm(pv)))
                })
                .sum()
        };
        let (small, large, gold_small) = if gold.len() <= pred.len() {
            (&gold, &pred, true)
        } else {
            (&pred, &gold, false)
        };
        let best = permutations(large.len(), small.len())
            .into_iter()
            .max_by_key(|perm| {
                perm.iter()
                    .enumerate()
                    .map(|(i, &j)| {
                        if gold_small {
                            agree(&small[i], &large[j])
                        } else {
                            agree(&large[j], &small[i])
                        }
                    })
                    .sum::<usize>()
            })
            .unwrap_or_default();
        let mut gold_used = vec![false; gold.len()];
        let mut pred_used = vec![false; pred.len()];
        for (i, &j) in best.iter().enumerate() {
            let (g, p) = if gold_small { (i, j) } else { (j, i) };
            if agree(&gold[g], &pred[p]) == 0 {
                continue;
            }
            gold_used[g] = true;
            pred_used[p] = true;
            for (key, gv) in &gold[g] {
                let pv = pred[p]
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                let t = shared(gv, &pv);
                tp += t;
                fn_ += gv.len() - t;
                fp += pv.len() - t;
            }
            for (key, pv) in &pred[p] {
                if !gold[g].iter().any(|(k, _)| k == key) {
                    fp += pv.len();
                }
            }
        }
        fn_ += gold
            .iter()
            .zip(&gold_used)
            .filter(|(_, u)| !**u)
            .map(|(e, _)| e.iter().map(|(_, v)| v.len()).sum::<usize>())
            .sum::<usize>();
        fp += pred
            .iter()
            .zip(&pred_used)
            .filter(|(_, u)| !**u)
            .map(|(e, _)| e.iter().map(|(_, v)| v.len()).sum::<usize>())
            .sum::<usize>();
        let parse = |t: &str| task.parse(t).unwrap_or_default();
        pairs.push((parse(gold_text), parse(pred_text)));
    }
    let reference = 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64;
    (
        score(&pairs, &[]).all.exact.f1().unwrap_or(f64::NAN),
        reference,
        pairs.len(),
    )
}

fn trimmed(value: &serde_json::Value) -> String {
    value
        .as_str()
        .unwrap_or_default()
        .trim_end_matches("\n\nEND\n\n")
        .to_string()
}

#[test]
fn generic_field_f1_on_the_nerre_general_predictions_equals_an_independent_reference() {
    let lines = common::read_jsonl(&common::data("natcomm2024/general/predictions_gpt3_run_0.jsonl"));
    let texts: Vec<(String, String)> = lines
        .iter()
        .map(|l| (trimmed(&l["completion"]), trimmed(&l["llm_completion"])))
        .collect();
    let (f1, reference, compared) = field_f1_and_reference("general-materials", &texts);
    assert!(compared > 50, "{compared} abstracts compared");
    close(f1, reference);
    println!("generic field F1 on {compared} abstracts: {reference:.4}");
}

/// The NERRE MOF annotations against a damaged copy: the last entry dropped and the first
/// entry's descriptions removed.
#[test]
fn generic_field_f1_on_damaged_nerre_mof_annotations_equals_an_independent_reference() {
    let lines = common::read_jsonl(&common::data("natcomm2024/mof/fold_0/val.jsonl"));
    let texts: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            let gold = trimmed(&l["completion"]);
            let mut damaged: serde_json::Value = serde_json::from_str(gold.trim()).unwrap_or_default();
            if let Some(entries) = damaged.as_array_mut() {
                entries.pop();
                if let Some(first) = entries.first_mut().and_then(|e| e.as_object_mut()) {
                    first.remove("mof_description");
                }
            }
            (gold, damaged.to_string())
        })
        .collect();
    let (f1, reference, compared) = field_f1_and_reference("mof-nerre", &texts);
    assert!(compared > 10, "{compared} abstracts compared");
    assert!(reference < 1.0);
    close(f1, reference);
    println!("generic field F1 on {compared} damaged MOF abstracts: {reference:.4}");
}
