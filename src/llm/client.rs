//! The engine for OpenAI-compatible servers: raw `reqwest` with lenient response reading and
//! `eventsource-stream` for streaming; retries with exponential backoff and jitter on connection
//! errors, 429 (honouring `Retry-After`) and 5xx, never on other 4xx.

use super::error::{LlmError, server_message, snippet};
use super::prompt::Prompt;
use crate::net::{BodyError, BodyLimit};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use rand::RngExt;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// One call to a model.
#[derive(Debug, Clone)]
pub struct CallSpec {
    pub base_url: String,
    pub model: String,
    pub prompt: Prompt,
    pub stop: Vec<String>,
    pub temperature: f64,
    pub max_tokens: u32,
    /// Extra body fields (the structured-output dialect).
    pub extra: serde_json::Map<String, Json>,
    pub api_key: Option<String>,
    /// The variable the key should come from, for error messages.
    pub api_key_env: Option<String>,
    pub timeout: Duration,
    pub retries: u32,
    pub stream: bool,
    /// Ask for each token's log-probability.
    pub logprobs: bool,
}

/// What came back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub text: String,
    pub finish_reason: Option<super::finish::FinishReason>,
    pub prompt_tokens: Option<u64>,
    /// Prompt tokens the engine took from its cache instead of reading them, when it says.
    pub cached_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// Content pieces received (streaming), a token count when the server gives no usage.
    pub pieces: u64,
    pub time_to_first_token: Option<Duration>,
    pub attempts: u32,
    /// The generated tokens with their log-probabilities, when the engine gave them.
    pub tokens: Vec<super::logprobs::TokenProb>,
}

pub struct HttpEngine {
    client: reqwest::Client,
    /// Model ids discovered per endpoint, for profiles that leave `model` empty.
    discovered: Mutex<HashMap<String, String>>,
    /// The LoRA adapters a llama.cpp server listed, per endpoint (fixed while it runs).
    adapters: Mutex<HashMap<String, Vec<super::served::ServerAdapter>>>,
}

impl Default for HttpEngine {
    fn default() -> Self {
        HttpEngine::new()
    }
}

impl HttpEngine {
    pub fn new() -> HttpEngine {
        let client = crate::net::client()
            .pool_max_idle_per_host(64)
            .build()
            .expect("an HTTP client with a TLS provider builds");
        HttpEngine {
            client,
            discovered: Mutex::new(HashMap::new()),
            adapters: Mutex::new(HashMap::new()),
        }
    }

    /// The request body for `spec`, exactly as it is sent (the key travels in a header, never here).
    pub fn body(spec: &CallSpec) -> Json {
        let mut body = json!({
            "model": spec.model,
            "temperature": spec.temperature,
            "max_tokens": spec.max_tokens,
            "stream": spec.stream,
        });
        let map = body.as_object_mut().expect("object literal");
        match &spec.prompt {
            Prompt::Chat { messages } => map.insert("messages".into(), json!(messages)),
            Prompt::Completion { text } => map.insert("prompt".into(), json!(text)),
        };
        // The chosen token's log-probability only: one alternative is the fewest servers accept.
        match (&spec.prompt, spec.logprobs) {
            (Prompt::Chat { .. }, true) => {
                map.insert("logprobs".into(), json!(true));
                map.insert("top_logprobs".into(), json!(1));
            }
            (Prompt::Completion { .. }, true) => {
                map.insert("logprobs".into(), json!(1));
            }
            (_, false) => {}
        }
        if !spec.stop.is_empty() {
            map.insert("stop".into(), json!(spec.stop));
        }
        map.extend(spec.extra.clone());
        body
    }

    fn route(spec: &CallSpec) -> String {
        let path = match spec.prompt {
            Prompt::Chat { .. } => "chat/completions",
            Prompt::Completion { .. } => "completions",
        };
        format!("{}/{path}", spec.base_url.trim_end_matches('/'))
    }

    /// Sends the call; streamed text pieces go to `pieces` as they arrive. Cancelling drops the
    /// request at once and keeps what arrived.
    pub async fn call(
        &self,
        spec: &CallSpec,
        pieces: Option<&UnboundedSender<String>>,
        cancel: &CancellationToken,
    ) -> Result<Reply, LlmError> {
        let url = Self::route(spec);
        let body = Self::body(spec);
        let partial = std::sync::Arc::new(Mutex::new(String::new()));
        let work = self.call_inner(spec, &url, &body, pieces, partial.clone());
        tokio::select! {
            _ = cancel.cancelled() => Err(LlmError::Cancelled { partial: taken(partial.as_ref()) }),
            result = tokio::time::timeout(spec.timeout, work) => match result {
                Ok(result) => result,
                Err(_) => Err(LlmError::Timeout { url, seconds: spec.timeout.as_secs() }),
            },
        }
    }

    async fn call_inner(
        &self,
        spec: &CallSpec,
        url: &str,
        body: &Json,
        pieces: Option<&UnboundedSender<String>>,
        partial: std::sync::Arc<Mutex<String>>,
    ) -> Result<Reply, LlmError> {
        let started = Instant::now();
        let (response, attempts) = self.send_with_retries(spec, url, body).await?;
        let status = response.status().as_u16();
        let mut reply = if spec.stream && is_event_stream(&response) {
            read_stream(response, url, spec.api_key.as_deref(), pieces, partial, started).await?
        } else {
            let text = read_text(response, url, BodyLimit::Reply, spec.api_key.as_deref()).await?;
            let json: Json = serde_json::from_str(&text).map_err(|_| LlmError::NonJson {
                status,
                url: url.into(),
                snippet: snippet(&text),
            })?;
            let mut reply = reply_from_json(&json);
            reply.time_to_first_token = Some(started.elapsed());
            if let Some(tx) = pieces {
                let _ = tx.send(reply.text.clone());
            }
            reply
        };
        reply.attempts = attempts;
        Ok(reply)
    }

    async fn send_with_retries(
        &self,
        spec: &CallSpec,
        url: &str,
        body: &Json,
    ) -> Result<(reqwest::Response, u32), LlmError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut request = self.client.post(url).json(body);
            if let Some(key) = &spec.api_key {
                request = request.bearer_auth(key);
            }
            let last = attempt > spec.retries;
            match request.send().await {
                Err(e) if e.is_connect() || e.is_request() => {
                    if last {
                        return Err(LlmError::Connect {
                            url: url.into(),
                            detail: root_cause(&e),
                        });
                    }
                    backoff(attempt, None).await;
                }
                Err(e) => {
                    return Err(LlmError::Request {
                        url: url.into(),
                        detail: root_cause(&e),
                    });
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    if response.status().is_success() {
                        return Ok((response, attempt));
                    }
                    if let Some(location) = crate::net::redirect_target(&response) {
                        return Err(LlmError::Redirected {
                            url: url.into(),
                            location,
                        });
                    }
                    let retry_after = retry_after(&response);
                    let text = read_text(response, url, BodyLimit::Error, spec.api_key.as_deref())
                        .await
                        .unwrap_or_default();
                    let retryable = status == 429 || status >= 500;
                    if retryable && !last {
                        tracing::warn!("{url}: {status}, attempt {attempt}; retrying");
                        backoff(attempt, retry_after).await;
                        continue;
                    }
                    return Err(self.status_error(spec, url, status, &text, attempt).await);
                }
            }
        }
    }

    async fn status_error(&self, spec: &CallSpec, url: &str, status: u16, body: &str, attempts: u32) -> LlmError {
        let message = server_message(body);
        let lower = message.to_lowercase();
        match status {
            401 | 403 => LlmError::Unauthorized {
                status,
                url: url.into(),
                hint: key_hint(spec),
            },
            404 => {
                let available = self
                    .list_models(&spec.base_url, spec.api_key.as_deref())
                    .await
                    .unwrap_or_default();
                LlmError::ModelNotFound {
                    model: spec.model.clone(),
                    url: spec.base_url.clone(),
                    available,
                }
            }
            429 => LlmError::RateLimited {
                url: url.into(),
                attempts,
            },
            s if s >= 500 => LlmError::Server {
                status,
                url: url.into(),
                attempts,
                message,
            },
            _ if lower.contains("context") || lower.contains("too long") || lower.contains("exceed") => {
                LlmError::ContextTooLong { message }
            }
            _ => LlmError::Rejected {
                status,
                url: url.into(),
                message,
            },
        }
    }

    /// `GET /models`: the ids the server serves.
    pub async fn list_models(&self, base_url: &str, api_key: Option<&str>) -> Result<Vec<String>, LlmError> {
        let served = super::served::list(self, base_url, api_key).await?;
        Ok(served.into_iter().map(|m| m.id).collect())
    }

    /// `GET url` read as JSON (a short timeout: these are listings, not generations).
    pub async fn get_json(&self, url: &str, api_key: Option<&str>) -> Result<Json, LlmError> {
        let mut request = self.client.get(url).timeout(Duration::from_secs(5));
        if let Some(key) = api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| LlmError::Connect {
            url: url.to_string(),
            detail: root_cause(&e),
        })?;
        let status = response.status().as_u16();
        if let Some(location) = crate::net::redirect_target(&response) {
            return Err(LlmError::Redirected {
                url: url.to_string(),
                location,
            });
        }
        let text = read_text(response, url, BodyLimit::Listing, api_key).await?;
        if status == 401 || status == 403 {
            return Err(LlmError::Unauthorized {
                status,
                url: url.to_string(),
                hint: "set the profile's API key variable".into(),
            });
        }
        if status == 404 {
            return Err(LlmError::Rejected {
                status,
                url: url.to_string(),
                message: "not found".into(),
            });
        }
        serde_json::from_str(&text).map_err(|_| LlmError::NonJson {
            status,
            url: url.to_string(),
            snippet: snippet(&text),
        })
    }

    /// The adapters a llama.cpp server at `base_url` has, asked once per endpoint.
    pub async fn server_adapters(
        &self,
        base_url: &str,
        api_key: Option<&str>,
    ) -> Result<Vec<super::served::ServerAdapter>, LlmError> {
        if let Some(known) = self.adapters.lock().ok().and_then(|m| m.get(base_url).cloned()) {
            return Ok(known);
        }
        let listed = super::served::adapters(self, base_url, api_key).await?;
        if let Ok(mut map) = self.adapters.lock() {
            map.insert(base_url.to_string(), listed.clone());
        }
        Ok(listed)
    }

    /// The model id to ask for: the profile's, or the first the endpoint lists when it is empty.
    pub async fn resolve_model(&self, base_url: &str, model: &str, api_key: Option<&str>) -> Result<String, LlmError> {
        if !model.is_empty() {
            return Ok(model.to_string());
        }
        if let Some(known) = self.discovered.lock().ok().and_then(|m| m.get(base_url).cloned()) {
            return Ok(known);
        }
        let ids = self.list_models(base_url, api_key).await?;
        let first = ids.into_iter().next().ok_or_else(|| LlmError::NoModels {
            url: base_url.to_string(),
        })?;
        if let Ok(mut map) = self.discovered.lock() {
            map.insert(base_url.to_string(), first.clone());
        }
        Ok(first)
    }
}

fn key_hint(spec: &CallSpec) -> String {
    match (&spec.api_key_env, &spec.api_key) {
        (Some(var), None) => format!("the environment variable {var} is not set"),
        (Some(var), Some(_)) => format!("check the key in {var}"),
        (None, _) => "this server needs a key: name its environment variable in the profile's api_key_env".into(),
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(60.0)))
}

/// Exponential backoff with jitter (0.5 s, 1 s, 2 s … plus up to 250 ms), or the server's
/// `Retry-After` when it gives one.
async fn backoff(attempt: u32, retry_after: Option<Duration>) {
    let wait = retry_after.unwrap_or_else(|| {
        let base = Duration::from_millis(500) * 2u32.saturating_pow(attempt.saturating_sub(1).min(6));
        base + Duration::from_millis(rand::rng().random_range(0..250))
    });
    tokio::time::sleep(wait).await;
}

/// Streams are read as server-sent events unless the server plainly answered with JSON.
fn is_event_stream(response: &reqwest::Response) -> bool {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    content_type.is_none_or(|v| v.contains("text/event-stream") || !v.contains("json"))
}

/// Reads the text, finish reason and usage of a non-streamed reply (chat or completion).
pub fn reply_from_json(json: &Json) -> Reply {
    let choice = json.pointer("/choices/0");
    let text = choice
        .and_then(|c| c.pointer("/message/content").or_else(|| c.get("text")))
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let mut reply = Reply {
        text,
        tokens: choice.map(super::logprobs::from_choice).unwrap_or_default(),
        ..Reply::default()
    };
    read_meta(json, &mut reply);
    reply
}

fn read_meta(json: &Json, reply: &mut Reply) {
    if let Some(reason) = json
        .pointer("/choices/0/finish_reason")
        .and_then(Json::as_str)
        .filter(|r| !r.is_empty())
    {
        reply.finish_reason = Some(reason.to_string().into());
    }
    if let Some(usage) = json.get("usage").filter(|u| u.is_object()) {
        reply.prompt_tokens = usage
            .get("prompt_tokens")
            .and_then(Json::as_u64)
            .or(reply.prompt_tokens);
        reply.completion_tokens = usage
            .get("completion_tokens")
            .and_then(Json::as_u64)
            .or(reply.completion_tokens);
        reply.cached_tokens = usage
            .pointer("/prompt_tokens_details/cached_tokens")
            .and_then(Json::as_u64)
            .or(reply.cached_tokens);
    }
    // llama.cpp's server also says it in its timings (older builds only there).
    if let Some(cached) = json.pointer("/timings/cache_n").and_then(Json::as_u64) {
        reply.cached_tokens = reply.cached_tokens.or(Some(cached));
    }
}

async fn read_stream(
    response: reqwest::Response,
    url: &str,
    secret: Option<&str>,
    pieces: Option<&UnboundedSender<String>>,
    partial: std::sync::Arc<Mutex<String>>,
    started: Instant,
) -> Result<Reply, LlmError> {
    let mut events = std::pin::pin!(crate::net::capped(response, url, BodyLimit::Reply).eventsource());
    let mut reply = Reply::default();
    let mut done = false;
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                return Err(LlmError::StreamCut {
                    url: url.into(),
                    detail: e.to_string(),
                    partial: taken(partial.as_ref()),
                });
            }
        };
        let data = crate::foreign::redact(event.data.trim(), secret);
        let data = data.as_ref();
        if data == "[DONE]" {
            done = true;
            break;
        }
        if data.is_empty() {
            continue;
        }
        let json: Json = serde_json::from_str(data).map_err(|_| LlmError::MalformedStream {
            url: url.into(),
            snippet: snippet(data),
            partial: taken(partial.as_ref()),
        })?;
        if let Some(error) = json.get("error") {
            return Err(LlmError::StreamCut {
                url: url.into(),
                detail: server_message(&error.to_string()),
                partial: taken(partial.as_ref()),
            });
        }
        let piece = json
            .pointer("/choices/0/delta/content")
            .or_else(|| json.pointer("/choices/0/text"))
            .and_then(Json::as_str)
            .unwrap_or_default();
        if !piece.is_empty() {
            reply.time_to_first_token.get_or_insert_with(|| started.elapsed());
            reply.pieces += 1;
            reply.text.push_str(piece);
            if let Ok(mut p) = partial.lock() {
                p.push_str(piece);
            }
            if let Some(tx) = pieces {
                let _ = tx.send(piece.to_string());
            }
            // A runaway answer: stop reading (the server stops when the stream is dropped).
            if let Some(cut) = super::repetition::runaway(&reply.text) {
                reply.text.truncate(cut);
                reply.finish_reason = Some(super::finish::FinishReason::Repetition);
                return Ok(reply);
            }
        }
        if let Some(choice) = json.pointer("/choices/0") {
            reply.tokens.extend(super::logprobs::from_choice(choice));
        }
        read_meta(&json, &mut reply);
    }
    if !done && reply.finish_reason.is_none() {
        return Err(LlmError::StreamCut {
            url: url.into(),
            detail: "no [DONE] and no finish reason".into(),
            partial: reply.text,
        });
    }
    Ok(reply)
}

/// The text streamed so far (kept when a run fails or is cancelled).
fn taken(partial: &Mutex<String>) -> String {
    partial.lock().map(|s| s.clone()).unwrap_or_default()
}

/// A body read through [`crate::net`], its failure as the engine's error.
async fn read_text(
    response: reqwest::Response,
    url: &str,
    limit: BodyLimit,
    secret: Option<&str>,
) -> Result<String, LlmError> {
    crate::net::read_text(response, url, limit, secret)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge { url, limit } => LlmError::TooLarge { url, limit },
            BodyError::Broken { url, detail } => LlmError::StreamCut {
                url,
                detail,
                partial: String::new(),
            },
        })
}
