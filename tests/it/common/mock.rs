//! An OpenAI-compatible server double (wiremock) for faults a real server will not produce on
//! demand: it lists one model, `m`, and answers every chat request with one reply. Tests mount
//! their own failures over it with a higher priority (a lower number).

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Answers `/v1/models` with the one model `m`.
pub async fn mount_models(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": [{"id": "m"}]})))
        .mount(server)
        .await;
}

/// A server that lists `m` and replies `answer` to every chat request (priority 2).
pub async fn answering(answer: &str) -> MockServer {
    let server = MockServer::start().await;
    mount_models(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "choices": [{"message": {"content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 90, "completion_tokens": 5}
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

/// Writes a `models.toml` under `dir` (see `retort_in`) with one zero-shot profile, `smol`, on
/// `server`, plus `extra` lines (e.g. "retries = 1\n").
pub fn write_profile(dir: &std::path::Path, server: &MockServer, extra: &str) {
    super::write_models(
        dir,
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\n{extra}",
            server.uri()
        ),
    );
}
