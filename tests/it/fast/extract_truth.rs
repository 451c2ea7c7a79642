//! `retort extract` tells the truth about what it got (issue 38): answers cut at the token limit
//! or stopped for repeating themselves are counted as incomplete, and a run where every answer
//! is incomplete, or empty, fails; `--limit` and `--skip` run a pilot on part of a corpus.

use crate::common;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn replying(text: &str, finish: &str) -> MockServer {
    let server = MockServer::start().await;
    common::mock::mount_models(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "choices": [{"message": {"content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 90, "completion_tokens": 200}
        })))
        .mount(&server)
        .await;
    server
}

const CORPUS: &str = "{\"id\": \"a\", \"text\": \"Ethanol was added to THF.\"}\n{\"id\": \"b\", \"text\": \"Water was added.\"}\n{\"id\": \"c\", \"text\": \"Brine was added.\"}\n{\"id\": \"d\", \"text\": \"Ether was added.\"}\n";

/// Runs extract on `CORPUS` with the profile on `server`; its output and the lines written.
async fn extract(server: &MockServer, extra: &[&str]) -> (std::process::Output, Vec<serde_json::Value>) {
    extract_in_mode(server, "zero-shot", extra).await
}

async fn extract_in_mode(
    server: &MockServer,
    mode: &str,
    extra: &[&str],
) -> (std::process::Output, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"{mode}\"\nretries = 0\n",
            server.uri()
        ),
    );
    std::fs::write(dir.path().join("in.jsonl"), CORPUS).unwrap();
    let root = dir.path().to_path_buf();
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        common::retort_in(&root)
            .args(["extract", "--task", "compound", "--model", "smol", "--input"])
            .arg(root.join("in.jsonl"))
            .arg("--output")
            .arg(root.join("out.jsonl"))
            .args(&extra)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let lines = common::read_jsonl(&dir.path().join("out.jsonl"));
    (out, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_cut_at_the_limit_are_incomplete_and_all_of_them_fail_the_run() {
    let server = replying("Ethanol | THF | water", "length").await;
    let (out, lines) = extract(&server, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("0 failed, 4 incomplete"), "{stderr}");
    assert!(stderr.contains("every one of the 4 answers is incomplete"), "{stderr}");
    assert!(lines.iter().all(|l| l["incomplete"] == true));

    let whole = replying("Ethanol | THF", "stop").await;
    let (out, _) = extract(&whole, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("0 failed, 0 incomplete"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_answer_is_cut_after_its_first_round_and_said() {
    let runaway = format!("Ethanol | {}", "ether | water | ".repeat(12));
    let server = replying(&runaway, "length").await;
    let (_, lines) = extract(&server, &["--limit", "1"]).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["finish_reason"], "repetition");
    assert_eq!(lines[0]["incomplete"], true);
    let raw = lines[0]["raw"].as_str().unwrap();
    assert_eq!(raw, "Ethanol | ether | water");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_answers_are_failures() {
    let server = replying("", "stop").await;
    let (out, _) = extract(&server, &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("4 failed") && stderr.contains("wrote nothing"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pilot_runs_part_of_the_corpus() {
    let server = replying("Ethanol", "stop").await;
    let (out, lines) = extract(&server, &["--skip", "1", "--limit", "2"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["b", "c"]);
    assert_eq!(
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_copied_from_a_worked_example_are_flagged() {
    // The shipped worked examples of the compound task name this aniline and phosgene; the corpus
    // does not.
    let server = replying("Ethanol | N-(3,5-dimethylphenyl)aniline | phosgene | THF", "stop").await;
    let (out, lines) = extract_in_mode(&server, "few-shot", &["--limit", "1"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        lines[0]["from_prompt"],
        serde_json::json!(["N-(3,5-dimethylphenyl)aniline", "phosgene"]),
        "{}",
        lines[0]
    );
    assert!(
        stderr.contains("1 of 1 answers hold values copied from the prompt's worked examples"),
        "{stderr}"
    );
    // Without worked examples in the prompt the same values are only not found.
    let (out, lines) = extract(&server, &["--limit", "1"]).await;
    assert!(lines[0].get("from_prompt").is_none(), "{}", lines[0]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("copied from the prompt"));
}
