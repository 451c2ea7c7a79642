//! Corpus-scale extraction, measured with the release binary:
//! 1. throughput of the embedded engine at `--concurrency 1` and `8` (one context, continuous
//!    batching) beside `llama-server --parallel 8` (same GGUF, same threads, same paragraphs,
//!    same `max_tokens`), through Retort's own HTTP client;
//! 2. peak resident memory of `retort extract` over 20 000 and 200 000 paragraphs against a
//!    server that answers at once (wiremock), and of `--resume` over the finished file.

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PARAGRAPHS: usize = 32;

fn retort(root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_retort"));
    command
        .env("RETORT_CONFIG_DIR", root.join("config"))
        .env("RETORT_DATA_DIR", root.join("data"))
        .env("RETORT_STATE_DIR", root.join("state"));
    command
}

/// The compound test set's first paragraphs (long prompts: prefill-bound), or their first
/// sentences (short prompts: generation-bound).
fn write_corpus(root: &Path, short: bool) -> PathBuf {
    let registry = retort::task::Registry::builtin();
    let task = registry.get("compound").unwrap();
    let (paragraphs, _) =
        retort::input::read_paragraphs(&common::data("chemsci2024/compound/test_1000.csv"), task).unwrap();
    let lines: Vec<String> = paragraphs
        .iter()
        .take(PARAGRAPHS)
        .map(|p| {
            let text = if short {
                p.text.split(". ").next().unwrap_or(&p.text).to_string()
            } else {
                p.text.clone()
            };
            serde_json::json!({"id": p.id, "text": text}).to_string()
        })
        .collect();
    let path = root.join("corpus.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// Runs extract and returns (paragraphs per second, generated tokens per second).
fn throughput(root: &Path, model: &str, concurrency: usize, input: &Path) -> (f64, f64) {
    let output = root.join(format!("out-{model}-{concurrency}.jsonl"));
    let started = Instant::now();
    let run = retort(root)
        .args(["extract", "--task", "compound", "--model", model, "--concurrency"])
        .arg(concurrency.to_string())
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let tokens: u64 = common::read_jsonl(&output)
        .iter()
        .filter_map(|l| l["completion_tokens"].as_u64())
        .sum();
    (PARAGRAPHS as f64 / seconds, tokens as f64 / seconds)
}

fn throughput_part(short: bool) {
    let max_tokens: u32 = if short { 96 } else { 48 };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let input = write_corpus(root, short);
    let gguf = common::test_gguf();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    common::write_models(
        root,
        &format!(
            "[[model]]\nname = \"embedded\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"zero-shot\"\nthreads = 2\ncontext = 2048\nmax_tokens = {max_tokens}\n\n\
             [[model]]\nname = \"server\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmode = \"zero-shot\"\nmax_tokens = {max_tokens}\n",
            gguf.display()
        ),
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/scripts/llama-server.sh");
    let one = throughput(root, "embedded", 1, &input);
    let eight = throughput(root, "embedded", 8, &input);
    let serve = |parallel: usize| {
        let started = Command::new(&script)
            .args(["start", &port.to_string()])
            .env(
                "LLAMA_SERVER_ARGS",
                format!("--parallel {parallel} -c {}", 2048 * parallel),
            )
            .env_remove("LD_LIBRARY_PATH")
            .status()
            .unwrap();
        assert!(started.success());
        let measured = throughput(root, "server", parallel, &input);
        let _ = Command::new(&script).args(["stop", &port.to_string()]).status();
        measured
    };
    let server_one = serve(1);
    let server = serve(8);
    let kind = if short { "first sentences of" } else { "whole" };
    println!("{PARAGRAPHS} {kind} compound paragraphs, zero-shot, max_tokens {max_tokens}, 2 threads:");
    for (label, (p, t)) in [
        ("embedded --concurrency 1", one),
        ("embedded --concurrency 8", eight),
        ("llama-server --parallel 1, --concurrency 1", server_one),
        ("llama-server --parallel 8, --concurrency 8", server),
    ] {
        println!("  {label:44} {p:6.2} paragraphs/s  {t:7.1} tokens/s");
    }
    println!(
        "  embedded 8 / embedded 1 = {:.2}x; server 8 / server 1 = {:.2}x; embedded 8 / server 8 = {:.2}x (tokens/s)",
        eight.1 / one.1,
        server.1 / server_one.1,
        eight.1 / server.1
    );
}

/// Peak resident memory (VmHWM) of a child, polled until it exits.
fn peak_kib(mut command: Command) -> (u64, std::process::ExitStatus) {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (peak, status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn memory_part() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(common::mock::answering("ethanol | THF"));
    for n in [20_000usize, 200_000] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        common::write_models(
            root,
            &format!(
                "[[model]]\nname = \"mock\"\nengine = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"m\"\nmode = \"zero-shot\"\nlogprobs = false\n",
                server.uri()
            ),
        );
        let input = root.join("corpus.jsonl");
        let mut text = String::with_capacity(n * 200);
        for i in 0..n {
            text.push_str(&serde_json::json!({"id": format!("patent-{i:08}"), "text": format!("Ethanol ({i} mL) and THF were stirred for {i} minutes; the residue was washed with diethyl ether and dried.")}).to_string());
            text.push('\n');
        }
        std::fs::write(&input, &text).unwrap();
        let output = root.join("out.jsonl");
        let extract = |resume: bool| {
            let mut command = retort(root);
            command
                .args([
                    "extract",
                    "--task",
                    "compound",
                    "--model",
                    "mock",
                    "--concurrency",
                    "16",
                    "--input",
                ])
                .arg(&input)
                .arg("--output")
                .arg(&output);
            if resume {
                command.arg("--resume");
            }
            command
        };
        let started = Instant::now();
        let (peak, status) = peak_kib(extract(false));
        assert!(status.success());
        let seconds = started.elapsed().as_secs_f64();
        let size = std::fs::metadata(&output).unwrap().len();
        let (resume_peak, status) = peak_kib(extract(true));
        assert!(status.success());
        println!(
            "{n:>7} paragraphs ({:.0} MB in, {:.0} MB out): peak RSS {:.1} MB in {seconds:.0} s; --resume over the finished file: peak RSS {:.1} MB",
            text.len() as f64 / 1e6,
            size as f64 / 1e6,
            peak as f64 / 1024.0,
            resume_peak as f64 / 1024.0
        );
    }
}

fn main() {
    let which = std::env::args()
        .skip(1)
        .find(|a| ["throughput", "short", "memory"].contains(&a.as_str()));
    if which.is_none() || which.as_deref() == Some("throughput") {
        throughput_part(false);
    }
    if which.is_none() || which.as_deref() == Some("short") {
        throughput_part(true);
    }
    if which.is_none() || which.as_deref() == Some("memory") {
        memory_part();
    }
}
