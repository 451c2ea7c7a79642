//! GGUF files as the adapter code sees them: a header's architecture, kind and tensor shapes
//! (read without the tensor data), the check that an adapter fits a base, and the writing of a
//! LoRA adapter in the layout llama.cpp's `llama_adapter_lora_init` loads.

use super::AdapterError;
use gguf_rs_lib::prelude::{GGUFBuilder, GGUFFileReader, MetadataValue};
use gguf_rs_lib::tensor::TensorType;
use std::collections::BTreeMap;
use std::path::Path;

/// What a GGUF file's header says (dimensions in GGUF order: the row length first).
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub architecture: String,
    /// `general.type`: "model", "adapter", or empty in older models.
    pub kind: String,
    /// `adapter.lora.alpha`, for an adapter.
    pub alpha: Option<f64>,
    metadata: BTreeMap<String, u64>,
    pub tensors: BTreeMap<String, Vec<u64>>,
}

impl Header {
    /// An integer hyper-parameter of the architecture, e.g. `attention.head_count`.
    pub fn hyper(&self, key: &str) -> Option<u64> {
        self.metadata.get(&format!("{}.{key}", self.architecture)).copied()
    }
}

/// Reads a GGUF file's header, metadata and tensor descriptions.
pub fn read_header(path: &Path) -> Result<Header, AdapterError> {
    let file = std::fs::File::open(path).map_err(|e| AdapterError::file(path, format!("cannot open: {e}")))?;
    let reader = GGUFFileReader::new(std::io::BufReader::new(file))
        .map_err(|e| AdapterError::file(path, format!("not a readable GGUF file ({e})")))?;
    let meta = reader.metadata();
    let text = |key: &str| meta.get_string(key).unwrap_or_default().to_string();
    let architecture = text("general.architecture");
    let numbers = meta
        .iter()
        .filter(|(key, _)| key.starts_with(architecture.as_str()))
        .filter_map(|(key, value)| value.as_u64().map(|v| (key.clone(), v)))
        .collect();
    let alpha = meta.get("adapter.lora.alpha").and_then(|v| match v {
        MetadataValue::F32(a) => Some(f64::from(*a)),
        MetadataValue::F64(a) => Some(*a),
        _ => None,
    });
    let tensors = reader
        .tensor_infos()
        .iter()
        .map(|t| (t.name().to_string(), t.shape().dims().to_vec()))
        .collect();
    Ok(Header {
        kind: text("general.type"),
        architecture,
        alpha,
        metadata: numbers,
        tensors,
    })
}

/// Checks an adapter against the base it is to be applied to, as llama.cpp would, so that a
/// mismatch is named (both files and the first tensor that differs) before llama.cpp sees it.
pub fn check_fits(adapter_path: &Path, base_path: &Path) -> Result<Header, AdapterError> {
    let adapter = read_header(adapter_path)?;
    let base = read_header(base_path)?;
    let mismatch = |message: String| AdapterError::Mismatch {
        adapter: adapter_path.display().to_string(),
        base: base_path.display().to_string(),
        message,
    };
    if adapter.kind != "adapter" {
        return Err(AdapterError::file(
            adapter_path,
            format!(
                "not a LoRA adapter (its general.type is {:?}); give a GGUF adapter or a PEFT directory",
                adapter.kind
            ),
        ));
    }
    if let Some(alpha) = adapter.alpha.filter(|a| !a.is_finite() || a.abs() > 1.0e4) {
        return Err(AdapterError::file(
            adapter_path,
            format!("adapter.lora.alpha is {alpha}, which scales the adapter past any trained one; check the file"),
        ));
    }
    if adapter.architecture != base.architecture {
        return Err(mismatch(format!(
            "the adapter is for the {:?} architecture, the base is {:?}",
            adapter.architecture, base.architecture
        )));
    }
    let mut pairs = Vec::new();
    for (name, a_dims) in adapter.tensors.iter().filter(|(n, _)| n.ends_with(".lora_a")) {
        let target = name.trim_end_matches(".lora_a");
        let b_dims = adapter
            .tensors
            .get(&format!("{target}.lora_b"))
            .ok_or_else(|| AdapterError::file(adapter_path, format!("{name} has no {target}.lora_b")))?;
        pairs.push((target, a_dims.as_slice(), b_dims.as_slice()));
    }
    fits(pairs, &base).map_err(mismatch)?;
    Ok(adapter)
}

/// The rule llama.cpp applies at load: each target exists in the base; A's rows are the base's
/// row length, B's columns the base's row count, and A and B share the rank. The first
/// (target, A, B) that breaks it is named.
pub(super) fn fits<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a [u64], &'a [u64])>,
    base: &Header,
) -> Result<(), String> {
    for (target, a_dims, b_dims) in pairs {
        let Some(base_dims) = base.tensors.get(target) else {
            return Err(format!("the base has no tensor {target}"));
        };
        let fit = a_dims.len() == 2
            && b_dims.len() == 2
            && base_dims.len() >= 2
            && a_dims[0] == base_dims[0]
            && b_dims[1] == base_dims[1]
            && a_dims[1] == b_dims[0];
        if !fit {
            return Err(format!(
                "{target} is {} in the base, but the adapter's A is {} and B is {}",
                shown(base_dims),
                shown(a_dims),
                shown(b_dims)
            ));
        }
    }
    Ok(())
}

/// A tensor's values as little-endian F16, or why one does not fit.
fn f16_bytes(tensor: &Tensor) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(tensor.values.len() * 2);
    for value in &tensor.values {
        let half = half::f16::from_f32(*value);
        if !half.is_finite() {
            return Err(format!(
                "{} holds {value}, which an F16 adapter cannot hold",
                tensor.name
            ));
        }
        bytes.extend_from_slice(&half.to_le_bytes());
    }
    Ok(bytes)
}

fn shown(dims: &[u64]) -> String {
    dims.iter().map(u64::to_string).collect::<Vec<_>>().join("×")
}

/// One tensor to write: its name, GGUF dimensions (row length first) and values, row-major.
pub struct Tensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub values: Vec<f32>,
}

/// Writes a LoRA adapter for `architecture` with `alpha` (0 when the scale is baked into the
/// tensors), through a temporary file so that a failed write leaves nothing. Tensors are F16, as
/// llama.cpp's own converter writes them by default (half the size; a value F16 cannot hold is
/// refused, naming its tensor).
pub fn write_lora(
    path: &Path,
    architecture: &str,
    alpha: f32,
    name: &str,
    tensors: Vec<Tensor>,
) -> Result<(), AdapterError> {
    let failed = |message: String| AdapterError::file(path, message);
    let mut builder = GGUFBuilder::new()
        .add_metadata("general.type", MetadataValue::String("adapter".into()))
        .add_metadata("general.architecture", MetadataValue::String(architecture.into()))
        .add_metadata("general.name", MetadataValue::String(name.into()))
        .add_metadata("adapter.type", MetadataValue::String("lora".into()))
        .add_metadata("adapter.lora.alpha", MetadataValue::F32(alpha));
    for tensor in tensors {
        let bytes = f16_bytes(&tensor).map_err(failed)?;
        builder = builder
            .add_tensor(tensor.name, tensor.dims, TensorType::F16, bytes)
            .map_err(|e| failed(format!("cannot add a tensor: {e}")))?;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| failed(format!("cannot create its directory: {e}")))?;
    }
    let temporary = path.with_extension("gguf.part");
    builder
        .build_to_file(&temporary)
        .map_err(|e| failed(format!("cannot write: {e}")))?;
    std::fs::rename(&temporary, path).map_err(|e| failed(format!("cannot move into place: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, dims: &[u64]) -> Tensor {
        let count = dims.iter().product::<u64>() as usize;
        Tensor {
            name: name.into(),
            dims: dims.to_vec(),
            values: (0..count).map(|i| i as f32 * 0.5).collect(),
        }
    }

    #[test]
    fn a_written_adapter_reads_back_with_its_shapes_and_alpha() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.gguf");
        write_lora(
            &path,
            "llama",
            8.0,
            "test",
            vec![
                tensor("blk.0.attn_q.weight.lora_a", &[6, 2]),
                tensor("blk.0.attn_q.weight.lora_b", &[2, 4]),
            ],
        )
        .unwrap();
        let header = read_header(&path).unwrap();
        assert_eq!(header.kind, "adapter");
        assert_eq!(header.architecture, "llama");
        assert_eq!(header.alpha, Some(8.0));
        assert_eq!(header.tensors["blk.0.attn_q.weight.lora_b"], vec![2, 4]);
        assert!(!dir.path().join("a.gguf.part").exists());
        let size = std::fs::metadata(&path).unwrap().len();
        let mut huge = tensor("blk.0.attn_k.weight.lora_a", &[6, 2]);
        huge.values[3] = 1.0e6;
        let error = write_lora(&path, "llama", 8.0, "test", vec![huge])
            .unwrap_err()
            .to_string();
        assert!(error.contains("blk.0.attn_k.weight.lora_a holds 1000000"), "{error}");
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            size,
            "a refused write leaves the file"
        );
    }

    #[test]
    fn an_adapter_for_another_shape_is_refused_naming_the_tensor() {
        let dir = tempfile::tempdir().unwrap();
        let (adapter, base) = (dir.path().join("a.gguf"), dir.path().join("base.gguf"));
        write_lora(
            &adapter,
            "llama",
            8.0,
            "a",
            vec![
                tensor("blk.0.attn_v.weight.lora_a", &[6, 2]),
                tensor("blk.0.attn_v.weight.lora_b", &[2, 4]),
            ],
        )
        .unwrap();
        // A stand-in base: an "adapter" file whose tensor names are the base's.
        write_lora(
            &base,
            "llama",
            0.0,
            "base",
            vec![tensor("blk.0.attn_v.weight", &[6, 3])],
        )
        .unwrap();
        let error = check_fits(&adapter, &base).unwrap_err().to_string();
        assert!(
            error.contains("blk.0.attn_v.weight is 6×3") && error.contains("a.gguf") && error.contains("base.gguf"),
            "{error}"
        );
        write_lora(
            &base,
            "qwen2",
            0.0,
            "base",
            vec![tensor("blk.0.attn_v.weight", &[6, 4])],
        )
        .unwrap();
        let error = check_fits(&adapter, &base).unwrap_err().to_string();
        assert!(error.contains("\"llama\" architecture"), "{error}");
        write_lora(
            &base,
            "llama",
            0.0,
            "base",
            vec![tensor("blk.0.attn_v.weight", &[6, 4])],
        )
        .unwrap();
        assert!(check_fits(&adapter, &base).is_ok());
    }

    #[test]
    fn a_file_that_is_not_gguf_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.gguf");
        std::fs::write(&path, b"GGUF but then nothing").unwrap();
        let error = read_header(&path).unwrap_err().to_string();
        assert!(
            error.contains("junk.gguf") && error.contains("not a readable GGUF"),
            "{error}"
        );
    }
}
