//! A profile's keys as a models file has them, flat (every engine's keys side by side), and the
//! one conversion each way to `ModelProfile`. A key of the other engine is refused here, by name.

use super::{
    Dialect, Engine, EngineKind, InProcess, Mode, ModelProfile, ProfileError, Server, ShotChoice, default_context,
    default_few_shot, default_max_tokens, default_mode, default_retries, default_temperature, default_timeout,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    name: String,
    engine: EngineKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    base_urls: Vec<String>,
    #[serde(default)]
    model: String,
    #[serde(default = "default_mode")]
    mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    structured: Option<Dialect>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key_env: Option<String>,
    #[serde(default = "default_temperature")]
    temperature: f64,
    #[serde(default = "default_max_tokens")]
    max_tokens: u32,
    #[serde(default = "default_timeout")]
    timeout: u64,
    #[serde(default = "default_retries")]
    retries: u32,
    #[serde(default = "default_few_shot")]
    few_shot: usize,
    #[serde(default, skip_serializing_if = "is_default")]
    few_shot_select: ShotChoice,
    #[serde(default = "default_context")]
    context: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    threads: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gpu_layers: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompt_cache: Option<bool>,
    #[serde(default, skip_serializing_if = "is_default")]
    grounding: crate::llm::grounding::Grounding,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lora: Vec<crate::llm::adapter::LoraRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requires_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    logprobs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    task: Option<String>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// The keys only a server profile takes, and those only an embedded one takes.
pub const SERVER_KEYS: [&str; 5] = ["base_url", "base_urls", "api_key_env", "structured", "logprobs"];
pub const IN_PROCESS_KEYS: [&str; 4] = ["path", "threads", "gpu_layers", "prompt_cache"];

impl RawProfile {
    /// The first key set that belongs to the other engine. A key at its default says nothing
    /// and is let through: older versions of Retort wrote `structured = "none"` and `logprobs = true`
    /// into every profile it added, embedded ones too.
    fn other_engines_key(&self) -> Option<&'static str> {
        let server = [
            self.base_url.is_some(),
            !self.base_urls.is_empty(),
            self.api_key_env.is_some(),
            self.structured.is_some_and(|d| d != Dialect::None),
            self.logprobs == Some(false),
        ];
        let in_process = [
            self.path.is_some(),
            self.threads.is_some(),
            self.gpu_layers.is_some(),
            self.prompt_cache == Some(false),
        ];
        let (keys, set): (&[&'static str], &[bool]) = match self.engine {
            EngineKind::Openai => (&IN_PROCESS_KEYS, &in_process),
            EngineKind::Embedded => (&SERVER_KEYS, &server),
        };
        keys.iter().zip(set).find(|(_, set)| **set).map(|(key, _)| *key)
    }

    fn engine(&mut self) -> Result<Engine, ProfileError> {
        if let Some(key) = self.other_engines_key() {
            return Err(ProfileError::OtherEnginesKey {
                name: self.name.clone(),
                key,
                owner: match self.engine {
                    EngineKind::Openai => "embedded",
                    EngineKind::Embedded => "openai (server)",
                },
                engine: self.engine,
            });
        }
        Ok(match self.engine {
            EngineKind::Openai => {
                let mut base_urls: Vec<String> = std::mem::take(&mut self.base_urls);
                if let Some(url) = self.base_url.take()
                    && !base_urls.contains(&url)
                {
                    base_urls.push(url);
                }
                let base_urls: Vec<String> = base_urls.iter().map(|u| u.trim_end_matches('/').to_string()).collect();
                if base_urls.is_empty() {
                    return Err(ProfileError::NoEndpoint(self.name.clone()));
                }
                Engine::Openai(Server {
                    base_urls,
                    api_key_env: self.api_key_env.take(),
                    structured: self.structured.unwrap_or(Dialect::None),
                    logprobs: self.logprobs.unwrap_or(true),
                })
            }
            EngineKind::Embedded => Engine::Embedded(InProcess {
                path: self
                    .path
                    .take()
                    .ok_or_else(|| ProfileError::NoPath(self.name.clone()))?,
                threads: self.threads,
                gpu_layers: self.gpu_layers,
                prompt_cache: self.prompt_cache.unwrap_or(true),
            }),
        })
    }
}

impl TryFrom<RawProfile> for ModelProfile {
    type Error = ProfileError;

    fn try_from(mut raw: RawProfile) -> Result<ModelProfile, ProfileError> {
        let engine = raw.engine()?;
        let profile = ModelProfile {
            name: raw.name,
            engine,
            model: raw.model,
            mode: raw.mode,
            temperature: raw.temperature,
            max_tokens: raw.max_tokens,
            timeout: raw.timeout,
            retries: raw.retries,
            few_shot: raw.few_shot,
            few_shot_select: raw.few_shot_select,
            context: raw.context,
            grounding: raw.grounding,
            lora: raw.lora,
            requires_env: raw.requires_env,
            task: raw.task,
            discovered_from: None,
        };
        check_adapters(&profile)?;
        Ok(profile)
    }
}

/// Each adapter is named the way its engine finds it, with a sane scale.
fn check_adapters(profile: &ModelProfile) -> Result<(), ProfileError> {
    let unnamed = |l: &crate::llm::adapter::LoraRef| match profile.engine {
        Engine::Embedded(_) => l.path.is_none(),
        Engine::Openai(_) => l.path.is_none() && l.id.is_none(),
    };
    if profile.lora.iter().any(unnamed) {
        return Err(ProfileError::UnnamedAdapter(profile.name.clone()));
    }
    if let Some(bad) = profile
        .lora
        .iter()
        .find(|l| !l.scale.is_finite() || l.scale.abs() > 100.0)
    {
        return Err(ProfileError::Toml(format!(
            "model {:?}: lora scale {} is not a finite number between -100 and 100",
            profile.name, bad.scale
        )));
    }
    Ok(())
}

impl From<ModelProfile> for RawProfile {
    fn from(profile: ModelProfile) -> RawProfile {
        let mut raw = RawProfile {
            name: profile.name,
            engine: profile.engine.kind(),
            base_url: None,
            base_urls: Vec::new(),
            model: profile.model,
            mode: profile.mode,
            structured: None,
            api_key_env: None,
            temperature: profile.temperature,
            max_tokens: profile.max_tokens,
            timeout: profile.timeout,
            retries: profile.retries,
            few_shot: profile.few_shot,
            few_shot_select: profile.few_shot_select,
            context: profile.context,
            path: None,
            threads: None,
            gpu_layers: None,
            prompt_cache: None,
            grounding: profile.grounding,
            lora: profile.lora,
            requires_env: profile.requires_env,
            logprobs: None,
            task: profile.task,
        };
        match profile.engine {
            Engine::Openai(server) => {
                match <[String; 1]>::try_from(server.base_urls) {
                    Ok([one]) => raw.base_url = Some(one),
                    Err(many) => raw.base_urls = many,
                }
                raw.api_key_env = server.api_key_env;
                raw.structured = (server.structured != Dialect::None).then_some(server.structured);
                raw.logprobs = (!server.logprobs).then_some(false);
            }
            Engine::Embedded(local) => {
                raw.path = Some(local.path);
                raw.threads = local.threads;
                raw.gpu_layers = local.gpu_layers;
                raw.prompt_cache = (!local.prompt_cache).then_some(false);
            }
        }
        raw
    }
}
