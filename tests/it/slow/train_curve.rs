//! `retort train curve` end to end: a run per nested subset on the fake trainer (no GPU here),
//! each registered on the profile serving its base — the real llama.cpp server standing in for
//! every trained model — and measured with the real `retort extract` on the held-out split
//! beside the baseline; then the curve's table and plot. Run again, nothing is repeated.

use crate::common;

use serde_json::Value as Json;
use std::path::Path;

#[test]
fn the_curve_experiment_trains_measures_and_draws_and_resumes() {
    let server = common::LlamaServer::get(18095);
    let dir = tempfile::tempdir().unwrap();
    common::import(dir.path(), "compound", "chemsci2024/compound/train_100.csv");
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{}\"\nmodel = \"smol\"\nmode = \"zero-shot\"\nmax_tokens = 48\n",
            server.url
        ),
    );
    let trainer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/train/fake-trainer");
    let curve = |die_at: &str| {
        let args = vec![
            "train",
            "curve",
            "--task",
            "compound",
            "--backend",
            "command",
            "--trainer",
            "trl",
            "--base",
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            "--trainer-program",
            trainer.to_str().unwrap(),
            "--base-profile",
            "smol",
            "--baseline",
            "smol",
            "--split",
            "train=0.92,test=0.08",
            "--sizes",
            "10,40",
            "--interval",
            "0.05",
            "--concurrency",
            "2",
        ];
        common::retort_in(dir.path())
            .args(&args)
            .env("FAKE_TRAINER_STEPS", "3")
            .env("FAKE_TRAINER_DIE_AT", die_at)
            .output()
            .unwrap()
    };
    // The first run dies: the experiment stops, saying so; run again, that run starts anew.
    let out = curve("2");
    assert_eq!(out.status.code(), Some(7));
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("the run on 10 examples") && stderr.contains("CUDA out of memory"),
        "{stderr}"
    );
    let out = curve("0");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("failed; starting it anew"), "{stderr}");
    let experiment_dir = dir.path().join("data/experiments/compound-curve");
    let exp: Json =
        serde_json::from_str(&std::fs::read_to_string(experiment_dir.join("experiment.json")).unwrap()).unwrap();
    assert_eq!(exp["test_examples"], 8);
    let points = exp["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    for (point, size) in points.iter().zip([10, 40]) {
        assert_eq!(point["size"], size);
        let run: Json = serde_json::from_str(
            &std::fs::read_to_string(
                dir.path()
                    .join("data/runs")
                    .join(point["run"].as_str().unwrap())
                    .join("run.json"),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(run["train_examples"], size, "a nested subset of the training split");
        assert_eq!(point["profile"], format!("compound-curve-{size}"));
        let predictions = common::read_jsonl(Path::new(point["predictions"].as_str().unwrap()));
        assert_eq!(predictions.len(), 8, "every held-out paragraph measured");
    }
    // The subsets are nested: the 10 are the first 10 of the 40.
    let train_file = |point: &Json| {
        let run = point["run"].as_str().unwrap();
        let size = point["size"].as_u64().unwrap();
        std::fs::read_to_string(
            dir.path()
                .join("data/runs")
                .join(run)
                .join(format!("data/train-{size}.chat.jsonl")),
        )
        .unwrap()
    };
    assert!(train_file(&points[1]).starts_with(&train_file(&points[0])));
    // The held-out paragraphs are in no training file.
    let test = common::read_jsonl(&experiment_dir.join("test.jsonl"));
    for line in &test {
        let text = line["text"].as_str().unwrap();
        assert!(
            !train_file(&points[1]).contains(&serde_json::to_string(text).unwrap()[1..text.len()]),
            "leak: {text}"
        );
    }
    assert_eq!(common::read_jsonl(&experiment_dir.join("baseline.jsonl")).len(), 8);
    assert!(experiment_dir.join("curve.svg").exists() && experiment_dir.join("curve.png").exists());
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        table.contains("SmolLM2-135M-Instruct-ft") && table.contains(" 10 ") && table.contains(" 40 "),
        "{table}"
    );
    assert!(table.contains("smol"), "the baseline is in the table: {table}");

    // Again: resumed, nothing trained or measured twice (the dead run's files stay).
    let runs_before = std::fs::read_dir(dir.path().join("data/runs")).unwrap().count();
    let out = curve("0");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("resuming") && !stderr.contains("measuring") && !stderr.contains("starting the run"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("data/runs")).unwrap().count(),
        runs_before
    );
}
