//! The API key is used (sent as a bearer header) and appears nowhere else: not in the log, the
//! predictions, saved examples or exports.

use crate::common;

use std::path::Path;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-retort-dummy-7f3a9c";

fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            hits.push(path.display().to_string());
        }
    }
    hits
}

#[tokio::test]
async fn the_key_reaches_only_the_server() {
    let server = MockServer::start().await;
    // Both servers are up (retort extract checks before it starts); one refuses the key.
    for listing in ["/v1/models", "/nowhere/v1/models"] {
        Mock::given(method("GET"))
            .and(path(listing))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": [{"id": "m"}]})))
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/nowhere/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(401).set_body_string("{\"error\": \"bad key\"}"))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"choices": [{"message": {"content": "ethanol"}, "finish_reason": "stop"}]}),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let models = format!(
        "[[model]]\nname = \"keyed\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\napi_key_env = \"RETORT_TEST_API_KEY\"\n\n[[model]]\nname = \"refused\"\nengine = \"openai\"\nbase_url = \"{}/nowhere/v1\"\nmodel = \"m\"\nretries = 0\napi_key_env = \"RETORT_TEST_API_KEY\"\n",
        server.uri(),
        server.uri()
    );
    common::write_models(&root, &models);
    std::fs::write(
        root.join("input.jsonl"),
        "{\"id\": \"a\", \"text\": \"dissolved in ethanol\"}\n{\"id\": \"b\", \"text\": \"ethanol again\"}\n",
    )
    .unwrap();
    let run_root = root.clone();
    let statuses = tokio::task::spawn_blocking(move || {
        let run = |model: &str, out: &str| {
            common::retort_in(&run_root)
                .args(["extract", "--task", "compound", "--model", model, "--input"])
                .arg(run_root.join("input.jsonl"))
                .arg("--output")
                .arg(run_root.join(out))
                .env("RETORT_LOG", "trace")
                .env("RETORT_TEST_API_KEY", KEY)
                .output()
                .unwrap()
        };
        (run("keyed", "ok.jsonl"), run("refused", "refused.jsonl"))
    })
    .await
    .unwrap();
    for output in [&statuses.0, &statuses.1] {
        assert!(!String::from_utf8_lossy(&output.stderr).contains(KEY));
        assert!(!String::from_utf8_lossy(&output.stdout).contains(KEY));
    }
    assert!(
        statuses.0.status.success(),
        "{}",
        String::from_utf8_lossy(&statuses.0.stderr)
    );
    let refused_stderr = String::from_utf8_lossy(&statuses.1.stderr);
    assert_eq!(
        statuses.1.status.code(),
        Some(3),
        "some paragraphs failed: {refused_stderr}"
    );
    assert!(
        refused_stderr.contains("2 × "),
        "distinct errors are counted: {refused_stderr}"
    );
    let ok = std::fs::read_to_string(root.join("ok.jsonl")).unwrap();
    assert_eq!(ok.lines().count(), 2);
    assert!(ok.contains("\"answer\":\"ethanol\""));
    let refused = std::fs::read_to_string(root.join("refused.jsonl")).unwrap();
    assert!(
        refused.contains("\"error\""),
        "the failing run is recorded with its error"
    );
    assert!(root.join("state/retort.log").exists());
    assert_eq!(files_containing(&root, KEY), Vec::<String>::new());
}
