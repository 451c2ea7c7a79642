//! Model profiles: a named way to get a reply (engine, endpoint, model id, prompting mode,
//! structured-output dialect, sampling). Shipped defaults plus the user's `models.toml`.
//! `raw.rs` reads and writes a profile's TOML keys; `load.rs` reads models files.

mod load;
mod raw;

pub use load::{DEFAULTS, Profiles, parse, parse_each};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a profile's model runs. Code that depends on it matches on it (never `==`), so that a
/// new engine is a compile error everywhere it must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum EngineKind {
    /// An OpenAI-compatible HTTP server: OpenAI, vLLM, SGLang, llama.cpp server, Ollama.
    Openai,
    /// A GGUF model run inside the Retort process.
    Embedded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Mode {
    ZeroShot,
    FewShot,
    FineTuned,
}

/// How the server is asked to keep its reply to the task's JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Dialect {
    /// `response_format: {type: json_schema, ...}`
    Openai,
    /// `structured_outputs: {json: schema}` (vLLM ≥ 0.12)
    Vllm,
    /// `json_schema: schema` (llama.cpp server)
    LlamaCpp,
    /// `format: schema`
    Ollama,
    None,
}

fn default_temperature() -> f64 {
    0.0
}
fn default_max_tokens() -> u32 {
    1024
}
fn default_timeout() -> u64 {
    120
}
fn default_retries() -> u32 {
    3
}
fn default_few_shot() -> usize {
    3
}
fn default_context() -> usize {
    8192
}
fn default_mode() -> Mode {
    Mode::FewShot
}

/// Which saved examples a few-shot prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ShotChoice {
    /// The newest saved examples, the same for every paragraph: the whole few-shot prefix is
    /// shared, and an engine with a prompt cache reads it once.
    #[default]
    Newest,
    /// The saved examples most like the paragraph (BM25 over their words): better examples,
    /// but only the instruction is shared between paragraphs.
    Similar,
}

/// A named way to get a reply. Read from TOML through `raw::RawProfile` and converted once: a
/// profile that mixes engines' keys (a `path` on a server profile) does not load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "raw::RawProfile", into = "raw::RawProfile")]
pub struct ModelProfile {
    pub name: String,
    /// Where the model runs, with that engine's own settings.
    pub engine: Engine,
    /// The model id a server serves (empty: the first it lists); a label for an embedded model.
    pub model: String,
    pub mode: Mode,
    pub temperature: f64,
    pub max_tokens: u32,
    /// Seconds for one whole request.
    pub timeout: u64,
    pub retries: u32,
    /// Examples in a few-shot prompt, at most (fewer when the context is short).
    pub few_shot: usize,
    /// Which saved examples a few-shot prompt shows: `newest` or `similar`.
    pub few_shot_select: ShotChoice,
    /// The model's context window in tokens.
    pub context: usize,
    /// `strict`: verbatim values can only be copied from the paragraph where the engine can do
    /// it (the embedded engine; a llama.cpp server); `off`: written freely and checked after.
    pub grounding: super::grounding::Grounding,
    /// LoRA adapters applied to the model: GGUF files for the embedded engine; for a llama.cpp
    /// server, adapters it was started with (`--lora`), chosen per request.
    pub lora: Vec<super::adapter::LoraRef>,
    /// Only listed when this environment variable is set (the OpenAI default needs its key).
    pub requires_env: Option<String>,
    /// The task the model was fine-tuned for, if it was (shown beside the profile).
    pub task: Option<String>,
    /// For a profile the workbench made from a model a server lists: the configured profile it
    /// came from. Never read from or written to a file.
    pub discovered_from: Option<String>,
}

/// Where a profile's model runs, and what only that engine takes. Code that depends on it
/// matches on it, so that a new engine is a compile error everywhere it must be handled.
#[derive(Debug, Clone, PartialEq)]
pub enum Engine {
    /// An OpenAI-compatible HTTP server: OpenAI, vLLM, SGLang, llama.cpp server, Ollama.
    Openai(Server),
    /// A GGUF model run inside the Retort process.
    Embedded(InProcess),
}

/// An OpenAI-compatible server's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// One or more replicas to spread a batch over (round robin), without a trailing `/`.
    pub base_urls: Vec<String>,
    /// The name of the environment variable holding the API key; never the key itself.
    pub api_key_env: Option<String>,
    /// How the server is asked to keep to the task's JSON Schema.
    pub structured: Dialect,
    /// Ask for each token's log-probability (OpenAI `logprobs`), from which each value's
    /// confidence is derived. Off for a server that refuses the field.
    pub logprobs: bool,
}

/// The embedded engine's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct InProcess {
    /// The GGUF file.
    pub path: PathBuf,
    pub threads: Option<u32>,
    pub gpu_layers: Option<u32>,
    /// Keep what each sequence read and start the next prompt after the longest prefix it
    /// shares (off only to measure or to rule the cache out).
    pub prompt_cache: bool,
}

impl Server {
    /// One server at `base_url`, no key, no schema dialect, log-probabilities asked for.
    pub fn at(base_url: &str) -> Server {
        Server {
            base_urls: vec![base_url.trim_end_matches('/').to_string()],
            api_key_env: None,
            structured: Dialect::None,
            logprobs: true,
        }
    }
}

impl Engine {
    pub fn kind(&self) -> EngineKind {
        match self {
            Engine::Openai(_) => EngineKind::Openai,
            Engine::Embedded(_) => EngineKind::Embedded,
        }
    }
}

impl ModelProfile {
    /// The weights it runs, as a reader names them: the base model (the served id, or an embedded
    /// model's file) and the adapters on it (`SmolLM2-135M.gguf + chem-100.gguf ×1`).
    pub fn weights(&self) -> String {
        let base = match (&self.engine, self.model.is_empty()) {
            (_, false) => self.model.clone(),
            (Engine::Embedded(e), true) => e
                .path
                .file_name()
                .map_or_else(|| e.path.display().to_string(), |n| n.to_string_lossy().into_owned()),
            (Engine::Openai(_), true) => "the first model served".to_string(),
        };
        let adapters: Vec<String> = self.lora.iter().map(|a| a.label()).collect();
        if adapters.is_empty() {
            base
        } else {
            format!("{base} + {}", adapters.join(" + "))
        }
    }

    /// An embedded profile for a GGUF file, every other key at its default.
    pub fn embedded(name: &str, path: &Path, mode: Mode) -> ModelProfile {
        ModelProfile {
            name: name.to_string(),
            engine: Engine::Embedded(InProcess {
                path: path.to_path_buf(),
                threads: None,
                gpu_layers: None,
                prompt_cache: true,
            }),
            model: String::new(),
            mode,
            temperature: default_temperature(),
            max_tokens: default_max_tokens(),
            timeout: default_timeout(),
            retries: default_retries(),
            few_shot: default_few_shot(),
            few_shot_select: ShotChoice::Newest,
            context: default_context(),
            grounding: super::grounding::Grounding::Strict,
            lora: Vec::new(),
            requires_env: None,
            task: None,
            discovered_from: None,
        }
    }

    /// A profile for an OpenAI-compatible server, every other key at its default.
    pub fn openai(name: &str, base_url: &str, model: &str, mode: Mode) -> ModelProfile {
        ModelProfile {
            engine: Engine::Openai(Server::at(base_url)),
            model: model.to_string(),
            ..ModelProfile::embedded(name, Path::new(""), mode)
        }
    }

    /// The server's settings, for a server profile.
    pub fn server(&self) -> Option<&Server> {
        match &self.engine {
            Engine::Openai(server) => Some(server),
            Engine::Embedded(_) => None,
        }
    }

    /// The embedded engine's settings, for an in-process profile.
    pub fn in_process(&self) -> Option<&InProcess> {
        match &self.engine {
            Engine::Embedded(local) => Some(local),
            Engine::Openai(_) => None,
        }
    }

    /// The GGUF file of an embedded profile.
    pub fn gguf(&self) -> Option<&Path> {
        self.in_process().map(|local| local.path.as_path())
    }

    /// How a server is asked to keep to the schema (`none` in process: grammars do it there).
    pub fn structured(&self) -> Dialect {
        self.server().map_or(Dialect::None, |s| s.structured)
    }

    /// Whether the profile runs the default model prompt-only: a 135M model that shows Retort
    /// working but finds little (docs/training.md, "Training here"), so the workbench says so.
    pub fn is_smoke_test(&self) -> bool {
        let file = self.gguf().and_then(|p| p.file_name());
        self.mode != Mode::FineTuned && self.lora.is_empty() && file.is_some_and(|f| f == super::fetch::FILE)
    }

    /// Every endpoint of a server profile (none in process).
    pub fn endpoints(&self) -> Vec<String> {
        self.server().map_or_else(Vec::new, |s| s.base_urls.clone())
    }

    /// The API key from the environment, if the profile names a variable and it is set.
    pub fn api_key(&self) -> Option<String> {
        self.server()
            .and_then(|s| s.api_key_env.as_ref())
            .and_then(|var| std::env::var(var).ok())
            .filter(|k| !k.is_empty())
    }
}

/// Why a models file does not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Not TOML, or not a profile's keys (the message names line and key).
    #[error("{0}")]
    Toml(String),
    /// A key of another engine's (`path` on a server profile, `base_url` in process).
    #[error(
        "model {name:?}: `{key}` is a key of {owner} profiles, and this one has engine = \"{engine}\"; remove the key or change the engine"
    )]
    OtherEnginesKey {
        name: String,
        key: &'static str,
        owner: &'static str,
        engine: EngineKind,
    },
    #[error("model {0:?}: an \"openai\" engine needs base_url or base_urls")]
    NoEndpoint(String),
    #[error("model {0:?}: an \"embedded\" engine needs path = \"…gguf\"")]
    NoPath(String),
    #[error("model {0:?}: each lora adapter needs path = \"…gguf\" (or, on a llama.cpp server, id = N)")]
    UnnamedAdapter(String),
}
