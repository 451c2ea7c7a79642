//! A PEFT LoRA directory as trainers write it (TRL, axolotl, LLaMA-Factory: `adapter_config.json`
//! and `adapter_model.safetensors`), read into f32 matrices with their module names.

use super::AdapterError;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The keys of `adapter_config.json` the conversion needs (PEFT's `LoraConfig`).
#[derive(Debug, Clone, Deserialize)]
pub struct PeftConfig {
    #[serde(default)]
    pub peft_type: Option<String>,
    pub r: u32,
    pub lora_alpha: f64,
    #[serde(default)]
    pub use_rslora: bool,
    #[serde(default)]
    pub use_dora: bool,
    #[serde(default)]
    pub fan_in_fan_out: bool,
    #[serde(default)]
    pub bias: Option<String>,
    #[serde(default)]
    pub alpha_pattern: HashMap<String, f64>,
    #[serde(default)]
    pub base_model_name_or_path: Option<String>,
}

/// One LoRA pair of a module: A is rank × in, B is out × rank, both row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The module's name without PEFT's prefix, e.g. `model.layers.3.self_attn.q_proj`.
    pub module: String,
    pub a: Matrix,
    pub b: Matrix,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f32>,
}

/// A PEFT adapter: its configuration and its pairs in module order.
#[derive(Debug, Clone)]
pub struct PeftAdapter {
    pub dir: PathBuf,
    pub config: PeftConfig,
    pub pairs: Vec<Pair>,
}

impl PeftAdapter {
    /// The factor PEFT multiplies B·A by for `module`: alpha / r, or alpha / √r with rsLoRA,
    /// with the per-module overrides of `alpha_pattern` and `rank_pattern`.
    pub fn scaling(&self, pair: &Pair) -> f64 {
        let config = &self.config;
        let alpha = pattern_value(&config.alpha_pattern, &pair.module).unwrap_or(config.lora_alpha);
        let rank = pair.a.rows as f64;
        if config.use_rslora {
            alpha / rank.sqrt()
        } else {
            alpha / rank
        }
    }
}

/// PEFT's rule: a pattern key names a module when the name ends with it at a dot boundary
/// (the key may be a regular expression).
fn pattern_value<T: Copy>(patterns: &HashMap<String, T>, module: &str) -> Option<T> {
    let mut keys: Vec<&String> = patterns.keys().collect();
    keys.sort();
    keys.into_iter()
        .find(|key| {
            regex::Regex::new(&format!(r"^(.*\.)?({key})$"))
                .map(|re| re.is_match(module))
                .unwrap_or(false)
        })
        .map(|key| patterns[key])
}

/// Reads `dir/adapter_config.json` and `dir/adapter_model.safetensors`.
pub fn read(dir: &Path) -> Result<PeftAdapter, AdapterError> {
    let config_path = dir.join("adapter_config.json");
    let text = std::fs::read_to_string(&config_path).map_err(|e| {
        AdapterError::file(
            &config_path,
            format!(
                "cannot read ({e}); a PEFT adapter directory holds adapter_config.json and adapter_model.safetensors"
            ),
        )
    })?;
    let config: PeftConfig = serde_json::from_str(&text)
        .map_err(|e| AdapterError::file(&config_path, format!("not a PEFT LoRA config: {e}")))?;
    refuse_unsupported(&config_path, &config)?;
    refuse_unsound(&config_path, &config)?;
    let weights = dir.join("adapter_model.safetensors");
    if !weights.exists() && dir.join("adapter_model.bin").exists() {
        return Err(AdapterError::Unsupported {
            path: dir.join("adapter_model.bin").display().to_string(),
            message: "a pickled PyTorch file, which Retort does not open; save the adapter with safe_serialization=True (the default in PEFT ≥ 0.6)".into(),
        });
    }
    let bytes = std::fs::read(&weights).map_err(|e| AdapterError::file(&weights, format!("cannot read: {e}")))?;
    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| {
        AdapterError::file(
            &weights,
            format!("not a readable safetensors file ({e}); copy it again"),
        )
    })?;
    let pairs = pairs(&weights, &tensors)?;
    if pairs.is_empty() {
        return Err(AdapterError::file(&weights, "holds no LoRA tensors (lora_A / lora_B)"));
    }
    Ok(PeftAdapter {
        dir: dir.to_path_buf(),
        config,
        pairs,
    })
}

/// The largest LoRA weight or scaling taken: trained adapters stay far below (weights of order
/// 0.01–1, scalings of 0.5–4); past these the adapter is broken, not fine-tuned.
const MAX_WEIGHT: f32 = 1.0e4;
const MAX_SCALING: f64 = 1.0e3;

/// A rank of 0 or an alpha that is not a sane finite number gives an adapter that only breaks
/// the model: refused, naming the key.
fn refuse_unsound(path: &Path, config: &PeftConfig) -> Result<(), AdapterError> {
    let bad = |message: String| Err(AdapterError::file(path, message));
    if config.r == 0 {
        return bad("r is 0; a LoRA adapter has a rank of at least 1".into());
    }
    let alphas = std::iter::once(("lora_alpha".to_string(), config.lora_alpha)).chain(
        config
            .alpha_pattern
            .iter()
            .map(|(k, v)| (format!("alpha_pattern[{k:?}]"), *v)),
    );
    for (key, alpha) in alphas {
        if !alpha.is_finite() || alpha.abs() / f64::from(config.r).sqrt() > MAX_SCALING {
            return bad(format!(
                "{key} is {alpha}, which with r = {} scales the adapter past any trained one; check the file",
                config.r
            ));
        }
    }
    Ok(())
}

fn refuse_unsupported(path: &Path, config: &PeftConfig) -> Result<(), AdapterError> {
    let refuse = |message: &str| {
        Err(AdapterError::Unsupported {
            path: path.display().to_string(),
            message: message.into(),
        })
    };
    match config.peft_type.as_deref() {
        None | Some("LORA") => {}
        Some(other) => return refuse(&format!("a {other} adapter; only LoRA adapters can be converted")),
    }
    if config.use_dora {
        return refuse("a DoRA adapter (use_dora), which llama.cpp cannot apply; train with plain LoRA or merge it");
    }
    if config.fan_in_fan_out {
        return refuse("fan_in_fan_out adapters (GPT-2 style Conv1D layers) are not supported");
    }
    match config.bias.as_deref() {
        None | Some("none") => Ok(()),
        Some(bias) => refuse(&format!(
            "trained with bias = {bias:?}; llama.cpp applies LoRA without biases, so train with bias = \"none\""
        )),
    }
}

/// The lora_A / lora_B pairs, by module; any other tensor is refused with its name.
fn pairs(path: &Path, tensors: &SafeTensors) -> Result<Vec<Pair>, AdapterError> {
    let mut halves: BTreeMap<String, (Option<Matrix>, Option<Matrix>)> = BTreeMap::new();
    let mut names = tensors.names();
    names.sort();
    for name in names {
        let (module, is_a) = split_name(name).ok_or_else(|| AdapterError::Unsupported {
            path: path.display().to_string(),
            message: format!(
                "holds {name}, which is not a LoRA matrix (lora_A/lora_B); full weights saved beside the adapter (modules_to_save, embeddings) cannot be applied as a LoRA"
            ),
        })?;
        let view = tensors
            .tensor(name)
            .map_err(|e| AdapterError::file(path, format!("{name}: {e}")))?;
        let matrix = matrix(view).map_err(|message| AdapterError::file(path, format!("{name}: {message}")))?;
        let entry = halves.entry(module).or_default();
        if is_a {
            entry.0 = Some(matrix);
        } else {
            entry.1 = Some(matrix);
        }
    }
    halves
        .into_iter()
        .map(|(module, halves)| match halves {
            (Some(a), Some(b)) if a.rows == b.cols => Ok(Pair { module, a, b }),
            (Some(a), Some(b)) => Err(AdapterError::file(
                path,
                format!(
                    "{module}: lora_B is {}×{}, but its width must be the rank, which lora_A ({}×{}) gives as {}",
                    b.rows, b.cols, a.rows, a.cols, a.rows
                ),
            )),
            _ => Err(AdapterError::file(
                path,
                format!("{module} has only one of lora_A and lora_B"),
            )),
        })
        .collect()
}

/// `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight` →
/// (`model.layers.0.self_attn.q_proj`, true).
fn split_name(name: &str) -> Option<(String, bool)> {
    let name = name.strip_prefix("base_model.model.").unwrap_or(name);
    for (suffix, is_a) in [
        (".lora_A.weight", true),
        (".lora_B.weight", false),
        (".lora_A.default.weight", true),
        (".lora_B.default.weight", false),
    ] {
        if let Some(module) = name.strip_suffix(suffix) {
            return Some((module.to_string(), is_a));
        }
    }
    None
}

fn matrix(view: safetensors::tensor::TensorView<'_>) -> Result<Matrix, String> {
    let &[rows, cols] = view.shape() else {
        return Err(format!(
            "has shape {:?}; a LoRA matrix has two dimensions",
            view.shape()
        ));
    };
    let kind = match view.dtype() {
        Dtype::F32 => super::FloatBytes::F32,
        Dtype::F16 => super::FloatBytes::F16,
        Dtype::BF16 => super::FloatBytes::BF16,
        Dtype::F64 => super::FloatBytes::F64,
        other => return Err(format!("has element type {other:?}; expected F32, F16, BF16 or F64")),
    };
    let values = super::decode(view.data(), kind);
    if values.len() != rows * cols {
        return Err(format!("holds {} values for shape {rows}×{cols}", values.len()));
    }
    if let Some((at, bad)) = values
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || v.abs() > MAX_WEIGHT)
    {
        return Err(format!(
            "holds {bad} at element {at}; a trained LoRA matrix holds finite values well below {MAX_WEIGHT}, so the adapter is broken"
        ));
    }
    Ok(Matrix { rows, cols, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_lose_peft_prefix_and_suffix() {
        assert_eq!(
            split_name("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"),
            Some(("model.layers.0.self_attn.q_proj".into(), true))
        );
        assert_eq!(
            split_name("base_model.model.lm_head.lora_B.weight"),
            Some(("lm_head".into(), false))
        );
        assert_eq!(split_name("base_model.model.lm_head.weight"), None);
    }

    #[test]
    fn patterns_override_alpha_at_a_dot_boundary() {
        let patterns = HashMap::from([("v_proj".to_string(), 32.0), (r"layers\.1\..*q_proj".to_string(), 4.0)]);
        assert_eq!(pattern_value(&patterns, "model.layers.0.self_attn.v_proj"), Some(32.0));
        assert_eq!(pattern_value(&patterns, "model.layers.0.self_attn.xv_proj"), None);
        assert_eq!(pattern_value(&patterns, "model.layers.1.self_attn.q_proj"), Some(4.0));
        assert_eq!(pattern_value(&patterns, "model.layers.0.self_attn.q_proj"), None);
    }
}
