//! LoRA adapters: what a profile names (`lora = [{ path = "…", scale = 1.0 }]`), a trainer's PEFT
//! directory converted to a GGUF adapter in Rust (`peft` reads it, `convert` maps and writes it),
//! and the check of an adapter against the base model it is applied to (`gguf` reads both
//! files' headers), so that a wrong base is refused with both names, never inside llama.cpp.

pub mod combine;
pub mod convert;
pub mod gguf;
pub mod peft;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One adapter a profile applies, and how strongly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoraRef {
    /// The GGUF adapter file (embedded engine); for a llama.cpp server, the file it was started
    /// with (`--lora PATH`), matched by file name against the server's `/lora-adapters`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// For a llama.cpp server: the adapter's id in `/lora-adapters`, instead of its path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// 1.0 applies the adapter as trained; 0.0 gives the base model's output.
    #[serde(default = "full_scale")]
    pub scale: f32,
}

fn full_scale() -> f32 {
    1.0
}

impl LoraRef {
    /// How the adapter is named in runs, the inspector and `retort models`.
    pub fn label(&self) -> String {
        let name = match (&self.path, self.id) {
            (Some(path), _) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            (None, Some(id)) => format!("adapter {id}"),
            (None, None) => "an adapter without a path or id".into(),
        };
        format!("{name} ×{}", self.scale)
    }
}

/// Little-endian floats as written in safetensors and GGUF files.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FloatBytes {
    F32,
    F16,
    BF16,
    F64,
}

/// `bytes` read as `kind` floats, widened or narrowed to f32.
pub(crate) fn decode(bytes: &[u8], kind: FloatBytes) -> Vec<f32> {
    match kind {
        FloatBytes::F32 => bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        FloatBytes::F16 => bytes
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        FloatBytes::BF16 => bytes
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        FloatBytes::F64 => bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
            .collect(),
    }
}

/// Why an adapter cannot be converted or applied; each names the files involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdapterError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error(
        "the adapter {adapter} does not fit the base model {base}: {message}; give the base model it was trained on"
    )]
    Mismatch {
        adapter: String,
        base: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Unsupported { path: String, message: String },
}

impl AdapterError {
    pub(crate) fn file(path: &std::path::Path, message: impl Into<String>) -> AdapterError {
        AdapterError::File {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_names_adapters_by_path_or_id_with_a_scale() {
        #[derive(Deserialize)]
        struct Holder {
            lora: Vec<LoraRef>,
        }
        let parsed: Holder =
            toml::from_str("lora = [{ path = \"/a/chem-100.gguf\" }, { id = 2, scale = 0.5 }]").unwrap();
        assert_eq!(parsed.lora[0].scale, 1.0);
        assert_eq!(parsed.lora[0].label(), "chem-100.gguf ×1");
        assert_eq!(parsed.lora[1].label(), "adapter 2 ×0.5");
        assert!(toml::from_str::<Holder>("lora = [{ file = \"x\" }]").is_err());
    }
}
