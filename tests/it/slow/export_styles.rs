//! Fine-tuning exports from the papers' training files imported into the store: every style of
//! every built-in task field by field, the Chem. Sci. text string, the NERRE prompt/completion
//! files line for line, splits, nested sizes, the leak check, the manifest and the stanzas, and
//! (with Python's `datasets`) that each file loads as it is.

use crate::common;

use retort::dataset::export::{ExportPlan, ExportStyle, export_dir, parse_shares};
use retort::dataset::store::{SavedExample, Store};
use retort::input::read_examples;
use retort::task::{FineTunedStyle, Registry, Task};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

const ALL: [ExportStyle; 7] = [
    ExportStyle::Chat,
    ExportStyle::Completion,
    ExportStyle::Text,
    ExportStyle::Sharegpt,
    ExportStyle::Alpaca,
    ExportStyle::DpoOpenai,
    ExportStyle::DpoTrl,
];

/// (task, a training file) for every built-in task.
const TRAINING: &[(&str, &str)] = &[
    ("compound", "chemsci2024/compound/train_10.csv"),
    ("rxn-product", "chemsci2024/rxn-product/valid.csv"),
    ("rxn-role", "chemsci2024/rxn-role/valid.csv"),
    ("mof-synthesis", "chemsci2024/mof-synthesis/train_329.csv"),
    ("nmr", "chemsci2024/nmr/train_300.csv"),
    ("action", "chemsci2024/action/train_80.csv"),
    ("doping-eng", "natcomm2024/doping/training_eng.jsonl"),
    ("doping-engextra", "natcomm2024/doping/training_engextra.jsonl"),
    ("doping-json", "natcomm2024/doping/training_json.jsonl"),
    ("general-materials", "natcomm2024/general/fold_0/train.jsonl"),
    ("mof-nerre", "natcomm2024/mof/fold_0/train.jsonl"),
];

/// The file's gold examples as saved examples; every third carries a model run that differs
/// (for the preference styles).
fn import(task: &Task, file: &Path) -> Vec<SavedExample> {
    let (examples, problems) = read_examples(file, task).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    examples
        .into_iter()
        .filter_map(|e| {
            let answer = e.gold?;
            let extraction = task.parse(&answer).ok()?;
            Some((e.id, e.input, answer, extraction))
        })
        .enumerate()
        .map(|(i, (id, paragraph, answer, extraction))| SavedExample {
            id,
            task: task.name.clone(),
            runs: if i % 3 == 0 {
                vec![serde_json::json!({"answer": "a wrong answer", "extraction": null})]
            } else {
                Vec::new()
            },
            paragraph,
            answer,
            extraction,
            saved_at: String::new(),
            provenance: "test".into(),
            source_id: None,
        })
        .collect()
}

fn lines(path: &Path) -> Vec<Json> {
    common::read_jsonl(path)
}

fn plan(split: &str) -> ExportPlan {
    ExportPlan {
        styles: ALL.to_vec(),
        shares: parse_shares(split).unwrap(),
        seed: 1,
        sizes: Vec::new(),
        exclude: Vec::new(),
    }
}

fn text(value: &Json) -> &str {
    value.as_str().expect("a string")
}

#[test]
fn every_style_of_every_task_has_its_trainer_shape() {
    let registry = Registry::builtin();
    for (name, file) in TRAINING {
        let task = registry.get(name).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("examples"));
        let mut examples = import(task, &common::data(file));
        store.append_all(&examples).unwrap();
        let out = dir.path().join("export");
        let report = export_dir(&store, task, &plan("train=1"), &out).unwrap();
        assert_eq!(report.files.len(), ALL.len(), "{name}");
        // A paragraph saved twice is one example: the later save.
        let mut seen = std::collections::HashSet::new();
        examples.reverse();
        examples.retain(|e| seen.insert(retort::dataset::export::split::normalize(&e.paragraph)));
        assert_eq!(report.examples[0].1, examples.len(), "{name}");
        let template = &task.prompt.fine_tuned;
        let chat_style = template.style == FineTunedStyle::Chat;
        let chat = lines(&out.join("train.chat.jsonl"));
        assert_eq!(chat.len(), examples.len(), "{name}");
        let messages = chat[0]["messages"].as_array().unwrap();
        // The files are in the split's seeded order: the first line is some example.
        let user = messages.iter().rev().nth(1).map(|m| text(&m["content"])).unwrap();
        let first = examples
            .iter()
            .find(|e| template.prompt_text(&e.paragraph) == user)
            .expect("the first line is one of the examples");
        let prompt = template.prompt_text(&first.paragraph);
        let roles: Vec<&str> = messages.iter().map(|m| text(&m["role"])).collect();
        let expected_roles: &[&str] = if chat_style && !template.system.is_empty() {
            &["system", "user", "assistant"]
        } else {
            &["user", "assistant"]
        };
        assert_eq!(roles, expected_roles, "{name}");
        assert_eq!(text(&messages[roles.len() - 2]["content"]), prompt, "{name}");
        assert_eq!(text(&messages[roles.len() - 1]["content"]), first.answer, "{name}");

        let completion = lines(&out.join("train.completion.jsonl"));
        assert_eq!(text(&completion[0]["prompt"]), prompt);
        assert_eq!(text(&completion[0]["completion"]), template.completion(&first.answer));

        let sharegpt = lines(&out.join("train.sharegpt.jsonl"));
        let turns = sharegpt[0]["conversations"].as_array().unwrap();
        let from: Vec<&str> = turns.iter().map(|t| text(&t["from"])).collect();
        assert_eq!(&from[from.len() - 2..], ["human", "gpt"], "{name}");
        assert_eq!(text(&turns[from.len() - 2]["value"]), prompt);
        assert_eq!(text(&turns[from.len() - 1]["value"]), first.answer);

        let alpaca = lines(&out.join("train.alpaca.jsonl"));
        assert_eq!(text(&alpaca[0]["instruction"]), prompt);
        assert_eq!(text(&alpaca[0]["input"]), "");
        assert_eq!(text(&alpaca[0]["output"]), first.answer);
        assert!(alpaca[0]["system"].is_string());

        let texts = lines(&out.join("train.text.jsonl"));
        let expected = if chat_style {
            format!(
                "<s>[INST] {prompt} [/INST] {}{} </s>",
                first.answer,
                template.stop.first().map_or("", String::as_str)
            )
        } else {
            format!("{prompt}{}", template.completion(&first.answer))
        };
        assert_eq!(text(&texts[0]["text"]), expected, "{name}");

        // Preference pairs: one per example whose model run differs (every third here).
        let pairs = examples.iter().filter(|e| !e.runs.is_empty()).count();
        let openai = lines(&out.join("train.dpo-openai.jsonl"));
        assert_eq!(openai.len(), pairs, "{name}");
        let prompt_messages = openai[0]["input"]["messages"].as_array().unwrap();
        let paired = examples
            .iter()
            .find(|e| Json::from(prompt_messages.clone()) == serde_json::json!(template.messages(&e.paragraph)))
            .expect("the pair's prompt is an example's fine-tuned prompt");
        assert!(!paired.runs.is_empty(), "only examples whose run differs are paired");
        assert_eq!(text(&openai[0]["preferred_output"][0]["content"]), paired.answer);
        assert_eq!(text(&openai[0]["non_preferred_output"][0]["content"]), "a wrong answer");
        let trl = lines(&out.join("train.dpo-trl.jsonl"));
        assert_eq!(trl.len(), pairs);
        if chat_style {
            assert_eq!(trl[0]["prompt"], openai[0]["input"]["messages"]);
            assert_eq!(text(&trl[0]["chosen"][0]["content"]), paired.answer);
            assert_eq!(text(&trl[0]["rejected"][0]["content"]), "a wrong answer");
        } else {
            assert_eq!(text(&trl[0]["prompt"]), template.prompt_text(&paired.paragraph));
            assert_eq!(text(&trl[0]["chosen"]), template.completion(&paired.answer));
            assert_eq!(text(&trl[0]["rejected"]), template.completion("a wrong answer"));
        }
    }
}

#[test]
fn the_chem_sci_text_string_for_known_examples() {
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let (csv, _) = retort::dataset::table::read_csv(&common::data("chemsci2024/compound/train_10.csv")).unwrap();
    let row = &csv.rows[0];
    let expected = format!(
        "<s>[INST] Paragraph2Compound: {} [/INST] {}!!! </s>",
        row.get("Paragraph").unwrap(),
        row.get("Compound").unwrap()
    );
    assert_eq!(
        retort::dataset::export::styles::text(task, row.get("Paragraph").unwrap(), row.get("Compound").unwrap()),
        expected
    );
    let mof = registry.get("mof-synthesis").unwrap();
    assert!(
        retort::dataset::export::styles::text(mof, "P", "A")
            .starts_with("<s>[INST] Extract the MOF synthesis information from the Paragraph. P [/INST] A")
    );
}

#[test]
fn completion_export_equals_the_nerre_training_files_line_for_line() {
    let registry = Registry::builtin();
    for (name, file) in [
        ("general-materials", "natcomm2024/general/fold_0/train.jsonl"),
        ("mof-nerre", "natcomm2024/mof/fold_1/val.jsonl"),
        ("doping-eng", "natcomm2024/doping/training_eng.jsonl"),
        ("doping-json", "natcomm2024/doping/training_json.jsonl"),
    ] {
        let task = registry.get(name).unwrap();
        let path = common::data(file);
        let examples = import(task, &path);
        let original = lines(&path);
        assert_eq!(examples.len(), original.len(), "{file}");
        for (example, line) in examples.iter().zip(&original) {
            let exported: Json = serde_json::from_str(&retort::dataset::export::export_line(
                task,
                example,
                ExportStyle::Completion,
            ))
            .unwrap();
            assert_eq!(exported["prompt"], line["prompt"], "{file}");
            assert_eq!(exported["completion"], line["completion"], "{file}");
        }
    }
}

fn compound_store(dir: &Path) -> (Store, Vec<SavedExample>) {
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let store = Store::new(dir.join("examples"));
    let mut examples = import(task, &common::data("chemsci2024/compound/train_100.csv"));
    // Two paragraphs of the test set saved by mistake: the leak check leaves them out.
    examples.extend(
        import(task, &common::data("chemsci2024/compound/test_1000.csv"))
            .into_iter()
            .take(2),
    );
    store.append_all(&examples).unwrap();
    (store, examples)
}

#[test]
fn splits_are_seeded_nested_and_leak_free() {
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = compound_store(dir.path());
    let test_set = common::data("chemsci2024/compound/test_1000.csv");
    let plan = ExportPlan {
        styles: vec![ExportStyle::Chat, ExportStyle::Text],
        shares: parse_shares("train=0.8,val=0.1,test=0.1").unwrap(),
        seed: 42,
        sizes: vec![10, 50],
        exclude: vec![retort::dataset::export::Excluded::new(
            &test_set,
            &read_examples(&test_set, task).unwrap().0,
        )],
    };
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let report = export_dir(&store, task, &plan, &a).unwrap();
    export_dir(&store, task, &plan, &b).unwrap();
    assert_eq!(report.excluded, 2, "the test-set paragraphs are left out");
    let counts: Vec<(String, usize)> = report.examples.clone();
    assert_eq!(
        counts,
        [
            ("train".to_string(), 80),
            ("val".into(), 10),
            ("test".into(), 10),
            ("train-10".into(), 10),
            ("train-50".into(), 50)
        ]
    );
    for file in ["train.chat.jsonl", "val.text.jsonl", "train-10.chat.jsonl"] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "same seed, same {file}"
        );
    }
    // Nested: the 10 are the first of the 50, the 50 the first of the train split.
    let content = |f: &str| -> Vec<String> { lines(&a.join(f)).iter().map(|l| l["messages"].to_string()).collect() };
    let (ten, fifty, train) = (
        content("train-10.chat.jsonl"),
        content("train-50.chat.jsonl"),
        content("train.chat.jsonl"),
    );
    assert_eq!(ten[..], fifty[..10]);
    assert_eq!(fifty[..], train[..50]);
    // No paragraph in two splits, none from the test set.
    let paragraphs = |f: &str| -> Vec<String> {
        lines(&a.join(f))
            .iter()
            .map(|l| l["messages"][1]["content"].as_str().unwrap().to_string())
            .collect()
    };
    let (train_p, val_p, test_p) = (
        paragraphs("train.chat.jsonl"),
        paragraphs("val.chat.jsonl"),
        paragraphs("test.chat.jsonl"),
    );
    assert!(train_p.iter().all(|p| !val_p.contains(p) && !test_p.contains(p)));
    let (gold, _) = read_examples(&test_set, task).unwrap();
    let leaked = gold.iter().any(|g| train_p.iter().any(|p| p.ends_with(&g.input)));
    assert!(!leaked);
    // Another seed, another split.
    let c = dir.path().join("c");
    export_dir(
        &store,
        task,
        &ExportPlan {
            seed: 43,
            ..plan.clone()
        },
        &c,
    )
    .unwrap();
    assert_ne!(
        std::fs::read(a.join("val.chat.jsonl")).unwrap(),
        std::fs::read(c.join("val.chat.jsonl")).unwrap()
    );

    // The manifest names every file with its sha256; the stanzas point at the files.
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(a.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["task"], "compound");
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["excluded"], 2);
    assert_eq!(manifest["template"]["user"], "Paragraph2Compound: {input}");
    for file in manifest["files"].as_array().unwrap() {
        let bytes = std::fs::read(a.join(text(&file["file"]))).unwrap();
        use sha2::Digest;
        let sha: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(text(&file["sha256"]), sha);
    }
    let info: Json = serde_json::from_str(&std::fs::read_to_string(a.join("dataset_info.json")).unwrap()).unwrap();
    assert_eq!(info["compound_train_chat"]["file_name"], "train.chat.jsonl");
    assert_eq!(info["compound_train_chat"]["formatting"], "sharegpt");
    assert_eq!(info["compound_val_text"]["columns"]["prompt"], "text");
    let axolotl = std::fs::read_to_string(a.join("axolotl.yaml")).unwrap();
    assert!(
        axolotl.contains("datasets:\n  - path: ") && axolotl.contains("train.chat.jsonl"),
        "{axolotl}"
    );
    assert!(axolotl.contains("test_datasets:"), "{axolotl}");
}

/// Each style loads with Hugging Face `datasets` with the expected columns and rows.
#[test]
fn every_style_loads_with_hugging_face_datasets() {
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = compound_store(dir.path());
    let out = dir.path().join("export");
    let report = export_dir(&store, task, &plan("train=0.9,test=0.1"), &out).unwrap();
    let expected: Vec<(PathBuf, usize, &str)> = report
        .files
        .iter()
        .map(|f| {
            let columns = match f.style {
                ExportStyle::Chat => "messages",
                ExportStyle::Completion => "completion,prompt",
                ExportStyle::Text => "text",
                ExportStyle::Sharegpt => "conversations",
                ExportStyle::Alpaca => "input,instruction,output,system",
                ExportStyle::DpoOpenai => "input,non_preferred_output,preferred_output",
                ExportStyle::DpoTrl => "chosen,prompt,rejected",
            };
            (out.join(&f.file), f.rows, columns)
        })
        .collect();
    let script = "import sys, datasets\n\
        for arg in sys.argv[1:]:\n\
        \x20   path, rows, columns = arg.split('|')\n\
        \x20   ds = datasets.load_dataset('json', data_files=path, split='train')\n\
        \x20   assert ds.num_rows == int(rows), (path, ds.num_rows, rows)\n\
        \x20   assert ','.join(sorted(ds.column_names)) == columns, (path, ds.column_names)\n\
        print('loaded', len(sys.argv) - 1)\n";
    let args: Vec<String> = expected
        .iter()
        .map(|(p, rows, columns)| format!("{}|{rows}|{columns}", p.display()))
        .collect();
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(&args)
        .env("HF_DATASETS_CACHE", dir.path().join("hf-cache"))
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("python3 (with `pip install datasets`, as .ci/run does)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("loaded {}", args.len())
    );
}
