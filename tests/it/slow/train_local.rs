//! Training here (issue 38): `retort train start --backend local` on the small real GGUF model.
//! What the trainer is fed is, token for token, what `retort extract` asks in the fine-tuned mode;
//! and (slow: PyTorch, TRL and PEFT in the environment Retort makes, a few steps on the CPU) a
//! real training whose loss goes down, converted, registered, and changing the answers.

use crate::common;

use serde_json::Value as Json;
use std::path::Path;

fn models(root: &Path, gguf: &Path) {
    common::write_models(
        root,
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"embedded\"\npath = \"{0}\"\nmode = \"few-shot\"\n\n[[model]]\nname = \"smol-ft\"\nengine = \"embedded\"\npath = \"{0}\"\nmode = \"fine-tuned\"\nmax_tokens = 24\n",
            gguf.display()
        ),
    );
}

/// `retort train start --backend local` of the compound task on "smol", with `extra`.
fn train_command(root: &Path, extra: &[&str]) -> std::process::Command {
    let mut command = common::retort_in(root);
    command.args([
        "train",
        "start",
        "--backend",
        "local",
        "--task",
        "compound",
        "--base-profile",
        "smol",
        "--yes",
    ]);
    command.args(extra);
    command
}

fn train(root: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = train_command(root, extra);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// `retort extract` of the papers' train_10.csv with `model` (and `extra`) into `output`; its lines.
fn extract(root: &Path, model: &str, extra: &[&str], output: &Path) -> Vec<Json> {
    let out = common::retort_in(root)
        .args(["extract", "--task", "compound", "--model", model])
        .args(extra)
        .arg("--input")
        .arg(common::data("chemsci2024/compound/train_10.csv"))
        .arg("--output")
        .arg(output)
        .output()
        .unwrap();
    common::assert_extracted(&out);
    common::read_jsonl(output)
}

fn only_run(root: &Path) -> std::path::PathBuf {
    let runs: Vec<_> = std::fs::read_dir(root.join("data/runs")).unwrap().flatten().collect();
    assert_eq!(runs.len(), 1);
    runs[0].path()
}

#[test]
fn the_trainer_is_fed_what_extract_asks_token_for_token() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let gguf = common::test_gguf();
    models(root, &gguf);
    common::import(root, "compound", "chemsci2024/compound/train_10.csv");
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/train/fake-python");
    let out = train(
        root,
        &["--size", "3"],
        &[("RETORT_TRAIN_PYTHON", fake.to_str().unwrap())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("exited with status 1"),
        "{stderr}"
    );
    let run = only_run(root);
    let rows = common::read_jsonl(&run.join("data/tokens-train.jsonl"));
    assert_eq!(rows.len(), 3);
    let config: Json = serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["base"], gguf.display().to_string());

    // The same paragraphs through `retort extract` in the fine-tuned mode, on the same GGUF.
    let asked = extract(root, "smol-ft", &[], &root.join("ft.jsonl"));
    for row in &rows {
        let ids: Vec<i64> = row["input_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let mask: Vec<i64> = row["completion_mask"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let prompt_len = mask.iter().take_while(|m| **m == 0).count();
        assert!(
            mask[prompt_len..].iter().all(|m| *m == 1),
            "the answer is one span at the end"
        );
        // SmolLM2's end of turn, `<|im_end|>`, ends the answer: generation stops there.
        assert_eq!(*ids.last().unwrap(), 2);
        let matching = asked.iter().find(|line| {
            let prompt: retort::llm::prompt::Prompt = serde_json::from_value(line["prompt"].clone()).unwrap();
            let served = retort::llm::embedded::prompt_tokens(&gguf, &prompt).unwrap();
            served.iter().map(|t| i64::from(*t)).collect::<Vec<_>>() == ids[..prompt_len]
        });
        let line = matching.expect("a paragraph extract asked with exactly these prompt tokens");
        // The engine's own count of the prompt it read agrees.
        assert_eq!(line["prompt_tokens"].as_u64(), Some(prompt_len as u64));
    }
}

/// Slow: makes (or reuses) the trainer's environment and trains for real on the CPU.
#[test]
fn a_real_training_lowers_the_loss_and_changes_the_answers() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let gguf = common::test_gguf();
    models(root, &gguf);
    common::import(root, "compound", "chemsci2024/compound/train_10.csv");
    let out = train(root, &["--size", "6", "--epochs", "4", "--learning-rate", "2e-3"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let run = only_run(root);
    let losses: Vec<f64> = common::read_jsonl(&run.join("metrics.jsonl"))
        .iter()
        .filter_map(|m| m["loss"].as_f64())
        .collect();
    assert!(losses.len() >= 3, "{losses:?}");
    assert!(
        losses.last().unwrap() < losses.first().unwrap(),
        "the loss went down: {losses:?}"
    );
    let registered: Json = serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    let profile = registered["profile"].as_str().expect("registered").to_string();
    let adapter = std::fs::read_dir(root.join("data/models/adapters")).unwrap().count();
    assert_eq!(adapter, 1, "converted to a GGUF adapter");
    // The adapter changes what the model answers on paragraphs it was not trained on.
    let answers = |model: &str| {
        let mut lines = extract(
            root,
            model,
            &["--skip", "6", "--limit", "2"],
            &root.join(format!("{model}.jsonl")),
        );
        lines.sort_by_key(|l| l["id"].as_str().unwrap_or_default().to_string());
        lines
            .iter()
            .map(|l| l["raw"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_ne!(answers("smol-ft"), answers(&profile));
}

/// Whether a process of group `group` still runs (a zombie does not count).
fn group_alive(group: u32) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // pid (comm) state ppid pgrp …: the fields after the command's closing parenthesis.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        fields.len() > 2 && fields[0] != "Z" && fields[2] == group.to_string()
    })
}

/// Slow: a real training cancelled after its first step stops at once (the trainer exits on
/// SIGTERM instead of training on) and is recorded as cancelled.
#[test]
fn a_real_training_cancelled_mid_way_stops() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    models(root, &common::test_gguf());
    common::import(root, "compound", "chemsci2024/compound/train_10.csv");
    let mut following = train_command(root, &["--size", "10", "--epochs", "50"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(900);
    let run = loop {
        let stepped = std::fs::read_dir(root.join("data/runs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|run| std::fs::read_to_string(run.join("metrics.jsonl")).is_ok_and(|m| m.contains("\"loss\"")));
        if let Some(run) = stepped {
            break run;
        }
        assert!(Instant::now() < deadline, "no training step within 15 minutes");
        std::thread::sleep(Duration::from_millis(500));
    };
    let group: u32 = std::fs::read_to_string(run.join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(group_alive(group), "the trainer is training");
    let id = run.file_name().unwrap().to_string_lossy().into_owned();
    let cancelled = common::retort_in(root).args(["train", "cancel", &id]).output().unwrap();
    assert!(
        cancelled.status.success(),
        "{}",
        String::from_utf8_lossy(&cancelled.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while group_alive(group) {
        assert!(Instant::now() < deadline, "the trainer still runs 30 s after cancel");
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = following.kill();
    let _ = following.wait();
    let recorded: Json = serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(recorded["status"], "cancelled");
    assert!(!root.join("data/models/adapters").exists(), "nothing registered");
}
