//! A PEFT adapter converted to a GGUF LoRA adapter for a given base GGUF: module names mapped to
//! llama.cpp's tensor names, the query and key rows of Llama-family models put in the order
//! llama.cpp's conversion gave the base, PEFT's scaling folded into B, and the result checked
//! against the base before it is written.

use super::AdapterError;
use super::gguf::{self, Header, Tensor};
use super::peft::{Pair, PeftAdapter};
use std::path::Path;

/// Architectures whose module names are mapped here: Llama, Mistral (converted as `llama`),
/// Qwen 2 / 3 and Gemma 1-3 (the same projection names; only Llama's query and key rows are
/// reordered).
const SUPPORTED: &[&str] = &["llama", "qwen2", "qwen3", "gemma", "gemma2", "gemma3"];

/// What a conversion wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    pub architecture: String,
    pub modules: usize,
    pub rank: usize,
}

/// Converts the PEFT directory `dir` for the base model `base` and writes the adapter to `out`.
pub fn convert(dir: &Path, base: &Path, out: &Path) -> Result<Converted, AdapterError> {
    let adapter = super::peft::read(dir)?;
    let header = gguf::read_header(base)?;
    if !SUPPORTED.contains(&header.architecture.as_str()) {
        return Err(AdapterError::Unsupported {
            path: base.display().to_string(),
            message: format!(
                "the base's architecture {:?} has no module map here (supported: {})",
                header.architecture,
                SUPPORTED.join(", ")
            ),
        });
    }
    let tensors = adapter
        .pairs
        .iter()
        .map(|pair| tensors_of(&adapter, pair, &header))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    let pairs = tensors.chunks(2).filter_map(|pair| match pair {
        [a, b] => Some((a.name.trim_end_matches(".lora_a"), a.dims.as_slice(), b.dims.as_slice())),
        _ => None,
    });
    gguf::fits(pairs, &header).map_err(|message| AdapterError::Mismatch {
        adapter: dir.display().to_string(),
        base: base.display().to_string(),
        message,
    })?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // alpha 0: llama.cpp then scales by the profile's scale alone; PEFT's factor is in B.
    gguf::write_lora(out, &header.architecture, 0.0, &name, tensors)?;
    Ok(Converted {
        architecture: header.architecture,
        modules: adapter.pairs.len(),
        rank: adapter.pairs.iter().map(|p| p.a.rows).max().unwrap_or(0),
    })
}

/// The GGUF A and B tensors of one pair.
fn tensors_of(adapter: &PeftAdapter, pair: &Pair, base: &Header) -> Result<[Tensor; 2], AdapterError> {
    let unsupported = |message: String| AdapterError::Unsupported {
        path: adapter.dir.display().to_string(),
        message,
    };
    let target = gguf_name(&pair.module).ok_or_else(|| {
        unsupported(format!(
            "the module {} has no llama.cpp tensor mapped here",
            pair.module
        ))
    })?;
    let scaling = adapter.scaling(pair) as f32;
    let mut b: Vec<f32> = pair.b.values.iter().map(|v| v * scaling).collect();
    if base.architecture == "llama" {
        let heads = match target.rsplit('.').nth(1) {
            Some("attn_q") => base.hyper("attention.head_count"),
            Some("attn_k") => base
                .hyper("attention.head_count_kv")
                .or(base.hyper("attention.head_count")),
            _ => None,
        };
        if let Some(heads) = heads {
            b = interleave_rope_rows(&b, pair.b.rows, pair.b.cols, heads as usize).ok_or_else(|| {
                unsupported(format!(
                    "{}: {} rows do not split into {heads} heads",
                    pair.module, pair.b.rows
                ))
            })?;
        }
    }
    Ok([
        Tensor {
            name: format!("{target}.lora_a"),
            dims: vec![pair.a.cols as u64, pair.a.rows as u64],
            values: pair.a.values.clone(),
        },
        Tensor {
            name: format!("{target}.lora_b"),
            dims: vec![pair.b.cols as u64, pair.b.rows as u64],
            values: b,
        },
    ])
}

/// llama.cpp's tensor for a Hugging Face module of the Llama / Qwen layout.
fn gguf_name(module: &str) -> Option<String> {
    let module = module.strip_prefix("model.").unwrap_or(module);
    if module == "lm_head" {
        return Some("output.weight".into());
    }
    let rest = module.strip_prefix("layers.")?;
    let (layer, inner) = rest.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    let short = match inner {
        "self_attn.q_proj" => "attn_q",
        "self_attn.k_proj" => "attn_k",
        "self_attn.v_proj" => "attn_v",
        "self_attn.o_proj" => "attn_output",
        "mlp.gate_proj" => "ffn_gate",
        "mlp.up_proj" => "ffn_up",
        "mlp.down_proj" => "ffn_down",
        _ => return None,
    };
    Some(format!("blk.{layer}.{short}.weight"))
}

/// Hugging Face keeps each head's rotary halves apart (rows 0..d/2, then d/2..d); llama.cpp's
/// Llama conversion interleaves them (row 2i from the first half, 2i+1 from the second) and
/// applies RoPE to adjacent pairs. A LoRA B for a query or key projection must be reordered
/// the same way. `values` is `rows` × `cols`, row-major; None when rows do not split into heads.
fn interleave_rope_rows(values: &[f32], rows: usize, cols: usize, heads: usize) -> Option<Vec<f32>> {
    if heads == 0 || !rows.is_multiple_of(2 * heads) {
        return None;
    }
    let head_dim = rows / heads;
    let half = head_dim / 2;
    let mut out = Vec::with_capacity(values.len());
    for head in 0..heads {
        for i in 0..half {
            for side in 0..2 {
                let from = head * head_dim + side * half + i;
                out.extend_from_slice(&values[from * cols..(from + 1) * cols]);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_map_to_llama_cpp_tensors() {
        assert_eq!(
            gguf_name("model.layers.12.self_attn.q_proj").as_deref(),
            Some("blk.12.attn_q.weight")
        );
        assert_eq!(
            gguf_name("model.layers.0.mlp.down_proj").as_deref(),
            Some("blk.0.ffn_down.weight")
        );
        assert_eq!(gguf_name("lm_head").as_deref(), Some("output.weight"));
        assert_eq!(gguf_name("model.layers.0.self_attn.rotary_emb"), None);
        assert_eq!(gguf_name("model.embed_tokens"), None);
    }

    #[test]
    fn rope_rows_interleave_within_each_head() {
        // Two heads of four rows, one column: HF order [a0 a1 b0 b1 | c0 c1 d0 d1] where a/b
        // (c/d) are a head's first and second rotary halves.
        let rows = [10.0, 11.0, 20.0, 21.0, 30.0, 31.0, 40.0, 41.0];
        let out = interleave_rope_rows(&rows, 8, 1, 2).unwrap();
        assert_eq!(out, vec![10.0, 20.0, 11.0, 21.0, 30.0, 40.0, 31.0, 41.0]);
        // Columns move with their row.
        let wide = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        assert_eq!(
            interleave_rope_rows(&wide, 4, 2, 1).unwrap(),
            vec![1.0, 2.0, 5.0, 6.0, 3.0, 4.0, 7.0, 8.0]
        );
        assert_eq!(interleave_rope_rows(&rows, 8, 1, 3), None);
    }
}
