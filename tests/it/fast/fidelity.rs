//! The recorded predictions of the papers reproduce their published scores.

use crate::common;

use retort::eval::Report;

fn run(task: &str, gold: Option<&str>, preds: &[&str]) -> Report {
    common::eval_report(
        task,
        gold.map(common::data),
        preds.iter().map(|p| common::data(p)).collect(),
    )
}

fn close(report: &Report, table: &str, row: &str, column: &str, expected: f64) {
    common::assert_figure(report, (table, row, column), expected, 0.0005);
}

const ENTITIES: &str = "entities (word level, micro)";
const SEQUENCES: &str = "sequences";

/// `all_doping_results_output_summary.txt`: (basemats P R F1, dopants P R F1, triplets P R F1, exact, JW).
fn check_doping(task: &str, file: &str, expected: [f64; 11]) {
    let report = run(task, Some("natcomm2024/doping/test.json"), &[file]);
    assert_eq!(report.count("sentences"), Some(77));
    for (i, row) in ["basemats", "dopants", "link triplets"].iter().enumerate() {
        for (j, column) in ["precision", "recall", "f1"].iter().enumerate() {
            close(&report, ENTITIES, row, column, expected[i * 3 + j]);
        }
    }
    close(&report, SEQUENCES, "exact match", "value", expected[9]);
    close(&report, SEQUENCES, "Jaro-Winkler similarity", "value", expected[10]);
}

#[test]
fn gpt3_doping_json() {
    check_doping(
        "doping-json",
        "natcomm2024/doping/predictions/gpt3/inference_decoded_json.json",
        [
            0.8876, 0.8876, 0.8876, 0.7792, 0.7143, 0.7453, 0.7723, 0.6842, 0.7256, 0.6494, 0.9658,
        ],
    );
}

#[test]
fn gpt3_doping_english() {
    check_doping(
        "doping-eng",
        "natcomm2024/doping/predictions/gpt3/inference_decoded_eng.json",
        [
            0.8889, 0.8989, 0.8939, 0.8442, 0.7738, 0.8075, 0.8037, 0.7544, 0.7783, 0.5974, 0.9446,
        ],
    );
}

#[test]
fn gpt3_doping_english_extra() {
    let file = "natcomm2024/doping/predictions/gpt3/inference_decoded_engextra.json";
    check_doping(
        "doping-engextra",
        file,
        [
            0.8817, 0.9213, 0.9011, 0.8554, 0.8452, 0.8503, 0.8198, 0.7982, 0.8089, 0.5844, 0.9387,
        ],
    );
    let report = run("doping-engextra", Some("natcomm2024/doping/test.json"), &[file]);
    close(&report, ENTITIES, "results", "f1", 0.6897);
    close(&report, ENTITIES, "doping_modifiers", "f1", 0.2069);
}

#[test]
fn gpt3_general_fold_0() {
    let report = run(
        "general-materials",
        None,
        &["natcomm2024/general/predictions_gpt3_run_0.jsonl"],
    );
    let entities = "entities (word level, mean over folds)";
    let links = "links (mean over folds with links)";
    close(&report, entities, "formula", "f1", 0.6633);
    close(&report, entities, "formula", "precision", 0.825);
    close(&report, entities, "formula", "recall", 0.5546);
    close(&report, entities, "applications", "f1", 0.7104);
    close(&report, entities, "description", "f1", 0.4593);
    close(&report, entities, "name", "f1", 0.5556);
    close(&report, entities, "acronym", "f1", 0.64);
    close(&report, entities, "structure_or_phase", "f1", 0.6322);
    close(&report, links, "formula|||applications", "f1", 0.6927);
    close(&report, links, "formula|||description", "f1", 0.3158);
    close(&report, links, "formula|||name", "f1", 0.1481);
    close(&report, links, "formula|||structure_or_phase", "f1", 0.5439);
    close(&report, links, "formula|||acronym", "f1", 0.0);
    close(&report, SEQUENCES, "exact match", "value", 0.3387);
    close(&report, SEQUENCES, "Jaro-Winkler similarity", "value", 0.9519);
    close(&report, SEQUENCES, "parsable", "value", 1.0);
}

/// `--lowercase` (the scorer's `--enforce-lowercase`): a model that writes every host and dopant
/// in lowercase (as seq2rel does) scores as low as its case mismatches without it, and with it
/// at least as well as the same predictions in their original case.
#[test]
fn lowercase_scores_a_lowercasing_model_as_the_paper_does() {
    let dir = tempfile::tempdir().unwrap();
    let lowered = common::lowercased_doping_predictions(dir.path());
    let registry = retort::task::Registry::builtin();
    let score = |lowercase: bool| {
        let request = retort::eval::EvalRequest {
            task: registry.get("doping-eng").unwrap(),
            gold: Some(&common::data("natcomm2024/doping/test.json")),
            predictions: std::slice::from_ref(&lowered),
            strict: true,
            scoring: retort::eval::Scoring {
                lowercase,
                generic: false,
            },
        };
        retort::eval::evaluate(&request).unwrap().remove(0)
    };
    let f1 = |report: &Report, row: &str| report.table(ENTITIES).unwrap().get(row, "f1").unwrap();
    let (plain, lowered) = (score(false), score(true));
    assert!(f1(&plain, "link triplets") < 0.5, "{}", f1(&plain, "link triplets"));
    assert!(
        f1(&lowered, "basemats") >= 0.8939 - 0.0005,
        "{}",
        f1(&lowered, "basemats")
    );
    assert!(
        f1(&lowered, "link triplets") >= 0.7783 - 0.0005,
        "{}",
        f1(&lowered, "link triplets")
    );
    // Only for the doping tasks.
    let registry = retort::task::Registry::builtin();
    let request = retort::eval::EvalRequest {
        task: registry.get("compound").unwrap(),
        gold: None,
        predictions: &[common::data("chemsci2024/compound/test_1000.csv")],
        strict: true,
        scoring: retort::eval::Scoring {
            lowercase: true,
            generic: false,
        },
    };
    assert!(
        retort::eval::evaluate(&request)
            .unwrap_err()
            .to_string()
            .contains("doping")
    );
}
