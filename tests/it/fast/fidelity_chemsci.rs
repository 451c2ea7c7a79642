//! The Chem. Sci. measures against the paper's own evaluation notebooks. The repository ships no
//! recorded predictions, so `tests/fixtures/chemsci/` holds predictions made by perturbing gold
//! answers (`make_fixtures.py`); `expected.json` holds every figure the notebooks
//! (`evaluate_for_paragraph2compound`, `evaluate_Paragraph2Role`, `evaluate_llms_paragraph2MOFInfo_all`,
//! `evaluate_llms_Paragraph2NMR`, `evaluate_for_paragraph2action`) print on those files, as
//! `notebook_figures.py` computes them their way with pandas, seqeval, textdistance and nltk
//! (`slow::notebook_figures` runs it and holds the file to its output). Each task's report must
//! hold every figure and count of the file, to 1e-12; the tests below also pin a few by hand, so
//! that a file regenerated wrongly is noticed too.

use crate::common;

use retort::eval::Report;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/chemsci")
        .join(name)
}

/// Retort's report of `task` on the fixtures, checked against every figure of `expected.json`.
fn run(task: &str, gold: Option<&str>, pred: &str) -> Report {
    let report = common::eval_report(task, gold.map(fixture), vec![fixture(pred)]);
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap();
    let expected = &expected[task];
    let mut figures = 0;
    for (table, rows) in expected["tables"].as_object().unwrap() {
        for (row, columns) in rows.as_object().unwrap() {
            for (column, value) in columns.as_object().unwrap() {
                same(&report, table, row, column, value.as_f64().unwrap());
                figures += 1;
            }
        }
    }
    assert!(figures > 0, "expected.json has no figure for {task}");
    for (name, count) in expected["counts"].as_object().unwrap() {
        assert_eq!(report.count(name), count.as_u64().map(|c| c as usize), "{task}: {name}");
    }
    report
}

fn same(report: &Report, table: &str, row: &str, column: &str, expected: f64) {
    common::assert_figure(report, (table, row, column), expected, 1e-12);
}

#[test]
fn compound_matches_the_notebook() {
    let r = run("compound", None, "compound.csv");
    let t = "entities (macro over paragraphs)";
    same(&r, t, "compound", "precision", 0.7539672084451494);
    same(&r, t, "compound", "recall", 0.7489414866179571);
    same(&r, t, "compound", "f1", 0.7403094059162307);
    same(&r, t, "compound", "jaccard", 0.6675440531690532);
}

#[test]
fn roles_match_the_notebook_in_both_passes() {
    let r = run("rxn-role", None, "rxn-role.csv");
    let t = "tags (seqeval, micro)";
    same(&r, t, "as generated", "precision", 0.9266409266409267);
    same(&r, t, "as generated", "recall", 0.6837606837606838);
    same(&r, t, "as generated", "f1", 0.7868852459016393);
    same(&r, t, "re-aligned to input", "precision", 0.9320113314447592);
    same(&r, t, "re-aligned to input", "recall", 0.7393258426966293);
    same(&r, t, "re-aligned to input", "f1", 0.824561403508772);
    assert_eq!(r.count("kept as generated"), Some(89));
    assert_eq!(r.count("kept re-aligned"), Some(111));
}

#[test]
fn mof_matches_the_notebook_including_csv_typing() {
    let r = run("mof-synthesis", None, "mof-synthesis.csv");
    let t = "MOF fields";
    let expected = [
        ("compound name", 0.6688750862663908, 0.6571428571428571),
        ("metal source", 0.8074672946101519, 0.8),
        ("metal amount", 0.8, 0.8),
        ("linker", 0.803881252207628, 0.8),
        ("linker amount", 0.8, 0.8),
        ("modulator", 0.869996180290298, 0.8571428571428571),
        ("modulator amount or volume", 0.9285714285714286, 0.9285714285714286),
        ("solvent", 0.7423094133113748, 0.7142857142857143),
        ("solvent volume", 0.8, 0.8),
        ("reaction temperature", 0.8010785510785511, 0.8),
        ("reaction time", 0.7321428571428571, 0.6714285714285714),
        ("mean", 0.7958474603162436, 0.7844155844155843),
    ];
    for (field, lev, exact) in expected {
        same(&r, t, field, "levenshtein", lev);
        same(&r, t, field, "exact", exact);
    }
    assert_eq!(r.count("reactions"), Some(70));
}

#[test]
fn nmr_matches_the_notebook() {
    let r = run("nmr", Some("nmr-gold.csv"), "nmr.csv");
    let t = "NMR fields";
    same(&r, t, "IUPAC", "levenshtein", 0.9968423674608091);
    same(&r, t, "IUPAC", "exact", 0.8166666666666667);
    same(&r, t, "1H NMR data", "levenshtein", 0.9737657741798972);
    same(&r, t, "1H NMR data", "exact", 0.8);
    same(&r, t, "13C NMR conditions", "levenshtein", 0.8);
    same(&r, t, "13C NMR conditions", "exact", 0.8);
    same(&r, t, "13C NMR data", "exact", 1.0);
}

#[test]
fn action_matches_the_notebook() {
    let r = run("action", None, "action.csv");
    let t = "action sequences";
    same(&r, t, "modified BLEU", "value", 0.6833018389824617);
    same(&r, t, "BLEU-2", "value", 0.6760639883656984);
    same(&r, t, "Levenshtein similarity", "value", 0.6455504042357121);
    same(&r, t, "100% accuracy", "value", 0.3);
    same(&r, t, "90% accuracy", "value", 0.38);
    same(&r, t, "75% accuracy", "value", 0.52);
}
