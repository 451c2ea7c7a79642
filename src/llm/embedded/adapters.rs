//! The loaded model and the LoRA adapters loaded onto it. One loaded base serves every adapter
//! profile: an adapter is loaded once (checked against the base first, so a wrong base is
//! refused with both names instead of failing inside llama.cpp) and switched per context.

use crate::llm::adapter::gguf::check_fits;
use crate::llm::error::LlmError;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaLoraAdapter, LlamaModel};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::time::Instant;

/// `retort-lora-<hash>.gguf` in the temporary directory, the hash over each adapter's path, size,
/// modification time and scale: a changed file or scale makes another combination.
fn combined_path(lora: &[(PathBuf, f32)]) -> PathBuf {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for (path, scale) in lora {
        let meta = std::fs::metadata(path).ok();
        let stamp = meta.as_ref().and_then(|m| m.modified().ok()).map(|t| format!("{t:?}"));
        hash.update(format!(
            "{}|{:?}|{stamp:?}|{}\n",
            path.display(),
            meta.map(|m| m.len()),
            scale.to_bits()
        ));
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    std::env::temp_dir().join(format!("retort-lora-{hex}.gguf"))
}

/// A model loaded for the life of the process (contexts borrow it for `'static`), with its
/// adapters.
pub(super) struct Model {
    pub(super) path: PathBuf,
    pub(super) gpu_layers: u32,
    /// Leaked on purpose, as the whole model always was: contexts hold `&'static` borrows.
    raw: NonNull<LlamaModel>,
    adapters: HashMap<PathBuf, LlamaLoraAdapter>,
}

impl Model {
    pub(super) fn load(backend: &LlamaBackend, path: &Path, gpu_layers: u32) -> Result<Model, LlmError> {
        let started = Instant::now();
        let params = LlamaModelParams::default().with_n_gpu_layers(gpu_layers);
        let model = LlamaModel::load_from_file(backend, path, &params).map_err(|_| super::engine::load_error(path))?;
        tracing::info!(
            "loaded {} in {:.0} ms",
            path.display(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        Ok(Model {
            path: path.to_path_buf(),
            gpu_layers,
            raw: NonNull::from(Box::leak(Box::new(model))),
            adapters: HashMap::new(),
        })
    }

    pub(super) fn shared(&self) -> &'static LlamaModel {
        // SAFETY: the model is never freed, and it is only borrowed mutably by `load_adapter`,
        // which the scheduler calls with no context (nor any other borrow) alive.
        unsafe { self.raw.as_ref() }
    }

    pub(super) fn has_adapter(&self, path: &Path) -> bool {
        self.adapters.contains_key(path)
    }

    /// Loads an adapter onto the model. Call it only with no context of this model alive.
    pub(super) fn load_adapter(&mut self, path: &Path) -> Result<(), LlmError> {
        check_fits(path, &self.path).map_err(adapter_error)?;
        let started = Instant::now();
        // SAFETY: see `shared`; the caller dropped every context, so this is the only borrow.
        let model = unsafe { self.raw.as_mut() };
        let adapter = model.lora_adapter_init(path).map_err(|e| {
            adapter_error(format!(
                "llama.cpp could not load the adapter {} onto {}: {e}",
                path.display(),
                self.path.display()
            ))
        })?;
        tracing::info!(
            "loaded the adapter {} in {:.0} ms",
            path.display(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        self.adapters.insert(path.to_path_buf(), adapter);
        Ok(())
    }

    /// The one adapter file to load for `lora`: itself, or for several their combination
    /// (`adapter::combine`), made once in the temporary directory and named by what went into it.
    pub(super) fn effective(&self, lora: &[(PathBuf, f32)]) -> Result<Option<(PathBuf, f32)>, LlmError> {
        let failed = |e: crate::llm::adapter::AdapterError| adapter_error(e);
        match lora {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            many => {
                for (path, _) in many {
                    check_fits(path, &self.path).map_err(failed)?;
                }
                let out = combined_path(many);
                if !out.exists() {
                    crate::llm::adapter::combine::combine(many, &out).map_err(failed)?;
                }
                Ok(Some((out, 1.0)))
            }
        }
    }

    /// Makes `ctx` apply `lora` (loaded before) and nothing else.
    pub(super) fn apply(&mut self, ctx: &mut LlamaContext, lora: &Option<(PathBuf, f32)>) -> Result<(), LlmError> {
        let failed = |e: String| adapter_error(format!("llama.cpp could not switch adapters: {e}"));
        match lora {
            Some((path, scale)) => {
                let adapter = self
                    .adapters
                    .get_mut(path)
                    .ok_or_else(|| failed(format!("{} is not loaded", path.display())))?;
                ctx.lora_adapter_set(adapter, *scale).map_err(|e| failed(e.to_string()))
            }
            None => match self.adapters.values_mut().next() {
                // The call clears every adapter; the one passed is not used.
                Some(any) => ctx.lora_adapter_remove(any).map_err(|e| failed(e.to_string())),
                None => Ok(()),
            },
        }
    }
}

fn adapter_error(error: impl std::fmt::Display) -> LlmError {
    LlmError::Adapter {
        detail: error.to_string(),
    }
}
