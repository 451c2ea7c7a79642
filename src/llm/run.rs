//! A Run: one model call for one paragraph, with everything needed to inspect and reproduce it:
//! the prompt and request body as sent, the raw reply, timings, token counts, finish reason, the
//! parsed and grounded extraction (or where parsing stopped) and the schema validation.

use super::client::{CallSpec, HttpEngine, Reply};
use super::dialect::{self, Validation};
use super::error::LlmError;
use super::grounding::{CopyRule, Grounding, GroundingUsed};
use super::profile::{Engine, InProcess, Mode, ModelProfile, Server};
use super::prompt::{self, Pool, Prompt};
use crate::extraction::Extraction;
use crate::format::FormatError;
use crate::task::Task;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub task: String,
    pub profile: String,
    pub model: String,
    pub endpoint: String,
    pub mode: Mode,
    pub prompt: Prompt,
    pub prompt_hash: String,
    /// The request body as sent (the API key is never in it: it travels in a header). Not
    /// written to an extract line.
    pub request: serde_json::Value,
    /// The embedded engine's CPU backend that ran it, as `retort models` reports it (its module
    /// and features); `None` for a server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    pub raw_reply: String,
    /// The answer inside the reply (stop marks, fences and prefixes removed).
    pub answer: String,
    pub finish_reason: Option<super::finish::FinishReason>,
    pub prompt_tokens: Option<u64>,
    /// Prompt tokens the engine took from its cache (a shared few-shot prefix), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// Whether `completion_tokens` was counted here because the server gave no usage.
    pub tokens_counted: bool,
    pub time_to_first_token_ms: Option<f64>,
    pub total_ms: f64,
    /// How the call ended (complete, cut, failed, cancelled); what arrived is kept either way.
    #[serde(flatten)]
    pub outcome: super::Outcome,
    pub extraction: Option<Extraction>,
    pub parse_error: Option<FormatError>,
    pub validation: Validation,
    pub started_at: String,
    /// Few-shot runs: how many worked examples went into the prompt and where they came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shots_from: Option<String>,
    /// The LoRA adapters applied, with their scales (`chem-100.gguf ×1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adapters: Vec<String>,
    /// Whether verbatim values could only be copied from the paragraph, or were checked after.
    #[serde(default)]
    pub grounding: GroundingUsed,
    /// Verbatim values that are not in the paragraph but are in the prompt around it (a worked
    /// example's paragraph or answer, the instruction): copied, not found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from_prompt: Vec<String>,
    /// The reply's tokens with their log-probabilities (they become each value's confidence;
    /// not written out).
    #[serde(skip)]
    pub tokens: Vec<super::logprobs::TokenProb>,
    /// The endpoint itself failed (refused, timed out, broke off, 5xx): another replica may do.
    #[serde(skip)]
    pub replica_failed: bool,
}

impl Run {
    pub fn tokens_per_second(&self) -> Option<f64> {
        let tokens = self.completion_tokens? as f64;
        let ttft = self.time_to_first_token_ms.unwrap_or(0.0);
        let generating = (self.total_ms - ttft).max(1.0) / 1000.0;
        Some(tokens / generating)
    }
}

static NO_SHOTS: Pool = Pool::EMPTY;

/// What to run.
pub struct RunRequest<'a> {
    pub task: &'a Task,
    pub profile: &'a ModelProfile,
    pub paragraph: &'a str,
    /// Worked examples for few-shot prompts.
    pub pool: &'a Pool,
    /// Which of the profile's endpoints to use (batch runs spread over them).
    pub endpoint: usize,
    pub stream: bool,
    /// How many runs the caller keeps in flight: the embedded engine decodes that many
    /// sequences together (servers batch on their own).
    pub parallel: usize,
}

impl<'a> RunRequest<'a> {
    /// One paragraph with no worked examples, on the profile's first endpoint, not streamed.
    pub fn new(task: &'a Task, profile: &'a ModelProfile, paragraph: &'a str) -> Self {
        RunRequest {
            task,
            profile,
            paragraph,
            pool: &NO_SHOTS,
            endpoint: 0,
            stream: false,
            parallel: 1,
        }
    }
}

/// A run record before any call: who, where, when.
pub(super) fn blank(request: &RunRequest<'_>, endpoint: &str) -> Run {
    Run {
        task: request.task.name.clone(),
        profile: request.profile.name.clone(),
        model: request.profile.model.clone(),
        endpoint: endpoint.to_string(),
        mode: request.profile.mode,
        prompt: Prompt::Completion { text: String::new() },
        prompt_hash: String::new(),
        request: serde_json::Value::Null,
        backend: None,
        raw_reply: String::new(),
        answer: String::new(),
        finish_reason: None,
        prompt_tokens: None,
        cached_tokens: None,
        completion_tokens: None,
        tokens_counted: false,
        time_to_first_token_ms: None,
        total_ms: 0.0,
        outcome: super::Outcome::Complete,
        extraction: None,
        parse_error: None,
        validation: Validation::NotApplicable,
        started_at: crate::clock::now(),
        shots_from: None,
        adapters: request
            .profile
            .lora
            .iter()
            .map(super::adapter::LoraRef::label)
            .collect(),
        grounding: GroundingUsed::Checked,
        from_prompt: Vec::new(),
        tokens: Vec::new(),
        replica_failed: false,
    }
}

/// The run a reply would make, without calling a model: the prompt that would be sent, then the
/// reply parsed, grounded and validated as a real run's. For replaying recorded replies and for
/// tests of what consumes runs.
pub fn from_reply(request: &RunRequest<'_>, raw: &str) -> Run {
    let endpoint = request.profile.endpoints().into_iter().next().unwrap_or_default();
    let mut run = blank(request, &endpoint);
    if let Ok(built) = prompt::build(request.task, request.profile, request.paragraph, &request.pool.shots) {
        record_prompt(&mut run, request, &built);
    }
    run.raw_reply = raw.to_string();
    run.finish_reason = Some(super::finish::FinishReason::Stop);
    let schema: Option<serde_json::Value> = request
        .task
        .schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let schema_sent = schema.is_some() && request.profile.structured() != super::profile::Dialect::None;
    finish(&mut run, request, schema.as_ref(), schema_sent);
    run
}

pub(super) fn record_prompt(run: &mut Run, request: &RunRequest<'_>, built: &prompt::BuiltPrompt) {
    run.prompt_hash = built.prompt.hash();
    run.prompt = built.prompt.clone();
    if request.profile.mode == Mode::FewShot {
        let described = request.pool.describe(built.shots_used);
        run.shots_from = Some(match request.profile.few_shot_select {
            super::profile::ShotChoice::Newest => described,
            super::profile::ShotChoice::Similar => format!("{described}; the most like the paragraph"),
        });
    }
}

/// Runs the model on the paragraph. Never fails: a failed run carries its error and whatever
/// text arrived, so that it can be shown and inspected.
pub async fn execute(
    engines: &super::Engines,
    request: &RunRequest<'_>,
    pieces: Option<&UnboundedSender<String>>,
    cancel: &CancellationToken,
) -> Run {
    let started = Instant::now();
    let profile = request.profile;
    let endpoints = profile.endpoints();
    let endpoint = endpoints
        .get(request.endpoint % endpoints.len().max(1))
        .cloned()
        .unwrap_or_default();
    let mut run = blank(request, &endpoint);
    let built = match prompt::build(request.task, profile, request.paragraph, &request.pool.shots) {
        Ok(built) => built,
        Err(e) => {
            run.outcome = super::Outcome::failed(e);
            return run;
        }
    };
    record_prompt(&mut run, request, &built);
    let schema: Option<serde_json::Value> = request
        .task
        .schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let (result, schema_sent) = match &profile.engine {
        Engine::Embedded(local) => {
            call_embedded(&engines.embedded, local, &mut run, request, built, pieces, cancel).await
        }
        Engine::Openai(server) => {
            let call = HttpCall {
                engine: &engines.http,
                server,
                schema: schema.as_ref(),
            };
            call_http(call, &mut run, request, built, pieces, cancel).await
        }
    };
    run.total_ms = ms(started.elapsed());
    match result {
        Ok(reply) => record_reply(&mut run, reply),
        Err(e) => {
            tracing::warn!("run {} on {}: {e}", run.profile, run.endpoint);
            run.raw_reply = e.partial().unwrap_or_default().to_string();
            run.outcome = super::Outcome::of_error(&e);
            run.replica_failed = e.is_replica_failure();
        }
    }
    finish(&mut run, request, schema.as_ref(), schema_sent);
    run
}

/// What an OpenAI-compatible call goes through: the engine, the profile's server, the schema.
struct HttpCall<'c> {
    engine: &'c HttpEngine,
    server: &'c Server,
    schema: Option<&'c serde_json::Value>,
}

/// The OpenAI-compatible call; returns the reply and whether a schema was sent.
async fn call_http(
    call: HttpCall<'_>,
    run: &mut Run,
    request: &RunRequest<'_>,
    built: prompt::BuiltPrompt,
    pieces: Option<&UnboundedSender<String>>,
    cancel: &CancellationToken,
) -> (Result<Reply, LlmError>, bool) {
    let HttpCall { engine, server, schema } = call;
    let profile = request.profile;
    let api_key = profile.api_key();
    let model = match engine
        .resolve_model(&run.endpoint, &profile.model, api_key.as_deref())
        .await
    {
        Ok(model) => model,
        Err(e) => return (Err(e), false),
    };
    run.model = model.clone();
    let shaped = shape(request, server, schema, &built.stop);
    if shaped.constrained {
        run.grounding = GroundingUsed::Constrained;
    }
    let mut extra = shaped.extra;
    if !profile.lora.is_empty() {
        let selection = match engine.server_adapters(&run.endpoint, api_key.as_deref()).await {
            Ok(listed) => super::served::selection(&profile.lora, &listed, &run.endpoint),
            Err(e) => Err(e),
        };
        match selection {
            Ok(lora) => {
                extra.insert("lora".into(), lora);
            }
            Err(e) => return (Err(e), false),
        }
    }
    let spec = http_spec(request, server, &run.endpoint, model, built, extra);
    run.request = HttpEngine::body(&spec);
    (engine.call(&spec, pieces, cancel).await, shaped.schema_sent)
}

/// What shapes an OpenAI-compatible request's answer: the structured-output or grammar fields.
pub(super) struct Shape {
    pub(super) extra: serde_json::Map<String, serde_json::Value>,
    /// Whether the task's schema went (alone, or inside strict grounding's grammar).
    pub(super) schema_sent: bool,
    /// Whether strict grounding's grammar went.
    pub(super) constrained: bool,
}

pub(super) fn shape(
    request: &RunRequest<'_>,
    server: &Server,
    schema: Option<&serde_json::Value>,
    stops: &[String],
) -> Shape {
    let mut extra = serde_json::Value::Object(Default::default());
    // Strict grounding's grammar holds the schema too (for JSON tasks), so it goes instead.
    let grammar = copy_rule(request, stops)
        .filter(|_| dialect::carries_grammar(server.structured))
        .and_then(|rule| super::grounding::gbnf::grammar(&rule.shape, schema, &rule.source, rule.whitespace));
    let constrained = grammar.is_some_and(|g| dialect::apply_grammar(&mut extra, server.structured, g));
    let schema_sent = if constrained {
        schema.is_some()
    } else {
        schema.is_some_and(|s| dialect::apply(&mut extra, server.structured, &request.task.name, s))
    };
    Shape {
        extra: extra.as_object().cloned().unwrap_or_default(),
        schema_sent,
        constrained,
    }
}

/// The call to `endpoint` for `request`: the prompt built, the profile's sampling, `extra`.
fn http_spec(
    request: &RunRequest<'_>,
    server: &Server,
    endpoint: &str,
    model: String,
    built: prompt::BuiltPrompt,
    extra: serde_json::Map<String, serde_json::Value>,
) -> CallSpec {
    let profile = request.profile;
    CallSpec {
        base_url: endpoint.to_string(),
        model,
        prompt: built.prompt,
        stop: built.stop,
        temperature: profile.temperature,
        max_tokens: profile.max_tokens,
        extra,
        api_key: profile.api_key(),
        api_key_env: server.api_key_env.clone(),
        timeout: Duration::from_secs(profile.timeout),
        retries: profile.retries,
        stream: request.stream,
        logprobs: server.logprobs,
    }
}

/// Why a request cannot go in a batch file.
#[derive(Debug, thiserror::Error)]
pub enum BatchRequestError {
    #[error("profile {0} runs in process; a batch file is for an OpenAI-compatible service")]
    NotAServer(String),
    #[error("profile {0} names no model; a batch file needs the model's name (set model in models.toml)")]
    NoModel(String),
    #[error("profile {0} applies LoRA adapters of a llama.cpp server, which a batch service does not load")]
    Adapters(String),
    #[error(transparent)]
    Prompt(#[from] prompt::PromptError),
}

/// The body `execute` would send for `request` (not streamed), for a batch file: the same
/// prompt, shots, schema or grammar, sampling and token limit, byte for byte.
pub fn batch_body(request: &RunRequest<'_>) -> Result<serde_json::Value, BatchRequestError> {
    let profile = request.profile;
    let Engine::Openai(server) = &profile.engine else {
        return Err(BatchRequestError::NotAServer(profile.name.clone()));
    };
    if profile.model.is_empty() {
        return Err(BatchRequestError::NoModel(profile.name.clone()));
    }
    if !profile.lora.is_empty() {
        return Err(BatchRequestError::Adapters(profile.name.clone()));
    }
    let built = prompt::build(request.task, profile, request.paragraph, &request.pool.shots)?;
    let schema: Option<serde_json::Value> = request
        .task
        .schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok());
    let shaped = shape(request, server, schema.as_ref(), &built.stop);
    let request = RunRequest {
        stream: false,
        ..*request
    };
    let endpoint = profile.endpoints().into_iter().next().unwrap_or_default();
    let spec = http_spec(&request, server, &endpoint, profile.model.clone(), built, shaped.extra);
    Ok(HttpEngine::body(&spec))
}

/// The in-process call; decoding is constrained by the task's schema whenever it has one.
async fn call_embedded(
    engine: &super::embedded::EmbeddedEngine,
    local: &InProcess,
    run: &mut Run,
    request: &RunRequest<'_>,
    built: prompt::BuiltPrompt,
    pieces: Option<&UnboundedSender<String>>,
    cancel: &CancellationToken,
) -> (Result<Reply, LlmError>, bool) {
    let profile = request.profile;
    let path = local.path.clone();
    let grammar = request.task.schema.as_deref().and_then(super::embedded::schema_grammar);
    let threads = local
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get() as u32));
    let lora = embedded_adapters(profile);
    let copy = copy_rule(request, &built.stop);
    run.grounding = if copy.is_some() {
        GroundingUsed::Constrained
    } else {
        GroundingUsed::Checked
    };
    let call = super::embedded::EmbeddedCall {
        path: path.clone(),
        threads,
        context: profile.context as u32,
        gpu_layers: local.gpu_layers.unwrap_or(0),
        prompt: built.prompt,
        stop: built.stop,
        max_tokens: profile.max_tokens,
        temperature: profile.temperature,
        grammar: grammar.clone(),
        slots: request.parallel.max(1) as u32,
        prompt_cache: local.prompt_cache,
        lora: lora.clone(),
        copy,
    };
    run.endpoint = format!("embedded:{}", path.display());
    run.request = serde_json::json!({
        "engine": "embedded",
        "path": path,
        "threads": threads,
        "context": call.context,
        "max_tokens": call.max_tokens,
        "temperature": call.temperature,
        "stop": call.stop,
        "grammar": grammar.is_some(),
        "slots": call.slots,
        "grounding": run.grounding,
        "lora": lora.iter().map(|(path, scale)| serde_json::json!({"path": path, "scale": scale})).collect::<Vec<_>>(),
    });
    // Pieces go through a channel the inference thread owns a clone of.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let forward = pieces.cloned();
    let forwarder = tokio::spawn(async move {
        while let Some(piece) = rx.recv().await {
            if let Some(out) = &forward {
                let _ = out.send(piece);
            }
        }
    });
    let result = engine.call(call, Some(tx), cancel.clone()).await;
    let _ = forwarder.await;
    run.backend = super::embedded::loaded_backend();
    (result, grammar.is_some())
}

/// The copy rule of a strict profile's request, when the task's format has one.
fn copy_rule(request: &RunRequest<'_>, stops: &[String]) -> Option<CopyRule> {
    if request.profile.grounding != Grounding::Strict {
        return None;
    }
    CopyRule::for_task(request.task, request.profile.mode, request.paragraph, stops)
}

/// The adapters an embedded profile applies (the profile's check made sure each has a path).
fn embedded_adapters(profile: &super::ModelProfile) -> Vec<(std::path::PathBuf, f32)> {
    profile
        .lora
        .iter()
        .filter_map(|l| l.path.clone().map(|path| (path, l.scale)))
        .collect()
}

pub(super) fn record_reply(run: &mut Run, mut reply: Reply) {
    // A whole reply from a server that ran away: cut and said, as the engine does while writing.
    let stopped = reply.finish_reason == Some(super::finish::FinishReason::Stop);
    if let Some(cut) = super::repetition::runaway(&reply.text).filter(|_| !stopped) {
        reply.text.truncate(cut);
        reply.finish_reason = Some(super::finish::FinishReason::Repetition);
    }
    run.raw_reply = reply.text;
    run.tokens = reply.tokens;
    run.finish_reason = reply.finish_reason;
    run.prompt_tokens = reply.prompt_tokens;
    run.cached_tokens = reply.cached_tokens;
    run.completion_tokens = reply.completion_tokens.or_else(|| {
        run.tokens_counted = true;
        Some(if reply.pieces > 0 {
            reply.pieces
        } else {
            prompt::approx_tokens(&run.raw_reply) as u64
        })
    });
    run.time_to_first_token_ms = reply.time_to_first_token.map(ms);
    if run
        .finish_reason
        .as_ref()
        .is_some_and(super::finish::FinishReason::is_cut)
    {
        run.outcome = super::Outcome::Cut;
    }
}

/// Parses, grounds and validates whatever reply text the run has.
pub(super) fn finish(run: &mut Run, request: &RunRequest<'_>, schema: Option<&serde_json::Value>, schema_sent: bool) {
    if run.raw_reply.is_empty() && run.outcome.is_error() {
        return;
    }
    run.answer = prompt::answer_from_reply(request.task, run.mode, whole_answer(run, request));
    match request.task.parse_grounded(&run.answer, request.paragraph) {
        Ok(mut extraction) => {
            super::logprobs::assign(&mut extraction, &run.tokens);
            run.from_prompt = copied_from_prompt(&extraction, &run.prompt);
            run.extraction = Some(extraction);
        }
        Err(e) => run.parse_error = Some(e),
    }
    run.validation = dialect::validate(schema, &run.answer, schema_sent);
}

/// The values found nowhere in the paragraph that the prompt holds elsewhere, each once. Values
/// shorter than three characters are left out: they are everywhere.
pub fn copied_from_prompt(extraction: &crate::extraction::Extraction, prompt: &Prompt) -> Vec<String> {
    let text = prompt.text();
    let mut copied: Vec<String> = Vec::new();
    for (_, value) in extraction.values() {
        let wanted = value.text.trim();
        let unaligned = value.alignment == crate::extraction::Alignment::Unaligned;
        if unaligned && wanted.chars().count() >= 3 && text.contains(wanted) && !copied.iter().any(|c| c == wanted) {
            copied.push(wanted.to_string());
        }
    }
    copied
}

/// The reply, or for a grounded run that was cut (token limit, repetition) the part of it up to
/// the last place the copy rule let the answer end: a value cut in half is not a copy.
fn whole_answer<'r>(run: &'r Run, request: &RunRequest<'_>) -> &'r str {
    if run.grounding != GroundingUsed::Constrained || !run.outcome.is_incomplete() {
        return &run.raw_reply;
    }
    match copy_rule(request, &[]) {
        Some(rule) => &run.raw_reply[..super::grounding::whole_answer_len(&rule, &run.raw_reply)],
        None => &run.raw_reply,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
