//! What a real server will not do on demand, with wiremock: rate limits, server errors, broken and
//! malformed streams, non-JSON bodies, ignored schemas, slow first bytes, refused credentials.

use crate::common;

use retort::llm::client::{CallSpec, HttpEngine};
use retort::llm::dialect::Validation;
use retort::llm::error::LlmError;
use retort::llm::profile::{Mode, parse};
use retort::llm::prompt::Prompt;
use retort::llm::{RunRequest, execute};
use retort::task::{ChatMessage, Registry};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn spec(base: &str, stream: bool) -> CallSpec {
    CallSpec {
        base_url: format!("{base}/v1"),
        model: "m".into(),
        prompt: Prompt::Chat {
            messages: vec![ChatMessage::new("user", "hi")],
        },
        stop: Vec::new(),
        temperature: 0.0,
        max_tokens: 16,
        extra: Default::default(),
        api_key: None,
        api_key_env: None,
        timeout: Duration::from_secs(10),
        retries: 3,
        stream,
        logprobs: false,
    }
}

fn chat_json(text: &str) -> serde_json::Value {
    serde_json::json!({"choices": [{"message": {"content": text}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}})
}

fn sse(events: &[&str]) -> ResponseTemplate {
    let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

async fn call(server: &MockServer, stream: bool) -> Result<retort::llm::client::Reply, LlmError> {
    HttpEngine::new()
        .call(&spec(&server.uri(), stream), None, &CancellationToken::new())
        .await
}

#[tokio::test]
async fn rate_limit_honours_retry_after_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_json("ok")))
        .mount(&server)
        .await;
    let started = Instant::now();
    let reply = call(&server, false).await.unwrap();
    assert_eq!(reply.text, "ok");
    assert_eq!(reply.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as the server asked"
    );
}

#[tokio::test]
async fn server_error_then_success_and_persistent_errors_are_named() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_json("fine")))
        .mount(&server)
        .await;
    assert_eq!(call(&server, false).await.unwrap().text, "fine");

    let broken = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("{\"error\": {\"message\": \"overloaded\"}}"))
        .mount(&broken)
        .await;
    let mut s = spec(&broken.uri(), false);
    s.retries = 1;
    let err = HttpEngine::new()
        .call(&s, None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::Server { status: 503, attempts: 2, message, .. } if message == "overloaded"),
        "{err}"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_and_say_what_to_do() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let mut s = spec(&server.uri(), false);
    s.api_key_env = Some("RETORT_NO_SUCH_KEY".into());
    let err = HttpEngine::new()
        .call(&s, None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("RETORT_NO_SUCH_KEY is not set"), "{err}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"data": [{"id": "smollm2"}, {"id": "mistral-7b"}]})),
        )
        .mount(&server)
        .await;
    let err = call(&server, false).await.unwrap_err();
    assert!(err.to_string().contains("smollm2, mistral-7b"), "{err}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                serde_json::json!({"error": {"message": "the request exceeds the available context size"}}),
            ),
        )
        .mount(&server)
        .await;
    assert!(matches!(
        call(&server, false).await.unwrap_err(),
        LlmError::ContextTooLong { .. }
    ));
}

#[tokio::test]
async fn connection_refused_names_the_url() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut s = spec(&format!("http://127.0.0.1:{port}"), false);
    s.retries = 0;
    let err = HttpEngine::new()
        .call(&s, None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::Connect { url, .. } if url.contains(&port.to_string())),
        "{err}"
    );
    assert!(err.to_string().contains("is the server running"));
}

#[tokio::test]
async fn streams_deliver_pieces_and_broken_streams_keep_what_arrived() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&[
            r#"{"choices":[{"delta":{"content":"Et"}}]}"#,
            r#"{"choices":[{"delta":{"content":"OH"},"finish_reason":""}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
            "[DONE]",
        ]))
        .mount(&server)
        .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reply = HttpEngine::new()
        .call(&spec(&server.uri(), true), Some(&tx), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(reply.text, "EtOH");
    assert_eq!(
        (reply.finish_reason.clone(), reply.completion_tokens),
        (Some(retort::llm::finish::FinishReason::Stop), Some(2))
    );
    assert_eq!(rx.recv().await.as_deref(), Some("Et"));
    assert_eq!(rx.recv().await.as_deref(), Some("OH"));

    let cut = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&[r#"{"choices":[{"delta":{"content":"half an ans"}}]}"#]))
        .mount(&cut)
        .await;
    let err = call(&cut, true).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::StreamCut { partial, .. } if partial == "half an ans"),
        "{err}"
    );

    let malformed = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&[r#"{"choices":[{"delta":{"content":"a"}}]}"#, "<html>oops"]))
        .mount(&malformed)
        .await;
    let err = call(&malformed, true).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::MalformedStream { partial, snippet, .. } if partial == "a" && snippet.contains("oops")),
        "{err}"
    );
}

#[tokio::test]
async fn non_json_bodies_and_slow_servers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>proxy login</html>"))
        .mount(&server)
        .await;
    let err = call(&server, false).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::NonJson { snippet, .. } if snippet.contains("proxy login")),
        "{err}"
    );

    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(chat_json("late"))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&slow)
        .await;
    let mut s = spec(&slow.uri(), false);
    s.timeout = Duration::from_millis(300);
    let err = HttpEngine::new()
        .call(&s, None, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Timeout { .. }), "{err}");
}

#[tokio::test]
async fn cancelling_drops_the_request_and_keeps_the_partial_text() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(chat_json("x"))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = HttpEngine::new()
        .call(&spec(&server.uri(), false), None, &cancel)
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Cancelled { .. }));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_server_that_ignores_the_schema_is_caught() {
    let server = MockServer::start().await;
    // Asked for the NMR object, the server answers with a list anyway.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_json("[\"not\", \"an object\"]")))
        .mount(&server)
        .await;
    let registry = Registry::builtin();
    let task = registry.get("nmr").unwrap();
    // With grounding off the schema goes as `json_schema`; strict sends one grammar holding the
    // schema and the copy rule instead. The reply is checked against the schema either way.
    for (grounding, sent) in [("off", "json_schema"), ("strict", "grammar")] {
        let toml = format!(
            "[[model]]\nname = \"t\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\nstructured = \"llama-cpp\"\ngrounding = \"{grounding}\"\n",
            server.uri()
        );
        let profile = parse(&toml).unwrap().remove(0);
        let request = RunRequest::new(task, &profile, "1H NMR (CDCl3, 400 MHz)");
        let run = execute(&retort::llm::Engines::new(), &request, None, &CancellationToken::new()).await;
        let other = if sent == "grammar" { "json_schema" } else { "grammar" };
        assert!(
            run.request.get(sent).is_some() && run.request.get(other).is_none(),
            "{}",
            run.request
        );
        assert!(
            matches!(&run.validation, Validation::Violated(_)),
            "{grounding}: {:?}",
            run.validation
        );
        assert!(run.parse_error.is_some(), "a list is not the NMR object");
        assert_eq!(run.raw_reply, "[\"not\", \"an object\"]");
        assert_eq!(run.mode, Mode::ZeroShot);
    }
}

#[tokio::test]
async fn the_key_goes_in_the_header_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer sk-test-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_json("ok")))
        .mount(&server)
        .await;
    let mut s = spec(&server.uri(), false);
    s.api_key = Some("sk-test-123".into());
    assert_eq!(
        HttpEngine::new()
            .call(&s, None, &CancellationToken::new())
            .await
            .unwrap()
            .text,
        "ok"
    );
    assert!(!HttpEngine::body(&s).to_string().contains("sk-test-123"));
}

/// A server that fails every chat request: `retort extract` exits 3 with the distinct error
/// counted; when the server is healthy again, `--resume` retries exactly the failed paragraphs
/// and leaves one line per paragraph.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_retries_failed_paragraphs_and_keeps_one_line_each() {
    let server = MockServer::start().await;
    common::mock::mount_models(&server).await;
    let failing = Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(500).set_body_string("overloaded"))
        .mount_as_scoped(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    common::write_models(
        &root,
        &format!(
            "[[model]]\nname = \"flaky\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\nretries = 0\n",
            server.uri()
        ),
    );
    std::fs::write(
        root.join("in.jsonl"),
        "{\"id\": \"a\", \"text\": \"Ethanol was added.\"}\n{\"id\": \"b\", \"text\": \"THF was added.\"}\n",
    )
    .unwrap();
    let extract = |resume: bool| {
        let root = root.clone();
        tokio::task::spawn_blocking(move || {
            let mut command = common::retort_in(&root);
            command.args(["extract", "--task", "compound", "--model", "flaky", "--input"]);
            command
                .arg(root.join("in.jsonl"))
                .arg("--output")
                .arg(root.join("out.jsonl"));
            if resume {
                command.arg("--resume");
            }
            command.output().unwrap()
        })
    };
    let first = extract(false).await.unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("2 × ") && stderr.contains("500"), "{stderr}");
    drop(failing);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_json("Ethanol")))
        .expect(2)
        .mount(&server)
        .await;
    let second = extract(true).await.unwrap();
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let lines = common::read_jsonl(&root.join("out.jsonl"));
    assert_eq!(lines.len(), 2, "one line per paragraph: {lines:?}");
    assert!(
        lines.iter().all(|l| l["error"].is_null() && l["answer"] == "Ethanol"),
        "{lines:?}"
    );
}
