//! LoRA adapters in the embedded engine (SmolLM2-135M GGUF): generation speed with a rank-16
//! adapter on every linear layer (q, k, v, o, gate, up, down of all 30 layers: what trainers make
//! with `target_modules = "all-linear"`) against the base, same GGUF and threads; and the cost of
//! switching between two adapter profiles on one loaded base (no model reload).
//! Usage: cargo bench --bench adapters -- [THREADS] [ROUNDS]

#[path = "../tests/it/common/mod.rs"]
mod common;
use common::peft;

use retort::llm::adapter::convert::convert;
use retort::llm::embedded::{EmbeddedCall, EmbeddedEngine};
use retort::llm::prompt::Prompt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const ALL_LINEAR: &[&str] = &[
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
];

/// PEFT's default for Llama models: the query and value projections, rank 8.
const PEFT_DEFAULT: &[&str] = &["self_attn.q_proj", "self_attn.v_proj"];

fn adapter(dir: &Path, base: &Path, seed: u64, modules: &'static [&'static str], rank: usize) -> PathBuf {
    let peft_dir = dir.join(format!("peft-{seed}"));
    let spec = peft::Spec {
        modules,
        layers: 0..30,
        rank,
        alpha: 32.0,
        seed,
        // Small updates, as after training: the text stays text.
        magnitude: 0.01,
        ..peft::Spec::default()
    };
    peft::write(&peft_dir, base, &spec);
    let out = dir.join(format!("adapter-{seed}.gguf"));
    let started = Instant::now();
    convert(&peft_dir, base, &out).unwrap();
    println!(
        "converted a rank-{rank} PEFT adapter on {} modules per layer ({:.1} MB) in {:.0} ms",
        modules.len(),
        std::fs::metadata(&out).unwrap().len() as f64 / 1e6,
        started.elapsed().as_secs_f64() * 1000.0
    );
    out
}

fn main() {
    let numbers: Vec<u32> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let threads = numbers.first().copied().unwrap_or(2);
    let rounds = numbers.get(1).copied().unwrap_or(3);
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (
        adapter(dir.path(), &base, 1, ALL_LINEAR, 16),
        adapter(dir.path(), &base, 2, ALL_LINEAR, 16),
    );
    let small = adapter(dir.path(), &base, 3, PEFT_DEFAULT, 8);
    let call = |lora: Option<&Path>, text: &str, max_tokens: u32| EmbeddedCall {
        path: base.clone(),
        threads,
        context: 2048,
        gpu_layers: 0,
        prompt: Prompt::Completion { text: text.to_string() },
        stop: Vec::new(),
        max_tokens,
        temperature: 0.0,
        grammar: None,
        slots: 1,
        prompt_cache: false,
        lora: lora.map(|p| (p.to_path_buf(), 1.0)).into_iter().collect(),
        copy: None,
    };
    let engine = EmbeddedEngine::default();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let prompt = "The synthesis of the metal-organic framework began with";
    runtime.block_on(async {
        let timed = |job: EmbeddedCall| {
            let engine = engine.clone();
            async move {
                let started = Instant::now();
                let reply = engine.call(job, None, CancellationToken::new()).await.unwrap();
                (reply, started.elapsed())
            }
        };
        // Load the model and both adapters once.
        for lora in [None, Some(first.as_path()), Some(second.as_path())] {
            timed(call(lora, prompt, 1)).await;
        }
        timed(call(Some(small.as_path()), prompt, 1)).await;
        let mut rates = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..rounds {
            for (which, lora) in [None, Some(first.as_path()), Some(small.as_path())].into_iter().enumerate() {
                let (reply, total) = timed(call(lora, prompt, 128)).await;
                let generating = total - reply.time_to_first_token.unwrap_or_default();
                let tokens = reply.completion_tokens.unwrap_or(0).saturating_sub(1);
                rates[which].push(tokens as f64 / generating.as_secs_f64());
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let base_rate = median(&mut rates[0]);
        println!("generation, {threads} threads, median of {rounds}: base {base_rate:.1} tokens/s");
        for (which, name) in [(1, "rank 16, all linear layers"), (2, "rank 8, q and v (PEFT's default)")] {
            let rate = median(&mut rates[which]);
            println!("  with an adapter of {name}: {rate:.1} tokens/s ({:.2}× the base)", rate / base_rate);
        }

        // Switching: one-token calls alternating between the two adapters, against the same
        // calls on one adapter.
        let short = "Name a solvent.";
        let mut same = Vec::new();
        let mut alternating = Vec::new();
        for _ in 0..(rounds * 4) {
            same.push(timed(call(Some(&first), short, 1)).await.1);
            same.push(timed(call(Some(&first), short, 1)).await.1);
            alternating.push(timed(call(Some(&second), short, 1)).await.1);
            alternating.push(timed(call(Some(&first), short, 1)).await.1);
        }
        let mean = |v: &[Duration]| v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len() as f64 * 1000.0;
        println!(
            "a one-token call: {:.1} ms on the same adapter, {:.1} ms when the adapter switches (the switch costs {:.1} ms; no model reload)",
            mean(&same),
            mean(&alternating),
            mean(&alternating) - mean(&same)
        );
    });
}
