//! Model profiles: a named way to get a reply (engine, endpoint, model id, prompting mode,
//! structured-output dialect, sampling). Shipped defaults plus the user's `models.toml`.

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
fn default_dialect() -> Dialect {
    Dialect::None
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelProfile {
    pub name: String,
    pub engine: EngineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Several replicas to spread a batch over (round robin).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_urls: Vec<String>,
    #[serde(default)]
    pub model: String,
    #[serde(default = "default_mode")]
    pub mode: Mode,
    #[serde(default = "default_dialect")]
    pub structured: Dialect,
    /// The name of the environment variable holding the API key; never the key itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Seconds for one whole request.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Examples in a few-shot prompt, at most (fewer when the context is short).
    #[serde(default = "default_few_shot")]
    pub few_shot: usize,
    /// Which saved examples a few-shot prompt shows: `newest` or `similar`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub few_shot_select: ShotChoice,
    /// The model's context window in tokens.
    #[serde(default = "default_context")]
    pub context: usize,
    /// Embedded engine: the GGUF file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_layers: Option<u32>,
    /// Embedded engine: keep what each sequence read and start the next prompt after the
    /// longest prefix it shares (off only to measure or to rule the cache out).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub prompt_cache: bool,
    /// `strict`: verbatim values can only be copied from the paragraph where the engine can do
    /// it (the embedded engine; a llama.cpp server for delimited tasks); `off`: written freely
    /// and checked afterwards.
    #[serde(default, skip_serializing_if = "is_default")]
    pub grounding: super::grounding::Grounding,
    /// LoRA adapters applied to the model: GGUF files for the embedded engine; for a llama.cpp
    /// server, adapters it was started with (`--lora`), chosen per request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lora: Vec<super::adapter::LoraRef>,
    /// Only listed when this environment variable is set (the OpenAI default needs its key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_env: Option<String>,
    /// Ask the server for each token's log-probability (OpenAI `logprobs`), from which each
    /// value's confidence is derived. Turn off for a server that refuses the field.
    #[serde(default = "yes")]
    pub logprobs: bool,
    /// The task the model was fine-tuned for, if it was (shown beside the profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// For a profile the workbench made from a model a server lists: the configured profile it
    /// came from. Never read from or written to a file.
    #[serde(skip)]
    pub discovered_from: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl ModelProfile {
    /// An embedded profile for a GGUF file, every other key at its default.
    pub fn embedded(name: &str, path: &Path, mode: Mode) -> ModelProfile {
        ModelProfile {
            name: name.to_string(),
            engine: EngineKind::Embedded,
            base_url: None,
            base_urls: Vec::new(),
            model: String::new(),
            mode,
            structured: default_dialect(),
            api_key_env: None,
            temperature: default_temperature(),
            max_tokens: default_max_tokens(),
            timeout: default_timeout(),
            retries: default_retries(),
            few_shot: default_few_shot(),
            few_shot_select: ShotChoice::Newest,
            context: default_context(),
            path: Some(path.to_path_buf()),
            threads: None,
            gpu_layers: None,
            prompt_cache: true,
            grounding: super::grounding::Grounding::Strict,
            lora: Vec::new(),
            requires_env: None,
            logprobs: true,
            task: None,
            discovered_from: None,
        }
    }

    /// A profile for an OpenAI-compatible server, every other key at its default.
    pub fn openai(name: &str, base_url: &str, model: &str, mode: Mode) -> ModelProfile {
        ModelProfile {
            engine: EngineKind::Openai,
            base_url: Some(base_url.to_string()),
            model: model.to_string(),
            path: None,
            ..ModelProfile::embedded(name, Path::new(""), mode)
        }
    }

    /// Whether the profile runs the default model prompt-only: a 135M model that shows Retort
    /// working but finds little (README, "Training here"), so the workbench says so.
    pub fn is_smoke_test(&self) -> bool {
        let file = self.path.as_deref().and_then(|p| p.file_name());
        self.engine == EngineKind::Embedded
            && self.mode != Mode::FineTuned
            && self.lora.is_empty()
            && file.is_some_and(|f| f == super::fetch::FILE)
    }

    /// Every endpoint of the profile, `base_urls` first.
    pub fn endpoints(&self) -> Vec<String> {
        let mut urls = self.base_urls.clone();
        if let Some(url) = &self.base_url
            && !urls.contains(url)
        {
            urls.push(url.clone());
        }
        urls.iter().map(|u| u.trim_end_matches('/').to_string()).collect()
    }

    /// The API key from the environment, if the profile names a variable and it is set.
    pub fn api_key(&self) -> Option<String> {
        self.api_key_env
            .as_ref()
            .and_then(|var| std::env::var(var).ok())
            .filter(|k| !k.is_empty())
    }

    fn check(&self) -> Result<(), ProfileError> {
        let unnamed = |l: &&super::adapter::LoraRef| match self.engine {
            EngineKind::Embedded => l.path.is_none(),
            EngineKind::Openai => l.path.is_none() && l.id.is_none(),
        };
        if self.lora.iter().any(|l| unnamed(&l)) {
            return Err(ProfileError::UnnamedAdapter(self.name.clone()));
        }
        if let Some(bad) = self.lora.iter().find(|l| !l.scale.is_finite() || l.scale.abs() > 100.0) {
            return Err(ProfileError::Toml(format!(
                "model {:?}: lora scale {} is not a finite number between -100 and 100",
                self.name, bad.scale
            )));
        }
        match self.engine {
            EngineKind::Openai if self.endpoints().is_empty() => Err(ProfileError::NoEndpoint(self.name.clone())),
            EngineKind::Embedded if self.path.is_none() => Err(ProfileError::NoPath(self.name.clone())),
            EngineKind::Openai | EngineKind::Embedded => Ok(()),
        }
    }

    /// Whether the model runs inside this process (the embedded engine).
    pub fn in_process(&self) -> bool {
        match self.engine {
            EngineKind::Embedded => true,
            EngineKind::Openai => false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    #[serde(default)]
    model: Vec<ModelProfile>,
}

/// The shipped profiles (see the README for each).
pub const DEFAULTS: &str = include_str!("default_models.toml");

/// The profiles in use and the problems with the user's file: each broken profile is left out
/// (named with its file and line); the others load.
#[derive(Debug, Clone)]
pub struct Profiles {
    pub profiles: Vec<ModelProfile>,
    pub problems: Vec<String>,
}

impl Profiles {
    /// The defaults, then `models.toml` in `config_dir` (a profile with a default's name
    /// replaces it). Profiles whose `requires_env` is unset are left out.
    pub fn load(config_dir: &Path) -> Profiles {
        let mut profiles = parse(DEFAULTS).unwrap_or_default();
        let path = config_dir.join("models.toml");
        let mut problems = Vec::new();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let (user, bad) = parse_each(&text);
                for (line, message) in bad {
                    problems.push(format!(
                        "{}:{line}: {message}; that profile is left out",
                        path.display()
                    ));
                }
                for profile in user {
                    match profiles.iter_mut().find(|p| p.name == profile.name) {
                        Some(existing) => *existing = profile,
                        None => profiles.push(profile),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(format!("{}: {e}; using the default profiles", path.display())),
        }
        profiles.retain(|p| {
            p.requires_env
                .as_ref()
                .is_none_or(|var| std::env::var_os(var).is_some())
        });
        Profiles { profiles, problems }
    }

    /// Makes relative embedded model paths absolute under `models_dir`.
    pub fn resolve_paths(mut self, models_dir: &Path) -> Profiles {
        for profile in &mut self.profiles {
            if let Some(path) = &profile.path
                && path.is_relative()
            {
                profile.path = Some(models_dir.join(path));
            }
            if profile.in_process() {
                for adapter in &mut profile.lora {
                    if let Some(path) = adapter.path.as_ref().filter(|p| p.is_relative()) {
                        adapter.path = Some(models_dir.join(path));
                    }
                }
            }
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&ModelProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    pub fn require(&self, name: &str) -> Result<&ModelProfile, crate::task::UnknownName> {
        self.get(name).ok_or_else(|| crate::task::UnknownName {
            kind: "model profile",
            name: name.to_string(),
            known: self.profiles.iter().map(|p| p.name.clone()).collect(),
        })
    }
}

/// Why a models file does not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// Not TOML, or not a profile's keys (the message names line and key).
    #[error("{0}")]
    Toml(String),
    #[error("model {0:?}: an \"openai\" engine needs base_url or base_urls")]
    NoEndpoint(String),
    #[error("model {0:?}: an \"embedded\" engine needs path = \"…gguf\"")]
    NoPath(String),
    #[error("model {0:?}: each lora adapter needs path = \"…gguf\" (or, on a llama.cpp server, id = N)")]
    UnnamedAdapter(String),
}

pub fn parse(text: &str) -> Result<Vec<ModelProfile>, ProfileError> {
    let file: ModelsFile = toml::from_str(text).map_err(|e| ProfileError::Toml(e.to_string()))?;
    for profile in &file.model {
        profile.check()?;
    }
    Ok(file.model)
}

/// Every `[[model]]` of a models file on its own: the profiles that load, and (line, message)
/// for each that does not, so one broken profile does not take the others with it.
pub fn parse_each(text: &str) -> (Vec<ModelProfile>, Vec<(usize, String)>) {
    let mut profiles = Vec::new();
    let mut problems = Vec::new();
    for (first_line, chunk) in model_tables(text) {
        let parsed = toml::from_str::<ModelsFile>(&chunk);
        match parsed {
            Ok(file) => {
                for profile in file.model {
                    match profile.check() {
                        Ok(()) => profiles.push(profile),
                        Err(e) => problems.push((first_line, e.to_string())),
                    }
                }
            }
            Err(e) => {
                let offset = e
                    .span()
                    .map_or(0, |span| chunk[..span.start.min(chunk.len())].matches('\n').count());
                problems.push((first_line + offset, e.message().trim_end().to_string()));
            }
        }
    }
    (profiles, problems)
}

/// The file cut before each `[[model]]` header: (first line, text); comments before the first
/// header go with it.
fn model_tables(text: &str) -> Vec<(usize, String)> {
    let mut tables = Vec::new();
    let mut current = (1, String::new());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with("[[model]]") {
            if only_comments(&current.1) {
                current.0 = i + 1;
            } else {
                tables.push(std::mem::replace(&mut current, (i + 1, String::new())));
            }
        }
        current.1.push_str(line);
    }
    tables.push(current);
    tables
}

fn only_comments(text: &str) -> bool {
    text.lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_and_the_example_choice_are_keys_with_defaults() {
        let base = "[[model]]\nname = \"e\"\nengine = \"embedded\"\npath = \"m.gguf\"\n";
        let plain = parse(base).unwrap().remove(0);
        assert!(plain.prompt_cache);
        assert_eq!(plain.few_shot_select, ShotChoice::Newest);
        let text = toml::to_string(&plain).unwrap();
        assert!(
            !text.contains("prompt_cache") && !text.contains("few_shot_select"),
            "{text}"
        );
        let set = parse(&format!("{base}prompt_cache = false\nfew_shot_select = \"similar\"\n"))
            .unwrap()
            .remove(0);
        assert!(!set.prompt_cache);
        assert_eq!(set.few_shot_select, ShotChoice::Similar);
        let wrong = parse(&format!("{base}few_shot_select = \"random\"\n"))
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("newest") && wrong.contains("similar"), "{wrong}");
    }

    #[test]
    fn defaults_parse_and_user_file_overrides() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("models.toml"),
            "[[model]]\nname = \"local-vllm\"\nengine = \"openai\"\nbase_urls = [\"http://a:1/v1\", \"http://b:2/v1/\"]\nmodel = \"m\"\nmode = \"fine-tuned\"\nstructured = \"vllm\"\n",
        )
        .unwrap();
        let profiles = Profiles::load(dir.path());
        assert!(profiles.problems.is_empty());
        let vllm = profiles.get("local-vllm").unwrap();
        assert_eq!(vllm.endpoints(), vec!["http://a:1/v1", "http://b:2/v1"]);
        assert_eq!(vllm.mode, Mode::FineTuned);
        assert!(profiles.get("local-llamacpp").is_some());
    }

    #[test]
    fn broken_file_names_file_and_line_and_keeps_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("models.toml"),
            "[[model]]\nname = \"x\"\nengine = \"openai\"\nbase_url = \"http://x\"\ntemprature = 1\n",
        )
        .unwrap();
        let profiles = Profiles::load(dir.path());
        let error = profiles.problems[0].clone();
        assert!(
            error.contains("models.toml:5:") && error.contains("temprature"),
            "{error}"
        );
        assert!(profiles.get("local-llamacpp").is_some());
    }

    #[test]
    fn one_bad_profile_keeps_the_others_and_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# my servers\n\n[[model]]\nname = \"good\"\nengine = \"openai\"\nbase_url = \"http://a:1/v1\"\n\n[[model]]\nname = \"bad\"\nengine = \"openai\"\nbase_url = \"http://b:1/v1\"\nmax_tokens = -5\n\n[[model]]\nname = \"no-url\"\nengine = \"openai\"\n\n[[model]]\nname = \"also-good\"\nengine = \"openai\"\nbase_url = \"http://c:1/v1\"\n";
        std::fs::write(dir.path().join("models.toml"), text).unwrap();
        let profiles = Profiles::load(dir.path());
        assert!(profiles.get("good").is_some() && profiles.get("also-good").is_some());
        assert!(profiles.get("bad").is_none() && profiles.get("no-url").is_none());
        assert_eq!(profiles.problems.len(), 2, "{:?}", profiles.problems);
        assert!(
            profiles.problems[0].contains("models.toml:12:"),
            "{:?}",
            profiles.problems
        );
        assert!(
            profiles.problems[1].contains("models.toml:14:") && profiles.problems[1].contains("no-url"),
            "{:?}",
            profiles.problems
        );
        assert!(profiles.get("local-llamacpp").is_some());
    }
}
