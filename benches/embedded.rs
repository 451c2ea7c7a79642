//! Embedded engine throughput on the SmolLM2-135M GGUF: prompt processing and generation tokens/s
//! (unconstrained and grammar-constrained), model load time and peak RSS. Compare with
//! `llama-bench -m MODEL -t THREADS -p 512 -n 128` (scripts/bench-embedded.sh runs both).
//! Usage: cargo bench --bench embedded -- [THREADS]   (model from ../shared/scripts/fetch-model.sh
//! or RETORT_TEST_GGUF)

#[path = "../tests/it/common/mod.rs"]
mod common;

use retort::llm::embedded::{EmbeddedCall, EmbeddedEngine, schema_grammar};
use retort::llm::prompt::Prompt;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// " (0.97× llama-bench)" when scripts/bench-embedded.sh passed llama-bench's figures
/// (`RETORT_BENCH_REFERENCE="PP TG"`).
fn versus_reference(rate: f64, which: usize) -> String {
    let reference = std::env::var("RETORT_BENCH_REFERENCE").unwrap_or_default();
    match reference
        .split_whitespace()
        .nth(which)
        .and_then(|r| r.parse::<f64>().ok())
    {
        Some(r) if r > 0.0 => format!(" ({:.2}× llama-bench)", rate / r),
        _ => String::new(),
    }
}

fn main() {
    let threads: u32 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2);
    let path = common::test_gguf();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let job = |prompt: String, max_tokens: u32, grammar: Option<String>| EmbeddedCall {
        path: path.clone(),
        threads,
        context: 4096,
        gpu_layers: 0,
        prompt: Prompt::Completion { text: prompt },
        stop: Vec::new(),
        max_tokens,
        temperature: 0.0,
        grammar,
        slots: 1,
        // Each probe repeats its prompt: with the cache on it would be read once.
        prompt_cache: false,
        lora: Vec::new(),
        copy: None,
    };
    let engine = EmbeddedEngine::default();
    let call = |job, pieces, cancel| engine.call(job, pieces, cancel);
    runtime.block_on(async {
        let started = Instant::now();
        call(job("Hello".into(), 1, None), None, CancellationToken::new()).await.unwrap();
        println!("model load + first token: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
        println!(
            "{}",
            retort::llm::embedded::loaded_backend().unwrap_or_else(|| "no backend loaded".into())
        );

        // Prompt processing: a prompt of about 512 tokens (llama-bench's pp512), one generated token.
        let sentence = "The mixture of copper nitrate and the linker was heated in DMF at 120 °C for 24 h. ";
        let probe = call(job(sentence.repeat(10), 1, None), None, CancellationToken::new()).await.unwrap();
        let per_sentence = probe.prompt_tokens.unwrap_or(250) as f64 / 10.0;
        let prompt = sentence.repeat((512.0 / per_sentence).round() as usize);
        let mut pp_best = 0.0f64;
        for _ in 0..5 {
            let t = Instant::now();
            let reply = call(job(prompt.clone(), 1, None), None, CancellationToken::new()).await.unwrap();
            let tokens = reply.prompt_tokens.unwrap_or(0) as f64;
            pp_best = pp_best.max(tokens / reply.time_to_first_token.unwrap_or(t.elapsed()).as_secs_f64());
        }
        let n = call(job(prompt.clone(), 1, None), None, CancellationToken::new()).await.unwrap().prompt_tokens.unwrap_or(0);
        println!(
            "prompt processing: {pp_best:.1} tok/s, prompt tokens / time to the first token ({threads} threads, {n}-token prompt){}",
            versus_reference(pp_best, 0)
        );

        let generate = |grammar: Option<String>| {
            let job = job("List the solvents in: ethanol, THF, water, DMF, toluene.".into(), 128, grammar);
            async move {
                let mut best = 0.0f64;
                for _ in 0..5 {
                    let t = Instant::now();
                    let reply = call(job.clone(), None, CancellationToken::new()).await.unwrap();
                    let total = t.elapsed().as_secs_f64();
                    let first = reply.time_to_first_token.map_or(0.0, |d| d.as_secs_f64());
                    let n = reply.completion_tokens.unwrap_or(0).saturating_sub(1) as f64;
                    best = best.max(n / (total - first).max(1e-6));
                }
                best
            }
        };
        let free = generate(None).await;
        println!("generation: {free:.1} tok/s{}", versus_reference(free, 1));
        let schema = r#"{"type":"object","properties":{"solvents":{"type":"array","items":{"type":"string"}}},"required":["solvents"]}"#;
        let constrained = generate(schema_grammar(schema)).await;
        println!("generation, JSON-schema constrained: {constrained:.1} tok/s ({:.2}× unconstrained)", constrained / free);
    });
    println!("peak RSS: {:.0} MB", peak_rss_mb());
}
