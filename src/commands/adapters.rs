//! `retort models add NAME --base PROFILE --adapter DIR|FILE`: a fine-tuned LoRA adapter
//! becomes a profile. In-process: a PEFT directory is converted to a GGUF adapter in the models
//! directory (a GGUF adapter is checked and used where it is). On a server: the profile selects
//! the adapter per request (llama.cpp) or names it as its model (vLLM), and the command that
//! serves it is printed.

use super::config_error;
use crate::config::Paths;
use crate::host::word;
use crate::llm::ModelProfile;
use crate::llm::adapter::{LoraRef, convert, gguf};
use crate::llm::profile::Engine;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// The largest LoRA scale taken: past this an adapter only breaks the model.
const MAX_SCALE: f32 = 100.0;

/// The profile for `adapter` on the model of the profile `base`.
pub fn profile(paths: &Paths, name: &str, base: &str, adapter: &Path, scale: f32) -> Result<ModelProfile> {
    if !scale.is_finite() || scale.abs() > MAX_SCALE {
        return Err(config_error(format!(
            "--scale {scale}: a LoRA scale is a finite number between -{MAX_SCALE} and {MAX_SCALE} (1 applies the adapter as trained)"
        )));
    }
    let setup = super::setup(paths);
    let base = setup.profiles.require(base).map_err(config_error)?.clone();
    if !adapter.exists() {
        return Err(config_error(format!(
            "{} does not exist; give a PEFT adapter directory (adapter_config.json, adapter_model.safetensors) or a GGUF adapter",
            adapter.display()
        )));
    }
    let adapter = std::path::absolute(adapter).unwrap_or_else(|_| adapter.to_path_buf());
    // Refuse a taken name before converting anything.
    let models_toml = std::fs::read_to_string(paths.config.join("models.toml")).unwrap_or_default();
    let named = ModelProfile {
        name: name.to_string(),
        ..base.clone()
    };
    crate::llm::models_file::with_profile(&models_toml, &named).map_err(config_error)?;
    match &base.engine {
        Engine::Embedded(local) => in_process(paths, named, &local.path, &adapter, scale),
        Engine::Openai(_) => Ok(on_server(named, &base, &adapter, scale)),
    }
}

fn in_process(
    paths: &Paths,
    mut profile: ModelProfile,
    base_path: &Path,
    adapter: &Path,
    scale: f32,
) -> Result<ModelProfile> {
    let gguf_path = if adapter.is_dir() {
        let out = adapter_file(paths, &profile.name);
        let converted = convert::convert(adapter, base_path, &out).map_err(config_error)?;
        crate::stdout::errln!(
            "converted {} ({} modules, rank {}, {}) to {}",
            adapter.display(),
            converted.modules,
            converted.rank,
            converted.architecture,
            out.display()
        );
        out
    } else {
        gguf::check_fits(adapter, base_path).map_err(config_error)?;
        adapter.to_path_buf()
    };
    profile.lora = vec![LoraRef {
        path: Some(gguf_path),
        id: None,
        scale,
    }];
    Ok(profile)
}

/// Where a converted adapter goes: `<models>/adapters/NAME.gguf`. A name with characters a file
/// name cannot hold has them replaced and a digest of the whole name added, so that `col/a` and
/// `col_a` never share a file.
pub fn adapter_file(paths: &Paths, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe == name && !name.starts_with('.') {
        safe
    } else {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(name.as_bytes());
        let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{}-{short}", safe.trim_start_matches('.'))
    };
    paths.models_dir().join("adapters").join(format!("{safe}.gguf"))
}

fn on_server(mut profile: ModelProfile, base: &ModelProfile, adapter: &Path, scale: f32) -> ModelProfile {
    if adapter.is_dir() {
        // vLLM serves a PEFT directory as a model of its own.
        crate::stdout::errln!(
            "serve it with: vllm serve {} --enable-lora --lora-modules {} (the profile asks for the model {:?})",
            if base.model.is_empty() {
                "BASE_MODEL".into()
            } else {
                word(&base.model)
            },
            word(&format!("{}={}", profile.name, adapter.display())),
            profile.name
        );
        profile.model = profile.name.clone();
        return profile;
    }
    crate::stdout::errln!(
        "serve it with: llama-server -m BASE.gguf --lora {} (the profile selects it per request)",
        word(&adapter.display().to_string())
    );
    profile.lora = vec![LoraRef {
        path: Some(adapter.to_path_buf()),
        id: None,
        scale,
    }];
    profile
}
