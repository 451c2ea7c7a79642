//! Every gold record in the papers' data parses, and rendering the parse gives the canonical text
//! back. The known exceptions (the papers' own non-canonical records) are counted per file; a new
//! exception fails the test.

use crate::common;

use retort::input::read_examples;
use retort::task::Registry;

/// (task, file under shared/data, known exceptions).
const FILES: &[(&str, &str, usize)] = &[
    ("compound", "chemsci2024/compound/train_10.csv", 0),
    ("compound", "chemsci2024/compound/train_100.csv", 0),
    ("compound", "chemsci2024/compound/train_1000.csv", 0),
    ("compound", "chemsci2024/compound/valid_1000.csv", 0),
    ("compound", "chemsci2024/compound/test_1000.csv", 0),
    ("rxn-product", "chemsci2024/rxn-product/train.csv", 0),
    ("rxn-product", "chemsci2024/rxn-product/valid.csv", 0),
    ("rxn-product", "chemsci2024/rxn-product/test.csv", 0),
    ("rxn-role", "chemsci2024/rxn-role/train.csv", 0),
    ("rxn-role", "chemsci2024/rxn-role/valid.csv", 0),
    ("rxn-role", "chemsci2024/rxn-role/test.csv", 0),
    ("mof-synthesis", "chemsci2024/mof-synthesis/train_329.csv", 0),
    ("nmr", "chemsci2024/nmr/train_300.csv", 0),
    ("nmr", "chemsci2024/nmr/test_300.csv", 0),
    ("action", "chemsci2024/action/train_80.csv", 0),
    ("action", "chemsci2024/action/valid_10.csv", 0),
    ("action", "chemsci2024/action/test_10.csv", 0),
    ("doping-eng", "natcomm2024/doping/train.json", 0),
    ("doping-eng", "natcomm2024/doping/test.json", 0),
    ("doping-eng", "natcomm2024/doping/training_eng.jsonl", 0),
    ("doping-engextra", "natcomm2024/doping/train.json", 0),
    ("doping-engextra", "natcomm2024/doping/test.json", 0),
    ("doping-engextra", "natcomm2024/doping/training_engextra.jsonl", 0),
    ("doping-json", "natcomm2024/doping/train.json", 0),
    ("doping-json", "natcomm2024/doping/test.json", 0),
    ("doping-json", "natcomm2024/doping/training_json.jsonl", 0),
    ("general-materials", "natcomm2024/general/annotations.jsonl", 0),
    (
        "general-materials",
        "natcomm2024/general/manual_evaluation_set.jsonl",
        0,
    ),
    (
        "general-materials",
        "natcomm2024/general/predictions_gpt3_run_0.jsonl",
        0,
    ),
    ("general-materials", "natcomm2024/general/fold_0/train.jsonl", 0),
    ("general-materials", "natcomm2024/general/fold_0/val.jsonl", 0),
    ("general-materials", "natcomm2024/general/fold_1/train.jsonl", 0),
    ("general-materials", "natcomm2024/general/fold_1/val.jsonl", 0),
    ("general-materials", "natcomm2024/general/fold_2/train.jsonl", 0),
    ("general-materials", "natcomm2024/general/fold_2/val.jsonl", 0),
    ("mof-nerre", "natcomm2024/mof/annotations.jsonl", 0),
    ("mof-nerre", "natcomm2024/mof/fold_0/train.jsonl", 0),
    ("mof-nerre", "natcomm2024/mof/fold_0/val.jsonl", 0),
    ("mof-nerre", "natcomm2024/mof/fold_1/train.jsonl", 0),
    ("mof-nerre", "natcomm2024/mof/fold_1/val.jsonl", 0),
    ("mof-nerre", "natcomm2024/mof/fold_2/train.jsonl", 0),
    ("mof-nerre", "natcomm2024/mof/fold_2/val.jsonl", 0),
];

#[test]
fn every_gold_record_round_trips() {
    let registry = Registry::builtin();
    let mut failures = Vec::new();
    for (task_name, file, known) in FILES {
        let task = registry.get(task_name).expect("built-in task");
        let (examples, problems) = read_examples(&common::data(file), task).expect("readable file");
        assert!(problems.is_empty(), "{file}: {problems:?}");
        let mut checked = 0;
        let mut exceptions = Vec::new();
        for example in &examples {
            let Some(gold) = &example.gold else { continue };
            checked += 1;
            match task.parse(gold) {
                Ok(extraction) => {
                    let rendered = task.render(&extraction);
                    if &rendered != gold {
                        exceptions.push(format!(
                            "{}: render differs\n  gold: {gold:?}\n  back: {rendered:?}",
                            example.id
                        ));
                    }
                    // The editor's layout (JSON over several lines) is written back exactly.
                    let edited = task.render_for_editing(&extraction);
                    match task.parse(&edited).map(|e| task.render(&e)) {
                        Ok(back) if &back == gold => {}
                        other => exceptions.push(format!("{}: the editor's text gives {other:?}", example.id)),
                    }
                }
                Err(e) => exceptions.push(format!("{}: {e}\n  gold: {gold:?}", example.id)),
            }
        }
        println!(
            "{task_name:18} {file:55} {checked:6} records, {} exceptions",
            exceptions.len()
        );
        assert!(checked > 0, "{file}: no gold records read");
        if exceptions.len() != *known {
            failures.push(format!(
                "{file}: {} exceptions (known {known}):\n{}",
                exceptions.len(),
                exceptions.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Files without gold answers still read as paragraphs.
#[test]
fn unannotated_and_prediction_files_read() {
    let registry = Registry::builtin();
    for (task_name, file, expected) in [
        ("doping-eng", "natcomm2024/doping/raw_data.json", 193),
        (
            "doping-eng",
            "natcomm2024/doping/predictions/gpt3/inference_decoded_eng.json",
            80,
        ),
        (
            "doping-json",
            "natcomm2024/doping/predictions/gpt3/inference_raw_json.json",
            80,
        ),
    ] {
        let task = registry.get(task_name).unwrap();
        let (examples, problems) = read_examples(&common::data(file), task).unwrap();
        assert!(problems.is_empty());
        assert_eq!(examples.len(), expected, "{file}");
        assert!(examples.iter().all(|e| !e.input.is_empty()), "{file}: empty paragraph");
    }
}

/// The answers written from the annotated sentences are exactly the paper's training completions.
#[test]
fn doping_answers_match_the_training_files() {
    let registry = Registry::builtin();
    for (task_name, training) in [
        ("doping-eng", "natcomm2024/doping/training_eng.jsonl"),
        ("doping-engextra", "natcomm2024/doping/training_engextra.jsonl"),
        ("doping-json", "natcomm2024/doping/training_json.jsonl"),
    ] {
        let task = registry.get(task_name).unwrap();
        let (from_graph, _) = read_examples(&common::data("natcomm2024/doping/train.json"), task).unwrap();
        let (from_training, _) = read_examples(&common::data(training), task).unwrap();
        assert_eq!(from_graph.len(), from_training.len(), "{task_name}");
        for (a, b) in from_graph.iter().zip(&from_training) {
            assert_eq!(a.input, b.input, "{task_name}");
            assert_eq!(a.gold, b.gold, "{task_name}: {}", a.id);
        }
    }
}
