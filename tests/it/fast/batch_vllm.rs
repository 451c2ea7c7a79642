//! `retort batch vllm`: a prepared run through vLLM's offline run_batch, here and over ssh, with
//! a stand-in for the GPU box's python (tests/fixtures/batch/fake-vllm-python, speaking
//! run_batch's command line and output file) and for ssh (tests/fixtures/train/fake-ssh). The
//! answers come back as the same extract lines as a service's; failures are retried the same way.

use crate::common;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

const PARAGRAPHS: [(&str, &str); 5] = [
    ("US1#1", "Ethanol and THF were stirred."),
    ("US1#2", "Toluene was added to benzene."),
    ("US2#1", "Acetone FAILME was evaporated."),
    ("US2#2", "Methanol dissolved the sodium chloride."),
    ("US3#1", "Hexane washed the product."),
];

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    run: PathBuf,
    remote: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    common::write_models(
        &root,
        "[[model]]\nname = \"gpu\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"chem-7b\"\nmode = \"zero-shot\"\n",
    );
    let input = root.join("corpus.jsonl");
    common::write_paragraphs(&input, &PARAGRAPHS);
    let run = root.join("run");
    let remote = root.join("gpu-box-home");
    std::fs::create_dir_all(&remote).unwrap();
    let s = Setup {
        _dir: dir,
        root,
        run,
        remote,
    };
    let out = s.retort(&[
        "batch",
        "prepare",
        "--task",
        "compound",
        "--model",
        "gpu",
        "--input",
        input.to_str().unwrap(),
        "--out",
        s.run.to_str().unwrap(),
        "--max-requests",
        "3",
    ]);
    assert!(out.status.success(), "{}", said(&out));
    s
}

impl Setup {
    fn retort(&self, args: &[&str]) -> std::process::Output {
        common::retort_in(&self.root)
            .env("RETORT_SSH", fixture("train/fake-ssh"))
            .env("FAKE_SSH_HOME", &self.remote)
            .args(args)
            .output()
            .unwrap()
    }

    fn batch(&self, action: &str, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["batch", action, self.run.to_str().unwrap()];
        args.extend(extra);
        self.retort(&args)
    }

    fn start(&self, extra: &[&str]) -> std::process::Output {
        let python = fixture("batch/fake-vllm-python");
        let mut args = vec!["--weights", "/models/chem-7b", "--python", python.to_str().unwrap()];
        args.extend(extra);
        self.batch("vllm", &args)
    }

    fn watched(&self) -> String {
        let out = self.batch("status", &["--watch", "--every", "1"]);
        assert!(out.status.success(), "{}", said(&out));
        said(&out)
    }
}

fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn failed_ids(lines: &[Json]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| !l["error"].is_null())
        .map(|l| l["id"].as_str().unwrap())
        .collect()
}

#[test]
fn a_run_goes_through_run_batch_here_and_comes_back_as_extract_lines() {
    let s = setup();
    let started = s.start(&["--vllm-arg=--max-model-len", "--vllm-arg", "4096"]);
    assert!(started.status.success(), "{}", said(&started));
    let script = std::fs::read_to_string(s.run.join("run-vllm.sh")).unwrap();
    assert!(script.contains("'-m' 'vllm.entrypoints.openai.run_batch' '-i' 'requests-001.jsonl' '-o' 'output-vllm-requests-001.jsonl' '--model' '/models/chem-7b' '--served-model-name' 'chem-7b' '--max-model-len' '4096'"), "{script}");
    let text = s.watched();
    assert!(
        text.contains("requests-001.jsonl  vllm-requests-001  completed  2/3 done, 1 failed"),
        "{text}"
    );
    let collected = s.batch("collect", &[]);
    let text = said(&collected);
    assert_eq!(collected.status.code(), Some(3), "{text}");
    assert!(text.contains("5 of 5 paragraphs written"), "{text}");
    assert!(
        text.contains("the service answered 400: This paragraph is refused."),
        "vLLM's error body is read: {text}"
    );
    let lines = common::read_jsonl(&s.run.join("predictions.jsonl"));
    assert_eq!(lines.len(), 5);
    assert_eq!(failed_ids(&lines), ["US2#1"]);
    assert_eq!(lines[0]["answer"], "Ethanol");
    assert_eq!(lines[0]["model"], "chem-7b");
    assert!(lines[0]["extraction"].is_object(), "grounded as online: {}", lines[0]);
    assert_eq!(lines[0]["endpoint"], "vllm run_batch on this machine");

    // The failure goes to run_batch again, alone; the stand-in refuses it again.
    let retried = s.batch("retry", &[]);
    assert!(retried.status.success(), "{}", said(&retried));
    let again = common::read_jsonl(&s.run.join("retry-1-001.jsonl"));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["custom_id"], "US2#1");
    let text = s.watched();
    assert!(
        text.contains("retry-1-001.jsonl  vllm-retry-1-001  completed  0/1 done, 1 failed"),
        "{text}"
    );
    let collected = s.batch("collect", &[]);
    assert_eq!(collected.status.code(), Some(3));
    assert_eq!(
        common::read_jsonl(&s.run.join("predictions.jsonl")).len(),
        5,
        "nothing counted twice"
    );
}

#[test]
fn over_ssh_the_files_go_there_and_the_answers_come_home() {
    let s = setup();
    let started = s.start(&["--host", "gpu-box"]);
    assert!(started.status.success(), "{}", said(&started));
    let there = s.remote.join("retort-batch/run");
    assert!(
        there.join("requests-002.jsonl").exists(),
        "the request files went to the host"
    );
    assert!(
        s.watched()
            .contains("requests-002.jsonl  vllm-requests-002  completed  2/2 done, 0 failed")
    );
    assert!(there.join("output-vllm-requests-001.jsonl").exists());
    assert!(
        s.run.join("output-vllm-requests-001.jsonl").exists(),
        "the output came home"
    );
    let collected = s.batch("collect", &[]);
    assert_eq!(collected.status.code(), Some(3), "{}", said(&collected));
    assert_eq!(common::read_jsonl(&s.run.join("predictions.jsonl")).len(), 5);
    let hosts = std::fs::read_to_string(s.remote.join(".hosts")).unwrap();
    assert!(hosts.lines().all(|h| h == "gpu-box"), "{hosts}");
}

#[test]
fn a_run_batch_that_dies_says_why_from_its_log() {
    let s = setup();
    let python = fixture("batch/fake-vllm-python");
    let started = common::retort_in(&s.root)
        .env("FAKE_VLLM_CRASH", "1")
        .args([
            "batch",
            "vllm",
            s.run.to_str().unwrap(),
            "--weights",
            "/models/chem-7b",
            "--python",
            python.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(started.status.success(), "{}", said(&started));
    let text = s.watched();
    assert!(text.contains("requests-001.jsonl  vllm-requests-001  failed"), "{text}");
    assert!(text.contains("run_batch exited with status 1"), "{text}");
    assert!(text.contains("CUDA out of memory"), "the end of its log: {text}");
    let submit = s.batch("submit", &["--yes"]);
    assert_eq!(submit.status.code(), Some(2), "a vLLM run is not sent to a service too");
}
