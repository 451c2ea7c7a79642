//! A LoRA adapter on vLLM, with a double speaking vLLM's API (no GPU here): `/v1/models` lists
//! each `--lora-modules` entry with its base as `parent`; `retort models` shows it as an adapter,
//! `retort models add --adapter DIR --base PROFILE` makes a profile whose model is the adapter's
//! name (and prints the serving command), and `retort extract` asks for that model.

use crate::common;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vllm_lora_module_is_listed_registered_and_asked_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"object": "list", "data": [
                {"id": "mistral-7b", "object": "model", "root": "mistralai/Mistral-7B-v0.1", "parent": null},
                {"id": "chem-100", "object": "model", "root": "/srv/runs/chem-100", "parent": "mistral-7b"}
            ]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "choices": [{"message": {"content": "THF"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 40, "completion_tokens": 2}
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"lab\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"mistral-7b\"\nstructured = \"vllm\"\n",
            server.uri()
        ),
    );
    let root = dir.path().to_path_buf();
    let listed = tokio::task::spawn_blocking(move || common::retort_in(&root).arg("models").output().unwrap())
        .await
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.contains("serves mistral-7b, chem-100 (LoRA on mistral-7b)"),
        "{listed}"
    );

    let adapter_dir = dir.path().join("chem-100");
    std::fs::create_dir_all(&adapter_dir).unwrap();
    let root = dir.path().to_path_buf();
    let added = tokio::task::spawn_blocking(move || {
        common::retort_in(&root)
            .args(["models", "add", "chem-100", "--base", "lab", "--adapter"])
            .arg(&adapter_dir)
            .args(["--task", "compound"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&added.stderr).into_owned();
    assert!(added.status.success(), "{said}");
    assert!(
        said.contains("vllm serve mistral-7b --enable-lora --lora-modules chem-100="),
        "{said}"
    );

    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\":\"p1\",\"text\":\"THF was added.\"}\n").unwrap();
    let root = dir.path().to_path_buf();
    let output = dir.path().join("out.jsonl");
    let out_path = output.clone();
    let extracted = tokio::task::spawn_blocking(move || {
        common::retort_in(&root)
            .args(["extract", "--task", "compound", "--model", "chem-100", "--input"])
            .arg(&input)
            .arg("--output")
            .arg(&out_path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        extracted.status.success(),
        "{}",
        String::from_utf8_lossy(&extracted.stderr)
    );
    let requests = server.received_requests().await.unwrap();
    let chat = requests
        .iter()
        .find(|r| r.url.path() == "/v1/chat/completions")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&chat.body).unwrap();
    assert_eq!(body["model"], "chem-100");
    assert!(
        body.get("lora").is_none(),
        "vLLM takes the adapter as the model, not a lora field"
    );
    let line = &common::read_jsonl(&output)[0];
    assert_eq!(line["model"], "chem-100");
    // Strict grounding (the default) goes to vLLM as a GBNF grammar its xgrammar backend reads:
    // every compound a copy of the paragraph.
    let grammar = body["structured_outputs"]["grammar"].as_str().unwrap_or_default();
    assert!(grammar.starts_with("root ::= "), "{body}");
    assert!(grammar.contains("\"T\"") && grammar.contains("\"H\""), "{grammar}");
    assert!(!grammar.contains("\"Z\""), "no letter the paragraph lacks: {grammar}");
    assert_eq!(line["grounding"], "constrained");
}
