//! The compound adapter Retort ships for its default model (issue 38): written beside the default
//! model on first use, checked by the base's SHA-256, and better than prompt-only on held-out
//! paragraphs of the papers' compound test set (which it was not trained on) with nothing set up.

use crate::common;

use retort::llm::shipped::ADAPTERS;

/// The first `n` paragraphs of the papers' compound test set, as a CSV the eval reads as gold.
fn held_out(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::data("chemsci2024/compound/test_1000.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let path = dir.join("held-out.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records().take(n) {
        writer.write_record(&record.unwrap()).unwrap();
    }
    writer.flush().unwrap();
    path
}

fn f1_of(root: &std::path::Path, model: &str, gold: &std::path::Path) -> f64 {
    let output = root.join(format!("{model}.jsonl"));
    let out = common::retort_in(root)
        .args(["extract", "--task", "compound", "--model", model, "--input"])
        .arg(gold)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    common::assert_extracted(&out);
    let report = common::eval_report("compound", Some(gold.to_path_buf()), vec![output]);
    let table = report
        .table("entities (macro over paragraphs)")
        .expect("the compound table");
    table.get("compound", "f1").expect("an F1")
}

#[test]
fn the_shipped_adapter_is_installed_beside_the_default_model_and_beats_prompt_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let models = root.join("data/models");
    std::fs::create_dir_all(&models).unwrap();
    std::os::unix::fs::symlink(common::test_gguf(), models.join(retort::llm::fetch::FILE)).unwrap();
    let listed = common::retort_in(root).arg("models").output().unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let installed = std::fs::read(models.join(ADAPTERS[0].file)).expect("installed by the first command");
    assert!(installed == ADAPTERS[0].bytes, "the shipped bytes");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("embedded-compound"), "{listed}");

    let gold = held_out(root, 8);
    let fine_tuned = f1_of(root, "embedded-compound", &gold);
    let prompt_only = f1_of(root, "embedded", &gold);
    assert!(
        fine_tuned >= 0.4 && fine_tuned >= prompt_only + 0.15,
        "fine-tuned F1 {fine_tuned:.3} against prompt-only {prompt_only:.3}"
    );
}
