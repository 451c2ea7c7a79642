//! What can go wrong with a model call, each case with what to do about it.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LlmError {
    #[error("cannot connect to {url}: is the server running there? ({detail})")]
    Connect { url: String, detail: String },
    #[error("{status} from {url}: the server refused the credentials; {hint}")]
    Unauthorized { status: u16, url: String, hint: String },
    #[error("model {model:?} is not served at {url}; it serves: {}", listed(available))]
    ModelNotFound {
        model: String,
        url: String,
        available: Vec<String>,
    },
    #[error("the prompt is longer than the model's context: {message}")]
    ContextTooLong { message: String },
    #[error(
        "no complete reply within {seconds} s from {url}; raise `timeout` in the profile or check the server's load"
    )]
    Timeout { url: String, seconds: u64 },
    #[error("rate limited by {url} after {attempts} attempts; try again later or lower the concurrency")]
    RateLimited { url: String, attempts: u32 },
    #[error("server error {status} from {url} after {attempts} attempts: {message}")]
    Server {
        status: u16,
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("request rejected with {status} by {url}: {message}")]
    Rejected { status: u16, url: String, message: String },
    #[error("the server's reply is not JSON ({status} from {url}): {snippet}")]
    NonJson { status: u16, url: String, snippet: String },
    #[error("the stream from {url} broke off before the end; the text that arrived is kept ({detail})")]
    StreamCut {
        url: String,
        detail: String,
        partial: String,
    },
    #[error("the stream from {url} sent an event that is not JSON: {snippet}")]
    MalformedStream {
        url: String,
        snippet: String,
        partial: String,
    },
    #[error("{}", crate::net::redirect_message(url, location))]
    Redirected { url: String, location: String },
    #[error("the reply from {url} is larger than {limit} bytes; refused")]
    TooLarge { url: String, limit: usize },
    #[error("cancelled")]
    Cancelled { partial: String },
    #[error("request to {url} failed: {detail}")]
    Request { url: String, detail: String },
    #[error("{url} lists no models")]
    NoModels { url: String },
    #[error(
        "{url} lists no LoRA adapters, so this server cannot apply the profile's `lora` (a llama.cpp server started with --lora can); for vLLM, name the adapter as the profile's model"
    )]
    NoAdapterList { url: String },
    #[error("the server at {url} has no adapter {wanted}; it has: {}", none_or(known))]
    AdapterNotServed {
        url: String,
        wanted: String,
        known: Vec<String>,
    },
    /// The in-process engine: the model file before llama.cpp sees it.
    #[error("{path}: {problem}")]
    ModelFile { path: String, problem: ModelFileProblem },
    #[error("llama.cpp could not read {path} ({size} bytes): the file is truncated or corrupt; download it again")]
    ModelCorrupt { path: String, size: u64 },
    #[error(
        "llama.cpp could not load {path} ({size} bytes, architecture {architecture:?}): the file is truncated, or this llama.cpp does not know the architecture; download it again or use a newer retort"
    )]
    ModelUnknown {
        path: String,
        size: u64,
        architecture: String,
    },
    #[error("the embedded engine could not start: {detail}")]
    EngineStart { detail: String },
    #[error("the inference thread {}", if *during_run { "stopped during the run" } else { "has stopped" })]
    EngineStopped { during_run: bool },
    #[error(
        "this build of retort has no embedded engine (built without the `embedded` feature); rebuild with default features or pick an HTTP profile"
    )]
    NoEmbeddedEngine,
    #[error(
        "the model has no chat template in its GGUF metadata, and llama.cpp has none built in for its architecture; use a fine-tuned completion profile"
    )]
    NoChatTemplate,
    /// A step of llama.cpp failed (`chat template`, `context`, `batch`, `decode`, `the schema's
    /// grammar`).
    #[error("llama.cpp {step}: {detail}")]
    Llama { step: &'static str, detail: String },
    /// A LoRA adapter could not be checked, combined, loaded or switched to.
    #[error("{detail}")]
    Adapter { detail: String },
}

fn none_or(known: &[String]) -> String {
    if known.is_empty() {
        "none".into()
    } else {
        known.join(", ")
    }
}

/// What is wrong with a model file named by a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelFileProblem {
    #[error(
        "the model file does not exist; run `retort models fetch-default` for the default model, or set `path` in models.toml"
    )]
    Missing,
    #[error("a directory; `path` must name a .gguf file")]
    Directory,
    #[error("cannot be opened")]
    Unreadable,
    #[error(
        "not a GGUF model file (it does not start with the GGUF signature); convert the model to GGUF with llama.cpp's convert script"
    )]
    NotGguf,
}

impl LlmError {
    /// The endpoint failed rather than the request: it refused the connection, timed out,
    /// broke a stream off or answered 5xx (another replica may serve the same request).
    pub fn is_replica_failure(&self) -> bool {
        matches!(
            self,
            LlmError::Connect { .. } | LlmError::Timeout { .. } | LlmError::StreamCut { .. } | LlmError::Server { .. }
        )
    }

    /// The reply text that arrived before the failure.
    pub fn partial(&self) -> Option<&str> {
        match self {
            LlmError::StreamCut { partial, .. }
            | LlmError::MalformedStream { partial, .. }
            | LlmError::Cancelled { partial } => Some(partial),
            _ => None,
        }
    }
}

/// A server's error message: `error.message`, `error` or `message` of a JSON body, else the text.
pub fn server_message(body: &str) -> String {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = json.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .map(|m| m.as_str().map_or_else(|| m.to_string(), String::from))
    });
    snippet(&message.unwrap_or_else(|| body.to_string()))
}

/// The ids a server listed, each on one line and cut, the first 20 of them.
fn listed(available: &[String]) -> String {
    if available.is_empty() {
        return "(could not list models)".into();
    }
    let mut shown: Vec<String> = available.iter().take(20).map(|id| snippet(id)).collect();
    if available.len() > 20 {
        shown.push(format!("and {} more", available.len() - 20));
    }
    shown.join(", ")
}

/// At most 300 characters of `text`, on one line.
pub fn snippet(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let cut: String = flat.chars().take(300).collect();
    if flat.chars().count() > 300 {
        format!("{cut}…")
    } else {
        cut
    }
}
