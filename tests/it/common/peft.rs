//! Small PEFT LoRA adapters made in the tests, as trainers write them (`adapter_config.json` and
//! `adapter_model.safetensors`), with random rank-r matrices shaped for a base GGUF.

use retort::llm::adapter::gguf::read_header;
use safetensors::{Dtype, tensor::TensorView};
use std::collections::BTreeMap;
use std::path::Path;

/// What to make.
pub struct Spec<'a> {
    /// Hugging Face module suffixes, e.g. `self_attn.q_proj`.
    pub modules: &'a [&'a str],
    pub layers: std::ops::Range<usize>,
    pub rank: usize,
    pub alpha: f64,
    pub dtype: Dtype,
    pub seed: u64,
    /// Make the matrices for this hidden size instead of the base's (an adapter for another model).
    pub hidden: Option<usize>,
    /// The values are uniform in ±magnitude.
    pub magnitude: f32,
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Spec {
            modules: &["self_attn.q_proj", "self_attn.v_proj"],
            layers: 0..4,
            rank: 4,
            alpha: 8.0,
            dtype: Dtype::F32,
            seed: 7,
            hidden: None,
            magnitude: 0.2,
        }
    }
}

fn gguf_short(module: &str) -> &'static str {
    match module {
        "self_attn.q_proj" => "attn_q",
        "self_attn.k_proj" => "attn_k",
        "self_attn.v_proj" => "attn_v",
        "self_attn.o_proj" => "attn_output",
        "mlp.gate_proj" => "ffn_gate",
        "mlp.up_proj" => "ffn_up",
        "mlp.down_proj" => "ffn_down",
        other => panic!("no test mapping for {other}"),
    }
}

/// Writes the adapter for `base` into `dir`.
pub fn write(dir: &Path, base: &Path, spec: &Spec) {
    std::fs::create_dir_all(dir).unwrap();
    let header = read_header(base).unwrap();
    let mut state = spec.seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut random = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    };
    let mut blobs: BTreeMap<String, (Vec<usize>, Vec<u8>)> = BTreeMap::new();
    for layer in spec.layers.clone() {
        for module in spec.modules {
            let dims = &header.tensors[&format!("blk.{layer}.{}.weight", gguf_short(module))];
            let (inputs, outputs) = (spec.hidden.unwrap_or(dims[0] as usize), dims[1] as usize);
            let name = format!("base_model.model.model.layers.{layer}.{module}");
            let a: Vec<f32> = (0..spec.rank * inputs).map(|_| random() * spec.magnitude).collect();
            let b: Vec<f32> = (0..outputs * spec.rank).map(|_| random() * spec.magnitude).collect();
            blobs.insert(
                format!("{name}.lora_A.weight"),
                (vec![spec.rank, inputs], encode(&a, spec.dtype)),
            );
            blobs.insert(
                format!("{name}.lora_B.weight"),
                (vec![outputs, spec.rank], encode(&b, spec.dtype)),
            );
        }
    }
    let views: Vec<(String, TensorView)> = blobs
        .iter()
        .map(|(name, (shape, bytes))| (name.clone(), TensorView::new(spec.dtype, shape.clone(), bytes).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, None, &dir.join("adapter_model.safetensors")).unwrap();
    let targets: Vec<String> = spec
        .modules
        .iter()
        .map(|m| m.rsplit('.').next().unwrap().to_string())
        .collect();
    let config = serde_json::json!({
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",
        "r": spec.rank,
        "lora_alpha": spec.alpha,
        "lora_dropout": 0.05,
        "target_modules": targets,
        "bias": "none",
        "fan_in_fan_out": false,
        "use_rslora": false,
        "use_dora": false,
        "rank_pattern": {},
        "alpha_pattern": {}
    });
    std::fs::write(
        dir.join("adapter_config.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();
}

fn encode(values: &[f32], dtype: Dtype) -> Vec<u8> {
    match dtype {
        Dtype::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Dtype::BF16 => values
            .iter()
            .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
            .collect(),
        Dtype::F16 => values
            .iter()
            .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
            .collect(),
        other => panic!("no test encoding for {other:?}"),
    }
}
