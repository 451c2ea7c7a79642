//! The batch walk-through of docs/batch.md, end to end: a corpus of the compound test set through the
//! fake Files and Batches API, which answers through a real llama.cpp server (SmolLM2-135M),
//! then scored by `retort eval` like any extract output.

use crate::common;
use crate::common::batch_service::{FakeBatches, KEY, upstream};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_batch_walkthrough_extracts_and_scores_a_corpus() {
    let server = common::LlamaServer::get(18398);
    let (fake_server, fake) = FakeBatches::start(upstream(&server.url), vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let root = Arc::new(dir.path().to_path_buf());
    let gold = common::data("chemsci2024/compound/test_1000.csv");
    let uri = fake_server.uri();
    let r = root.clone();
    let said = tokio::task::spawn_blocking(move || {
        let retort = |args: &[&str]| {
            let out = common::retort_in(&r)
                .current_dir(&*r)
                .env("OPENAI_API_KEY", KEY)
                .args(args)
                .output()
                .unwrap();
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.status.success(), "retort {args:?}: {said}");
            said
        };
        let base_url = format!("{uri}/v1");
        retort(&[
            "models",
            "add",
            "batch-demo",
            "--base-url",
            &base_url,
            "--model",
            "smollm2",
            "--mode",
            "zero-shot",
        ]);
        let gold = gold.to_str().unwrap();
        retort(&[
            "batch",
            "prepare",
            "--task",
            "compound",
            "--model",
            "batch-demo",
            "--limit",
            "10",
            "--input",
            gold,
            "--out",
            "run1",
        ]);
        retort(&["batch", "submit", "run1", "--yes"]);
        let status = retort(&["batch", "status", "run1", "--watch", "--every", "2"]);
        let collected = retort(&["batch", "collect", "run1"]);
        let scored = retort(&[
            "eval",
            "--task",
            "compound",
            "--gold",
            gold,
            "--pred",
            "run1/predictions.jsonl",
        ]);
        (status, collected, scored)
    })
    .await
    .unwrap();
    let (status, collected, scored) = said;
    assert!(
        status.contains("requests-001.jsonl  batch_1  completed  10/10 done, 0 failed"),
        "{status}"
    );
    assert!(collected.contains("10 of 10 paragraphs written"), "{collected}");
    assert!(scored.contains("paragraphs: 10"), "{scored}");
    let lines = common::read_jsonl(&root.join("run1/predictions.jsonl"));
    assert_eq!(lines.len(), 10);
    assert!(
        lines
            .iter()
            .all(|l| l["error"].is_null() && !l["raw"].as_str().unwrap().is_empty()),
        "every paragraph answered by the model"
    );
    assert_eq!(fake.batches_created(), 1);
}
