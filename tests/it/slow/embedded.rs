//! The embedded engine with the real SmolLM2-135M GGUF: load, generate, stream, cancel,
//! schema-constrained extraction, `retort extract --model embedded`, and clear errors for corrupt
//! and truncated files. One thread (the tests run beside other work). Protocol, structure and
//! validation are checked, not extraction quality.

#![cfg(feature = "embedded")]

use crate::common;

use retort::llm::dialect::Validation;
use retort::llm::profile::parse;
use retort::llm::{Engines, ModelProfile, RunRequest, execute};
use retort::task::Registry;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A one-thread `embedded` profile on the GGUF at `path`, as models.toml text.
fn profile_toml(path: &Path, mode: &str, max_tokens: u32) -> String {
    format!(
        "[[model]]\nname = \"embedded\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"{mode}\"\nthreads = 1\ncontext = 2048\nmax_tokens = {max_tokens}\n",
        path.display()
    )
}

fn profile(path: &Path, mode: &str, max_tokens: u32) -> ModelProfile {
    parse(&profile_toml(path, mode, max_tokens)).unwrap().remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_stream_cancel_and_constrain() {
    let gguf = common::test_gguf();
    let registry = Registry::builtin();
    let engine = Engines::new();
    let cancel = CancellationToken::new();

    // Load once, generate, stream.
    let compound = registry.get("compound").unwrap();
    let smol = profile(&gguf, "zero-shot", 24);
    let request = RunRequest {
        stream: true,
        ..RunRequest::new(compound, &smol, "Ethanol and THF were mixed.")
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = execute(&engine, &request, Some(&tx), &cancel).await;
    drop(tx);
    assert_eq!(run.outcome.error(), None);
    let mut pieces = Vec::new();
    while let Some(piece) = rx.recv().await {
        pieces.push(piece);
    }
    assert!(pieces.len() > 1, "tokens stream one by one");
    assert_eq!(pieces.concat(), run.raw_reply);
    assert!(run.completion_tokens.is_some_and(|n| (1..=24).contains(&n)));
    assert!(
        run.prompt_tokens.is_some_and(|n| n > 10),
        "the chat template from the GGUF was applied"
    );
    assert!(run.time_to_first_token_ms.is_some());
    assert!(run.endpoint.starts_with("embedded:"));

    // Cancel mid-way: the run stops early and keeps what arrived.
    let long = profile(&gguf, "zero-shot", 400);
    let request = RunRequest {
        stream: true,
        ..RunRequest::new(compound, &long, "Write a very long list of solvents.")
    };
    let cancel_soon = CancellationToken::new();
    let trigger = cancel_soon.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn(async move {
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
            if n == 5 {
                trigger.cancel();
            }
        }
        n
    });
    let run = execute(&engine, &request, Some(&tx), &cancel_soon).await;
    drop(tx);
    let streamed = watcher.await.unwrap();
    assert!(
        run.outcome.error().is_some_and(|e| e.starts_with("cancelled")),
        "{:?}",
        run.outcome
    );
    assert!(run.outcome.is_incomplete());
    assert!(
        (5..=7).contains(&streamed),
        "stopped within a token or two of the cancel: {streamed}"
    );

    // A JSON task: the grammar from its schema keeps the reply parsable and valid.
    let nmr = registry.get("nmr").unwrap();
    let constrained = profile(&gguf, "zero-shot", 600);
    let request = RunRequest::new(nmr, &constrained, "1H NMR (400 MHz, CDCl3) δ 7.26 (s, 1H).");
    let run = execute(&engine, &request, None, &cancel).await;
    assert_eq!(run.outcome.error(), None);
    assert_eq!(run.validation, Validation::Constrained, "{}", run.raw_reply);
    assert!(run.extraction.is_some(), "{:?}", run.parse_error);
    assert_eq!(run.request["grammar"], true);
}

#[tokio::test]
async fn broken_model_files_get_clear_errors_and_nothing_crashes() {
    let gguf = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.gguf");
    let bytes = std::fs::read(&gguf).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let not_gguf = dir.path().join("notes.gguf");
    std::fs::write(&not_gguf, "these are notes, not weights").unwrap();
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let engine = Engines::new();
    for (path, expected) in [
        (dir.path().join("missing.gguf"), "does not exist"),
        (not_gguf, "not a GGUF"),
        (truncated.clone(), "truncated"),
    ] {
        let p = profile(&path, "zero-shot", 8);
        let request = RunRequest::new(task, &p, "THF");
        let run = execute(&engine, &request, None, &CancellationToken::new()).await;
        let error = run.outcome.error().unwrap_or_default().to_string();
        assert!(
            error.contains(expected) && error.contains(path.file_name().unwrap().to_str().unwrap()),
            "{error}"
        );
    }
    // The engine still works after the failures.
    let p = profile(&gguf, "zero-shot", 4);
    let request = RunRequest::new(task, &p, "THF");
    let run = tokio::time::timeout(
        Duration::from_secs(120),
        execute(&engine, &request, None, &CancellationToken::new()),
    )
    .await
    .unwrap();
    assert_eq!(run.outcome.error(), None);

    // A prompt longer than the context is refused before generation.
    let mut tiny = profile(&gguf, "zero-shot", 8);
    tiny.context = 64;
    tiny.max_tokens = 8;
    let long = "ethanol ".repeat(100);
    let request = RunRequest::new(task, &tiny, &long);
    let run = execute(&engine, &request, None, &CancellationToken::new()).await;
    assert!(
        run.outcome.error().is_some_and(|e| e.contains("context")),
        "{:?}",
        run.outcome
    );
}

/// `retort extract --task compound --model embedded` over `input` with the directories under
/// `root`; the output file, after checking that the command succeeded.
fn extract_compound(root: &Path, input: &Path) -> std::path::PathBuf {
    let output = root.join("out.jsonl");
    let out = common::retort_in(root)
        .args(["extract", "--task", "compound", "--model", "embedded", "--input"])
        .arg(input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    common::assert_extracted(&out);
    output
}

#[test]
fn extract_with_the_embedded_model_writes_valid_jsonl() {
    let gguf = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    common::write_models(dir.path(), &profile_toml(&gguf, "zero-shot", 24));
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_paragraphs/compound.jsonl");
    let output = extract_compound(dir.path(), &input);
    let lines = common::read_jsonl(&output);
    assert_eq!(lines.len(), 3);
    for line in lines {
        assert!(line["error"].is_null(), "{line}");
        assert!(line["completion_tokens"].as_u64().is_some_and(|n| n > 0));
    }
}

/// A fresh install has no saved examples, yet the default few-shot mode is few-shot: the
/// examples shipped for the task go into the prompt as conversation turns, and the run says so.
#[test]
fn a_fresh_install_prompts_few_shot_with_the_shipped_examples() {
    let gguf = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    common::write_models(dir.path(), &profile_toml(&gguf, "few-shot", 24));
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"p1\",\"text\":\"Ethanol and THF were stirred with acetone.\"}\n",
    )
    .unwrap();
    let output = extract_compound(dir.path(), &input);
    let line = &common::read_jsonl(&output)[0];
    assert!(line["error"].is_null(), "{line}");
    let shots = line["shots_from"].as_str().unwrap_or_default();
    assert!(
        shots.starts_with("3 of 4 worked examples shipped with Retort"),
        "{shots}"
    );
    let turns: Vec<&str> = line["prompt"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        turns,
        ["user", "assistant", "user", "assistant", "user", "assistant", "user"]
    );
}

/// The embedded engine's own logits give each value a confidence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_carry_the_confidence_of_the_embedded_logits() {
    let gguf = common::test_gguf();
    let registry = Registry::builtin();
    let smol = profile(&gguf, "zero-shot", 24);
    let request = RunRequest::new(
        registry.get("compound").unwrap(),
        &smol,
        "Ethanol and THF were stirred with acetone.",
    );
    let run = execute(&Engines::new(), &request, None, &CancellationToken::new()).await;
    assert_eq!(run.outcome.error(), None);
    let extraction = run.extraction.expect("a delimited reply always parses");
    let confidences: Vec<f64> = extraction.values().iter().filter_map(|(_, v)| v.confidence).collect();
    assert!(!confidences.is_empty(), "no confidence for {:?}", run.raw_reply);
    assert!(confidences.iter().all(|c| *c > 0.0 && *c <= 1.0), "{confidences:?}");
}

/// Several runs decoded together in one context: each constrained by its own grammar, each
/// cancellable alone, and a batch of 4 gives the same replies as one at a time would parse to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequences_decode_together_each_constrained_and_cancellable() {
    let gguf = common::test_gguf();
    let registry = Registry::builtin();
    let engine = Engines::new();
    let task = registry.get("general-materials").unwrap();
    let smol = profile(&gguf, "zero-shot", 48);
    let paragraphs = [
        "BaTiO3 thin films were grown on SrTiO3 substrates.",
        "LiFePO4 cathodes were coated with carbon.",
        "ZnO nanowires were doped with Al for sensors.",
        "Perovskite solar cells used a TiO2 scaffold.",
    ];
    let cancel_one = CancellationToken::new();
    let runs = futures_util::future::join_all(paragraphs.iter().enumerate().map(|(i, paragraph)| {
        let engine = &engine;
        let smol = &smol;
        let cancel = if i == 3 {
            cancel_one.clone()
        } else {
            CancellationToken::new()
        };
        async move {
            let request = RunRequest {
                parallel: 4,
                ..RunRequest::new(task, smol, paragraph)
            };
            execute(engine, &request, None, &cancel).await
        }
    }));
    let cancelling = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel_one.cancel();
    };
    let (runs, ()) = tokio::join!(runs, cancelling);
    let mut finished = 0;
    for run in &runs[..3] {
        assert_eq!(run.outcome.error(), None);
        assert_eq!(run.request["slots"], 4, "decoded in a context of 4 slots");
        use retort::llm::finish::FinishReason;
        assert!(
            matches!(run.finish_reason, Some(FinishReason::Stop | FinishReason::Length)),
            "a normal stop: {:?} ({})",
            run.finish_reason,
            run.raw_reply
        );
        if run.finish_reason == Some(FinishReason::Stop) {
            assert!(
                run.extraction.is_some(),
                "a constrained reply parses: {}",
                run.raw_reply
            );
            assert_eq!(run.validation, Validation::Constrained, "{}", run.raw_reply);
            finished += 1;
        }
    }
    // Each sequence followed its own grammar (the schema's first key, in order) on its own
    // paragraph: no reply is another's.
    let replies: Vec<String> = runs[..3]
        .iter()
        .map(|r| r.raw_reply.split_whitespace().collect())
        .collect();
    for reply in &replies {
        assert!(reply.starts_with("[{\"acronym\":"), "{replies:?} ({finished} finished)");
    }
    assert!(replies[0] != replies[1] && replies[1] != replies[2], "{replies:?}");
    assert!(
        runs[3].outcome.is_cancelled(),
        "the cancelled one stops alone: {:?}",
        runs[3].finish_reason
    );
    // Decoded together or one at a time, each paragraph gets the same answer. Not the same
    // tokens: a batch of four runs other llama.cpp kernels than a batch of one, and where two
    // tokens nearly tie (`"\n "` or `"\n   "` between JSON keys) the other one can win (seen on
    // an AMD EPYC). So the texts are compared without their whitespace, up to where the
    // shorter was cut by the token limit.
    for (paragraph, batched) in paragraphs.iter().zip(&runs[..3]) {
        let alone = execute(
            &engine,
            &RunRequest::new(task, &smol, paragraph),
            None,
            &CancellationToken::new(),
        )
        .await;
        assert_eq!(alone.request["slots"], 1);
        let dense = |run: &retort::llm::Run| {
            run.raw_reply
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<Vec<char>>()
        };
        let (a, b) = (dense(&alone), dense(batched));
        let shorter = a.len().min(b.len());
        assert!(shorter > 0, "{paragraph}: nothing written");
        assert_eq!(
            a[..shorter],
            b[..shorter],
            "{paragraph}: alone {:?}, batched {:?}",
            alone.raw_reply,
            batched.raw_reply
        );
        if alone.finish_reason == Some(retort::llm::finish::FinishReason::Stop) {
            assert_eq!(alone.extraction, batched.extraction, "{paragraph}");
        }
    }
}

/// A few-shot profile on `gguf`, with or without the prompt cache.
fn few_shot(gguf: &Path, prompt_cache: bool) -> ModelProfile {
    let mut smol = profile(gguf, "few-shot", 24);
    if let retort::llm::profile::Engine::Embedded(local) = &mut smol.engine {
        local.prompt_cache = prompt_cache;
    }
    smol
}

fn shipped_pool(task: &str) -> retort::llm::prompt::Pool {
    let shipped = retort::task::builtin::shipped_examples(task).unwrap();
    retort::llm::prompt::Pool::from_shots(
        shipped
            .shots
            .into_iter()
            .map(|(input, output)| retort::llm::prompt::Shot { input, output })
            .collect(),
    )
}

const PARAGRAPHS: [&str; 3] = [
    "Ethanol and THF were stirred with acetone.",
    "The residue was washed with diethyl ether and dried over MgSO4.",
    "Benzaldehyde was added to a solution of sodium borohydride in methanol.",
];

/// Runs the paragraphs one after another on one engine: (reply, prompt tokens, cached tokens);
/// each reply's token log-probabilities go in its text, so that equal replies mean equal logits.
async fn one_by_one(engines: &Engines, smol: &ModelProfile, paragraphs: &[&str]) -> Vec<(String, u64, u64)> {
    let registry = Registry::builtin();
    let pool = shipped_pool("compound");
    let mut out = Vec::new();
    for paragraph in paragraphs {
        let request = RunRequest {
            pool: &pool,
            ..RunRequest::new(registry.get("compound").unwrap(), smol, paragraph)
        };
        let run = execute(engines, &request, None, &CancellationToken::new()).await;
        assert_eq!(run.outcome.error(), None);
        let logprobs: Vec<String> = run.tokens.iter().map(|t| format!("{:e}", t.logprob)).collect();
        out.push((
            format!("{} {logprobs:?}", run.raw_reply),
            run.prompt_tokens.unwrap(),
            run.cached_tokens.unwrap(),
        ));
    }
    out
}

/// Whether `cached` is what the cache gives of a prompt it holds whole: all but its end, whose
/// last batch is read again (64 to 72 tokens; why: `llm/embedded/prefix.rs`).
fn all_but_the_end(cached: u64, prompt: u64) -> bool {
    (prompt - 72..=prompt - 64).contains(&cached)
}

/// Few-shot prompts share their instruction and worked examples: with the cache, each reads
/// only what follows the shared prefix, and the replies are bit for bit those read whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_prefix_is_read_once_and_replies_are_unchanged() {
    let gguf = common::test_gguf();
    let order = [PARAGRAPHS[0], PARAGRAPHS[0], PARAGRAPHS[1], PARAGRAPHS[2]];
    let whole = one_by_one(&Engines::new(), &few_shot(&gguf, false), &order).await;
    let cached = one_by_one(&Engines::new(), &few_shot(&gguf, true), &order).await;
    assert!(whole.iter().all(|(_, _, c)| *c == 0), "{whole:?}");
    for (a, b) in whole.iter().zip(&cached) {
        assert_eq!((&a.0, a.1), (&b.0, b.1), "same reply, same prompt tokens");
    }
    let prompt = |i: usize| cached[i].1;
    assert_eq!(cached[0].2, 0, "nothing cached on a fresh engine");
    assert!(
        all_but_the_end(cached[1].2, prompt(1)),
        "the same prompt again reads only its end: {:?}",
        cached[1]
    );
    for i in [2, 3] {
        assert!(
            cached[i].2 > prompt(i) * 3 / 4 && cached[i].2 < prompt(i) - 5,
            "the shared few-shot prefix comes from the cache: {:?}",
            cached[i]
        );
    }
}

/// A cancelled run leaves only what it decoded; the next run trusts no more than that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_after_a_cancelled_run_is_unchanged() {
    let gguf = common::test_gguf();
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let pool = shipped_pool("compound");
    let mut long = few_shot(&gguf, true);
    long.max_tokens = 200;
    let engines = Engines::new();
    let cancel = CancellationToken::new();
    let request = RunRequest {
        pool: &pool,
        stream: true,
        ..RunRequest::new(task, &long, PARAGRAPHS[1])
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancelling = async {
        let mut seen = 0;
        while rx.recv().await.is_some() {
            seen += 1;
            if seen == 3 {
                cancel.cancel();
                break;
            }
        }
    };
    let (run, ()) = tokio::join!(execute(&engines, &request, Some(&tx), &cancel), cancelling);
    drop(tx);
    assert!(run.outcome.is_cancelled(), "{:?}", run.finish_reason);
    let after = one_by_one(&engines, &few_shot(&gguf, true), &PARAGRAPHS[1..2]).await;
    let whole = one_by_one(&Engines::new(), &few_shot(&gguf, false), &PARAGRAPHS[1..2]).await;
    assert_eq!(after[0].0, whole[0].0);
    assert!(
        all_but_the_end(after[0].2, after[0].1),
        "the cancelled run's prompt was kept: {after:?}"
    );
}

/// Two slots running together: the second copies the first's prefix instead of reading it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_slots_share_a_prefix() {
    let gguf = common::test_gguf();
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let pool = shipped_pool("compound");
    let smol = few_shot(&gguf, true);
    let engines = Engines::new();
    let runs = futures_util::future::join_all(PARAGRAPHS[1..].iter().map(|paragraph| {
        let request = RunRequest {
            pool: &pool,
            parallel: 2,
            ..RunRequest::new(task, &smol, paragraph)
        };
        let engines = &engines;
        async move { execute(engines, &request, None, &CancellationToken::new()).await }
    }))
    .await;
    let whole = one_by_one(&Engines::new(), &few_shot(&gguf, false), &PARAGRAPHS[1..]).await;
    let cached: Vec<u64> = runs.iter().map(|r| r.cached_tokens.unwrap()).collect();
    assert!(cached.contains(&0), "one read everything: {cached:?}");
    assert!(
        cached.iter().any(|c| *c > runs[0].prompt_tokens.unwrap() * 3 / 4),
        "the other copied the shared prefix: {cached:?}"
    );
    for (run, (reply, _, _)) in runs.iter().zip(&whole) {
        assert_eq!(run.outcome.error(), None);
        assert!(reply.starts_with(&format!("{} [", run.raw_reply)), "{reply}");
        assert_eq!(run.request["slots"], 2);
    }
}

/// The same prompt on another model (another file) or in another template reuses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_model_or_template_reuses_nothing() {
    let gguf = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.gguf");
    if std::fs::hard_link(&gguf, &other).is_err() {
        std::fs::copy(&gguf, &other).unwrap();
    }
    let engines = Engines::new();
    let first = one_by_one(&engines, &few_shot(&gguf, true), &PARAGRAPHS[..1]).await;
    let again = one_by_one(&engines, &few_shot(&other, true), &PARAGRAPHS[..1]).await;
    assert_eq!(first[0].2, 0);
    assert_eq!(again[0].2, 0, "another model file starts from nothing");
    let mut tuned = few_shot(&gguf, true);
    tuned.mode = retort::llm::profile::Mode::FineTuned;
    let other_prompt = one_by_one(&engines, &tuned, &PARAGRAPHS[..1]).await;
    if let retort::llm::profile::Engine::Embedded(local) = &mut tuned.engine {
        local.prompt_cache = false;
    }
    let whole = one_by_one(&Engines::new(), &tuned, &PARAGRAPHS[..1]).await;
    assert_eq!(other_prompt[0].0, whole[0].0, "another prompt's reply is its own");
    assert!(
        other_prompt[0].2 < first[0].1 / 2,
        "only the tokens both prompts start with come from the cache: {other_prompt:?}"
    );
}

/// Strict grounding on the real model: every verbatim value is a copy of its paragraph, in a
/// delimited task and a JSON one (with its schema's grammar too); with grounding off the same
/// model writes values that are not in the paragraph.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_grounding_copies_where_off_invents() {
    use retort::llm::grounding::{Grounding, GroundingUsed};
    let gguf = common::test_gguf();
    let registry = Registry::builtin();
    let engines = Engines::new();
    let cancel = CancellationToken::new();
    let pool = shipped_pool("compound");
    let compound = registry.get("compound").unwrap();
    let strict = profile(&gguf, "few-shot", 48);
    let off = ModelProfile {
        grounding: Grounding::Off,
        ..strict.clone()
    };
    let (mut copied, mut invented) = (0, 0);
    for paragraph in PARAGRAPHS {
        for smol in [&strict, &off] {
            let request = RunRequest {
                pool: &pool,
                ..RunRequest::new(compound, smol, paragraph)
            };
            let run = execute(&engines, &request, None, &cancel).await;
            assert_eq!(run.outcome.error(), None);
            let values: Vec<String> = run
                .extraction
                .iter()
                .flat_map(|e| e.values())
                .map(|(_, v)| v.text.clone())
                .collect();
            if smol.grounding == Grounding::Strict {
                assert_eq!(run.grounding, GroundingUsed::Constrained);
                for value in &values {
                    assert!(
                        paragraph.contains(value.as_str()),
                        "{value:?} is not in {paragraph:?} ({:?})",
                        run.raw_reply
                    );
                }
                copied += values.iter().filter(|v| !v.trim().is_empty()).count();
            } else {
                assert_eq!(run.grounding, GroundingUsed::Checked);
                invented += values.iter().filter(|v| !paragraph.contains(v.as_str())).count();
            }
        }
    }
    assert!(copied > 0, "strict grounding still finds compounds");
    assert!(
        invented > 0,
        "with grounding off this model writes values that are not in the paragraph"
    );

    let materials = registry.get("general-materials").unwrap();
    let abstract_ =
        "Thin films of zinc oxide (ZnO) doped with aluminium were grown by sputtering for transparent electrodes.";
    let json = profile(&gguf, "zero-shot", 96);
    let run = execute(&engines, &RunRequest::new(materials, &json, abstract_), None, &cancel).await;
    assert_eq!(run.grounding, GroundingUsed::Constrained);
    if run.finish_reason == Some(retort::llm::finish::FinishReason::Stop) {
        assert!(run.parse_error.is_none(), "{:?}: {:?}", run.raw_reply, run.parse_error);
    }
    for (field, value) in run.extraction.iter().flat_map(|e| e.values()) {
        assert!(
            abstract_.contains(value.text.as_str()),
            "{field}: {:?} in {:?}",
            value.text,
            run.raw_reply
        );
    }
    // This small model runs on to the token limit, so the answer as a whole does not parse: its
    // first record, whole, is read on its own, and every string value in it is a copy.
    let first = &run.raw_reply[..=run.raw_reply.find('}').expect("a whole first record")];
    let record: serde_json::Value = serde_json::from_str(&format!("{first}]")).expect("the first record is JSON");
    let mut values = Vec::new();
    let mut pending = vec![&record];
    while let Some(node) = pending.pop() {
        match node {
            serde_json::Value::String(text) => values.push(text.clone()),
            serde_json::Value::Array(items) => pending.extend(items),
            serde_json::Value::Object(map) => pending.extend(map.values()),
            _ => {}
        }
    }
    assert!(!values.is_empty(), "{:?}", run.raw_reply);
    for value in &values {
        assert!(abstract_.contains(value.as_str()), "{value:?} in {:?}", run.raw_reply);
    }
}
