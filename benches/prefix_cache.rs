//! Few-shot corpus extraction and the prompt cache, measured with the release binary: 16
//! paragraphs of the compound test set, few-shot with the imported training examples (the
//! papers' train_100.csv, newest first), 64 tokens out, 2 threads, `retort extract`:
//! the embedded engine with its prompt cache (the default) and without (`prompt_cache = false`,
//! what every run did before), beside `llama-server` with its own prompt cache (on by default),
//! at `--concurrency 1` against `--parallel 1` and at 4 against 4; and the embedded engine with
//! `few_shot_select = "similar"` (each paragraph its own examples). Two rounds, the order
//! reversed in the second; each figure is the faster round.
//! Usage: cargo bench --bench prefix_cache [-- ROUNDS] [PROFILE…]   (only those profiles:
//! uncached, embedded, server, similar)

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const PARAGRAPHS: usize = 16;
const MAX_TOKENS: u32 = 64;

/// What one `retort extract` run took and read.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    seconds: f64,
    prompt_tokens: u64,
    cached_tokens: u64,
    median_first_token_ms: f64,
}

fn write_corpus(root: &Path) -> PathBuf {
    let registry = retort::task::Registry::builtin();
    let task = registry.get("compound").unwrap();
    let (paragraphs, _) =
        retort::input::read_paragraphs(&common::data("chemsci2024/compound/test_1000.csv"), task).unwrap();
    let lines: Vec<String> = paragraphs
        .iter()
        .take(PARAGRAPHS)
        .map(|p| serde_json::json!({"id": p.id, "text": p.text}).to_string())
        .collect();
    let path = root.join("corpus.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn extract(root: &Path, model: &str, concurrency: usize, input: &Path) -> Measured {
    let output = root.join(format!("out-{model}-{concurrency}.jsonl"));
    let _ = std::fs::remove_file(&output);
    let started = Instant::now();
    let run = common::retort_in(root)
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
    let lines = common::read_jsonl(&output);
    assert_eq!(lines.len(), PARAGRAPHS);
    assert!(lines.iter().all(|l| l["error"].is_null()), "{:?}", lines[0]);
    let sum = |key: &str| lines.iter().filter_map(|l| l[key].as_u64()).sum::<u64>();
    let mut first: Vec<f64> = lines
        .iter()
        .filter_map(|l| l["time_to_first_token_ms"].as_f64())
        .collect();
    first.sort_by(f64::total_cmp);
    Measured {
        seconds,
        prompt_tokens: sum("prompt_tokens"),
        cached_tokens: sum("cached_tokens"),
        median_first_token_ms: first.get(first.len() / 2).copied().unwrap_or(f64::NAN),
    }
}

fn serve(port: u16, parallel: usize, run: impl FnOnce() -> Measured) -> Measured {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/scripts/llama-server.sh");
    let started = Command::new(&script)
        .args(["start", &port.to_string()])
        .env(
            "LLAMA_SERVER_ARGS",
            format!("--parallel {parallel} -c {} -t 2", 4096 * parallel),
        )
        .env_remove("LD_LIBRARY_PATH")
        .status()
        .unwrap();
    assert!(started.success());
    let measured = run();
    let _ = Command::new(&script).args(["stop", &port.to_string()]).status();
    measured
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let rounds: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(2);
    let only: Vec<&str> = args
        .iter()
        .filter(|a| a.parse::<usize>().is_err())
        .map(String::as_str)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let input = write_corpus(root);
    let imported = common::retort_in(root)
        .args(["import", "--task", "compound"])
        .arg(common::data("chemsci2024/compound/train_100.csv"))
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let embedded = |name: &str, cache: bool, select: &str| {
        format!(
            "[[model]]\nname = \"{name}\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"few-shot\"\nthreads = 2\ncontext = 4096\nmax_tokens = {MAX_TOKENS}\nprompt_cache = {cache}\nfew_shot_select = \"{select}\"\n\n",
            common::test_gguf().display()
        )
    };
    common::write_models(
        root,
        &format!(
            "{}{}{}[[model]]\nname = \"server\"\nengine = \"openai\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmode = \"few-shot\"\nmax_tokens = {MAX_TOKENS}\ncontext = 4096\n",
            embedded("embedded", true, "newest"),
            embedded("uncached", false, "newest"),
            embedded("similar", true, "similar")
        ),
    );
    let setups: [(&str, usize); 6] = [
        ("uncached", 1),
        ("embedded", 1),
        ("server", 1),
        ("embedded", 4),
        ("server", 4),
        ("similar", 1),
    ];
    let mut best = [Measured::default(); 6];
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..setups.len())
            .filter(|i| only.is_empty() || only.contains(&setups[*i].0))
            .collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (model, concurrency) = setups[i];
            let measured = if model == "server" {
                serve(port, concurrency, || extract(root, model, concurrency, &input))
            } else {
                extract(root, model, concurrency, &input)
            };
            eprintln!("round {round}: {model} × {concurrency}: {measured:?}");
            if best[i].seconds == 0.0 || measured.seconds < best[i].seconds {
                best[i] = measured;
            }
        }
    }
    let mean_prompt = best.iter().map(|m| m.prompt_tokens).max().unwrap_or(0) as f64 / PARAGRAPHS as f64;
    println!(
        "{PARAGRAPHS} compound paragraphs, few-shot from train_100 (about {mean_prompt:.0} prompt tokens each), {MAX_TOKENS} tokens out, 2 threads, best of {rounds}:"
    );
    let labels = [
        "embedded, no prompt cache, --concurrency 1",
        "embedded, prompt cache, --concurrency 1",
        "llama-server --parallel 1, --concurrency 1",
        "embedded, prompt cache, --concurrency 4",
        "llama-server --parallel 4, --concurrency 4",
        "embedded, similar examples, --concurrency 1",
    ];
    for (label, m) in labels.iter().zip(&best).filter(|(_, m)| m.seconds > 0.0) {
        println!(
            "  {label:44} {:6.1} s  {:5.2} paragraphs/s  first token (median) {:6.0} ms  prompt tokens from the cache {:4.1} %",
            m.seconds,
            PARAGRAPHS as f64 / m.seconds,
            m.median_first_token_ms,
            100.0 * m.cached_tokens as f64 / m.prompt_tokens.max(1) as f64
        );
    }
    let ratio = |slower: usize, faster: usize| {
        if best[slower].seconds > 0.0 && best[faster].seconds > 0.0 {
            format!("{:.2}x", best[slower].seconds / best[faster].seconds)
        } else {
            "not measured".into()
        }
    };
    println!(
        "  embedded / server: {} at 1, {} at 4 (throughput); cached / uncached embedded: {}",
        ratio(2, 1),
        ratio(4, 3),
        ratio(0, 1)
    );
}
