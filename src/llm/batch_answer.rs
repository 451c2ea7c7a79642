//! A run made from a batch service's answer instead of a call: the body that was sent (read back
//! from the request file), the reply read as the online call reads it, then grounded and
//! validated the same way, so a collected line is what `retort extract` would have written.

use super::grounding::GroundingUsed;
use super::profile::Engine;
use super::prompt::{self, Prompt};
use super::run::{Run, RunRequest, batch_body, blank, finish, record_prompt, record_reply, shape};
use crate::task::ChatMessage;
use serde_json::Value as Json;

/// What a batch service gave back for one request: the completion's body, or why it failed.
pub enum BatchAnswer<'a> {
    Reply(&'a Json),
    Failed(&'a str),
}

/// Where and when the answer came from.
pub struct AnswerOrigin<'a> {
    /// The service (its base URL, or `vllm run_batch on HOST`).
    pub endpoint: &'a str,
    /// When the batch began (RFC 3339).
    pub started_at: &'a str,
}

/// The run `request` makes with `answer`, `sent` being the body that went in the request file.
pub fn from_batch_answer(
    request: &RunRequest<'_>,
    sent: &Json,
    answer: BatchAnswer<'_>,
    origin: AnswerOrigin<'_>,
) -> Run {
    let mut run = blank(request, origin.endpoint);
    run.started_at = origin.started_at.to_string();
    run.request = sent.clone();
    run.prompt = prompt_of(sent);
    run.prompt_hash = run.prompt.hash();
    if let Some(model) = sent.get("model").and_then(Json::as_str) {
        run.model = crate::foreign::one_line(model, 200);
    }
    // Rebuilt today, the prompt may differ (worked examples saved since): then what was sent stands.
    let built = prompt::build(request.task, request.profile, request.paragraph, &request.pool.shots).ok();
    let stops = built.as_ref().map(|b| b.stop.clone()).unwrap_or_default();
    if let Some(built) = built.filter(|_| batch_body(request).ok().as_ref() == Some(sent)) {
        record_prompt(&mut run, request, &built);
    }
    let schema: Option<Json> = request
        .task
        .schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let schema_sent = match &request.profile.engine {
        Engine::Openai(server) => {
            let shaped = shape(request, server, schema.as_ref(), &stops);
            if shaped.constrained {
                run.grounding = GroundingUsed::Constrained;
            }
            shaped.schema_sent
        }
        Engine::Embedded(_) => false,
    };
    match answer {
        BatchAnswer::Reply(body) => record_reply(&mut run, super::client::reply_from_json(body)),
        BatchAnswer::Failed(error) => run.outcome = super::Outcome::failed(error),
    }
    finish(&mut run, request, schema.as_ref(), schema_sent);
    run
}

/// The prompt a request body carries (chat messages, or a completion's text).
fn prompt_of(body: &Json) -> Prompt {
    match body
        .get("messages")
        .cloned()
        .map(serde_json::from_value::<Vec<ChatMessage>>)
    {
        Some(Ok(messages)) => Prompt::Chat { messages },
        _ => Prompt::Completion {
            text: body
                .get("prompt")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
        },
    }
}
