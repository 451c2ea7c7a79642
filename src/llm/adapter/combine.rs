//! Several LoRA adapters at their scales as one adapter: llama-cpp-2 sets one adapter on a
//! context at a time, and the sum of low-rank updates is itself low-rank. For a tensor, each
//! adapter's update is c·B·A with c = scale × alpha / rank (scale alone when alpha is 0); the
//! combined A stacks the A's, the combined B puts the c·B's side by side, and its alpha is 0, so
//! applied at scale 1 it adds exactly the sum.

use super::AdapterError;
use super::gguf::{self, Tensor};
use gguf_rs_lib::prelude::GGUFFileReader;
use gguf_rs_lib::tensor::TensorType;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One adapter's pair for a target: A (rank rows of `inputs`), B (`outputs` rows of rank).
struct Part {
    a: Vec<f32>,
    b: Vec<f32>,
    rank: usize,
    factor: f32,
}

/// Writes the combination of `adapters` (GGUF adapters of one architecture) to `out`.
pub fn combine(adapters: &[(PathBuf, f32)], out: &Path) -> Result<(), AdapterError> {
    let mut architecture = None::<String>;
    let mut parts: BTreeMap<String, (u64, u64, Vec<Part>)> = BTreeMap::new();
    for (path, scale) in adapters {
        let header = gguf::read_header(path)?;
        match &architecture {
            Some(arch) if *arch != header.architecture => {
                return Err(AdapterError::file(
                    path,
                    format!("is for {:?}, the other adapters for {arch:?}", header.architecture),
                ));
            }
            _ => architecture = Some(header.architecture.clone()),
        }
        let file = std::fs::File::open(path).map_err(|e| AdapterError::file(path, format!("cannot open: {e}")))?;
        let mut reader = GGUFFileReader::new(std::io::BufReader::new(file))
            .map_err(|e| AdapterError::file(path, format!("not a readable GGUF file ({e})")))?;
        for (name, a_dims) in header.tensors.iter().filter(|(n, _)| n.ends_with(".lora_a")) {
            let target = name.trim_end_matches(".lora_a").to_string();
            let b_name = format!("{target}.lora_b");
            let b_dims = header
                .tensors
                .get(&b_name)
                .ok_or_else(|| AdapterError::file(path, format!("{name} has no {b_name}")))?;
            let (inputs, rank, outputs) = (a_dims[0], a_dims[1], b_dims[1]);
            let alpha = header.alpha.unwrap_or(0.0) as f32;
            let factor = if alpha == 0.0 {
                *scale
            } else {
                scale * alpha / rank as f32
            };
            let part = Part {
                a: values(&mut reader, path, name)?,
                b: values(&mut reader, path, &b_name)?,
                rank: rank as usize,
                factor,
            };
            let entry = parts.entry(target.clone()).or_insert((inputs, outputs, Vec::new()));
            if (entry.0, entry.1) != (inputs, outputs) {
                return Err(AdapterError::file(
                    path,
                    format!("{target} has another shape than in the other adapters"),
                ));
            }
            entry.2.push(part);
        }
    }
    let tensors = parts
        .into_iter()
        .flat_map(|(target, (inputs, outputs, parts))| stacked(&target, inputs, outputs, &parts))
        .collect();
    gguf::write_lora(
        out,
        architecture.as_deref().unwrap_or_default(),
        0.0,
        "combined",
        tensors,
    )
}

/// The stacked A and side-by-side scaled B of one target.
fn stacked(target: &str, inputs: u64, outputs: u64, parts: &[Part]) -> [Tensor; 2] {
    let rank: usize = parts.iter().map(|p| p.rank).sum();
    let a = parts.iter().flat_map(|p| p.a.iter().copied()).collect();
    let mut b = Vec::with_capacity(outputs as usize * rank);
    for row in 0..outputs as usize {
        for part in parts {
            let slice = &part.b[row * part.rank..(row + 1) * part.rank];
            b.extend(slice.iter().map(|v| v * part.factor));
        }
    }
    [
        Tensor {
            name: format!("{target}.lora_a"),
            dims: vec![inputs, rank as u64],
            values: a,
        },
        Tensor {
            name: format!("{target}.lora_b"),
            dims: vec![rank as u64, outputs],
            values: b,
        },
    ]
}

/// A tensor's values as f32 (F32, F16 or BF16 tensors; quantised adapters are refused).
fn values<R: std::io::Read + std::io::Seek>(
    reader: &mut GGUFFileReader<R>,
    path: &Path,
    name: &str,
) -> Result<Vec<f32>, AdapterError> {
    let kind = reader
        .get_tensor_info(name)
        .map(|t| t.tensor_type())
        .ok_or_else(|| AdapterError::file(path, format!("has no tensor {name}")))?;
    let data = reader
        .load_tensor_data(name)
        .map_err(|e| AdapterError::file(path, format!("{name}: {e}")))?
        .ok_or_else(|| AdapterError::file(path, format!("{name} has no data")))?;
    let bytes = data.as_slice();
    let floats = match kind {
        TensorType::F32 => super::FloatBytes::F32,
        TensorType::F16 => super::FloatBytes::F16,
        TensorType::BF16 => super::FloatBytes::BF16,
        other => {
            return Err(AdapterError::Unsupported {
                path: path.display().to_string(),
                message: format!("{name} is {other:?}; adapters are combined from F32, F16 or BF16 tensors"),
            });
        }
    };
    Ok(super::decode(bytes, floats))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(dir: &Path, name: &str, alpha: f32, a: Vec<f32>, b: Vec<f32>) -> PathBuf {
        let path = dir.join(name);
        let rank = a.len() as u64 / 3;
        gguf::write_lora(
            &path,
            "llama",
            alpha,
            name,
            vec![
                Tensor {
                    name: "blk.0.attn_v.weight.lora_a".into(),
                    dims: vec![3, rank],
                    values: a,
                },
                Tensor {
                    name: "blk.0.attn_v.weight.lora_b".into(),
                    dims: vec![rank, 2],
                    values: b,
                },
            ],
        )
        .unwrap();
        path
    }

    /// B·A of the combined adapter, as a 2×3 matrix, read back from the file.
    fn update(path: &Path) -> Vec<f32> {
        let header = gguf::read_header(path).unwrap();
        let rank = header.tensors["blk.0.attn_v.weight.lora_a"][1] as usize;
        let file = std::fs::File::open(path).unwrap();
        let mut reader = GGUFFileReader::new(std::io::BufReader::new(file)).unwrap();
        let a = values(&mut reader, path, "blk.0.attn_v.weight.lora_a").unwrap();
        let b = values(&mut reader, path, "blk.0.attn_v.weight.lora_b").unwrap();
        (0..2)
            .flat_map(|o| {
                let (a, b) = (&a, &b);
                (0..3).map(move |i| (0..rank).map(|r| b[o * rank + r] * a[r * 3 + i]).sum::<f32>())
            })
            .collect()
    }

    #[test]
    fn the_combination_adds_each_scaled_update() {
        let dir = tempfile::tempdir().unwrap();
        // Rank 1, alpha 0: update = scale·b·a. Rank 2, alpha 4: update = scale·(4/2)·B·A.
        let one = adapter(dir.path(), "one.gguf", 0.0, vec![1.0, 2.0, 3.0], vec![1.0, -1.0]);
        let two = adapter(
            dir.path(),
            "two.gguf",
            4.0,
            vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            vec![1.0, 0.0, 0.0, 1.0],
        );
        let out = dir.path().join("both.gguf");
        combine(&[(one, 0.5), (two, 1.0)], &out).unwrap();
        // 0.5·[1 2 3; -1 -2 -3] + 2·[1 0 0; 0 1 0]
        assert_eq!(update(&out), vec![2.5, 1.0, 1.5, -0.5, 1.0, -1.5]);
        assert_eq!(gguf::read_header(&out).unwrap().alpha, Some(0.0));
    }
}
