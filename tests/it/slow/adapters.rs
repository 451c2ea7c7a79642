//! LoRA adapters in the embedded engine with the real SmolLM2-135M GGUF: PEFT directories made
//! here (random rank-4 matrices, F32 and BF16) are converted in Rust and applied by llama.cpp.
//! At scale 1 the output differs from the base; at scale 0 it is the base's, bit for bit; after
//! an adapter profile the base profile gets the base's output again; adapters for another shape,
//! missing or corrupt files are refused with their names; `retort models add --adapter` makes
//! the profile in one command.

#![cfg(feature = "embedded")]

use crate::common;
use crate::common::peft;

use retort::llm::adapter::{convert::convert, gguf};
use retort::llm::profile::parse;
use retort::llm::{Engines, ModelProfile, Run, RunRequest, execute};
use retort::task::Registry;
use std::path::Path;
use tokio_util::sync::CancellationToken;

const PARAGRAPH: &str = "A solution of 2,6-diethyl-4-methylaniline in THF was treated with acetic anhydride.";

fn profile(gguf: &Path, lora: Option<(&Path, f32)>) -> ModelProfile {
    let lora = lora.map_or(String::new(), |(path, scale)| {
        format!("lora = [{{ path = \"{}\", scale = {scale:?} }}]\n", path.display())
    });
    let text = format!(
        "[[model]]\nname = \"smol\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"zero-shot\"\nthreads = 1\ncontext = 2048\nmax_tokens = 32\n{lora}",
        gguf.display()
    );
    parse(&text).unwrap().remove(0)
}

fn run(engines: &Engines, profile: &ModelProfile) -> Run {
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let run = runtime.block_on(execute(
        engines,
        &RunRequest::new(task, profile, PARAGRAPH),
        None,
        &CancellationToken::new(),
    ));
    assert_eq!(run.outcome.error(), None, "{}", run.raw_reply);
    run
}

fn logprobs(run: &Run) -> Vec<f64> {
    run.tokens.iter().map(|t| t.logprob).collect()
}

#[test]
fn a_converted_peft_adapter_changes_the_output_and_scale_zero_is_the_base() {
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let peft_dir = dir.path().join("chem-lora");
    peft::write(&peft_dir, &base, &peft::Spec::default());
    let adapter = dir.path().join("chem.gguf");
    let converted = convert(&peft_dir, &base, &adapter).unwrap();
    assert_eq!(
        (converted.architecture.as_str(), converted.modules, converted.rank),
        ("llama", 8, 4)
    );
    let header = gguf::read_header(&adapter).unwrap();
    assert_eq!(header.kind, "adapter");
    assert_eq!(header.tensors["blk.0.attn_q.weight.lora_a"], vec![576, 4]);
    assert_eq!(header.tensors["blk.3.attn_v.weight.lora_b"], vec![4, 192]);

    let engines = Engines::new();
    let plain = run(&engines, &profile(&base, None));
    let adapted = run(&engines, &profile(&base, Some((&adapter, 1.0))));
    assert_ne!(logprobs(&adapted), logprobs(&plain), "the adapter changes the model");
    assert_ne!(adapted.raw_reply, plain.raw_reply, "{:?}", adapted.raw_reply);
    assert_eq!(adapted.adapters, vec!["chem.gguf ×1".to_string()]);
    assert_eq!(adapted.request["lora"][0]["scale"], 1.0);

    let zero = run(&engines, &profile(&base, Some((&adapter, 0.0))));
    assert_eq!(zero.raw_reply, plain.raw_reply);
    assert_eq!(
        logprobs(&zero),
        logprobs(&plain),
        "scale 0 is the base model, bit for bit"
    );

    let again = run(&engines, &profile(&base, None));
    assert_eq!(logprobs(&again), logprobs(&plain), "switching back removes the adapter");
    let adapted_again = run(&engines, &profile(&base, Some((&adapter, 1.0))));
    assert_eq!(
        logprobs(&adapted_again),
        logprobs(&adapted),
        "switching to it again gives the same"
    );

    // BF16 matrices, as trainers save them, convert and apply too.
    let bf16_dir = dir.path().join("bf16-lora");
    let spec = peft::Spec {
        dtype: safetensors::Dtype::BF16,
        seed: 11,
        ..peft::Spec::default()
    };
    peft::write(&bf16_dir, &base, &spec);
    let bf16 = dir.path().join("bf16.gguf");
    convert(&bf16_dir, &base, &bf16).unwrap();
    let other = run(&engines, &profile(&base, Some((&bf16, 1.0))));
    assert_ne!(logprobs(&other), logprobs(&plain));
    assert_ne!(logprobs(&other), logprobs(&adapted));
}

#[test]
fn adapters_that_do_not_fit_or_do_not_read_are_refused_with_their_names() {
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();

    // Made for a model with a hidden size of 512, not SmolLM2's 576.
    let other_shape = dir.path().join("other-shape");
    peft::write(
        &other_shape,
        &base,
        &peft::Spec {
            hidden: Some(512),
            ..peft::Spec::default()
        },
    );
    let error = convert(&other_shape, &base, &dir.path().join("x.gguf"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("other-shape")
            && error.contains(&base.display().to_string())
            && error.contains("blk.0.attn_q.weight"),
        "{error}"
    );
    assert!(!dir.path().join("x.gguf").exists(), "nothing is written");

    // The same mismatch as a GGUF adapter reaches the engine: refused before llama.cpp loads it.
    let wrong = dir.path().join("wrong.gguf");
    gguf::write_lora(
        &wrong,
        "llama",
        0.0,
        "wrong",
        vec![
            gguf::Tensor {
                name: "blk.0.attn_q.weight.lora_a".into(),
                dims: vec![512, 4],
                values: vec![0.01; 2048],
            },
            gguf::Tensor {
                name: "blk.0.attn_q.weight.lora_b".into(),
                dims: vec![4, 576],
                values: vec![0.01; 2304],
            },
        ],
    )
    .unwrap();
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let engines = Engines::new();
    let refused = profile(&base, Some((&wrong, 1.0)));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let failed = runtime.block_on(execute(
        &engines,
        &RunRequest::new(task, &refused, PARAGRAPH),
        None,
        &CancellationToken::new(),
    ));
    let error = failed.outcome.error().unwrap().to_string();
    assert!(
        error.contains("wrong.gguf") && error.contains("SmolLM2") && error.contains("blk.0.attn_q.weight is 576×576"),
        "{error}"
    );
    // The engine is still there for the next run.
    run(&engines, &profile(&base, None));

    // A missing and a corrupt safetensors file, a DoRA adapter.
    let good = dir.path().join("good");
    peft::write(&good, &base, &peft::Spec::default());
    let weights = good.join("adapter_model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let error = convert(&good, &base, &dir.path().join("y.gguf"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("adapter_model.safetensors") && error.contains("copy it again"),
        "{error}"
    );
    std::fs::remove_file(&weights).unwrap();
    let error = convert(&good, &base, &dir.path().join("y.gguf"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("adapter_model.safetensors") && error.contains("cannot read"),
        "{error}"
    );
    let config = good.join("adapter_config.json");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"use_dora\": false", "\"use_dora\": true");
    std::fs::write(&config, text).unwrap();
    let error = convert(&good, &base, &dir.path().join("y.gguf"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("DoRA") && error.contains("adapter_config.json"),
        "{error}"
    );
}

#[test]
fn models_add_makes_an_adapter_profile_in_one_command() {
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        &format!(
            "[[model]]\nname = \"smol\"\nengine = \"embedded\"\npath = \"{}\"\nthreads = 1\ncontext = 2048\nmax_tokens = 24\n",
            base.display()
        ),
    );
    let peft_dir = dir.path().join("trainer-output");
    peft::write(&peft_dir, &base, &peft::Spec::default());
    let out = common::retort_in(dir.path())
        .args(["models", "add", "chem-10", "--base", "smol", "--adapter"])
        .arg(&peft_dir)
        .args(["--task", "compound"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let converted = dir.path().join("data/models/adapters/chem-10.gguf");
    assert!(converted.exists());
    let models = std::fs::read_to_string(dir.path().join("config/models.toml")).unwrap();
    assert!(
        models.contains("chem-10.gguf") && models.contains("fine-tuned"),
        "{models}"
    );

    let listed = common::retort_in(dir.path()).arg("models").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("+ LoRA chem-10.gguf ×1: ready"), "{listed}");

    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, format!("{{\"id\":\"p1\",\"text\":\"{PARAGRAPH}\"}}\n")).unwrap();
    let output = dir.path().join("out.jsonl");
    let out = common::retort_in(dir.path())
        .args(["extract", "--task", "compound", "--model", "chem-10", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    common::assert_extracted(&out);
    let line = &common::read_jsonl(&output)[0];
    assert!(line["error"].is_null(), "{line}");
    assert_eq!(line["adapters"][0], "chem-10.gguf ×1");

    // The same name again is refused before anything is converted.
    let again = common::retort_in(dir.path())
        .args(["models", "add", "chem-10", "--base", "smol", "--adapter"])
        .arg(&peft_dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already in models.toml"));
}

/// Runs of a base profile and an adapter profile submitted together (two slots each) never
/// read under the other's adapter: each run's first token has the log-probability its profile
/// gives alone, not the other's. (Not bit for bit: a prompt whose prefix was copied from a busy
/// slot sits in other KV cells, and attention sums them in another order; the adapter moves it
/// far more.)
#[test]
fn interleaved_adapter_and_base_runs_each_get_their_own_model() {
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let peft_dir = dir.path().join("chem-lora");
    peft::write(&peft_dir, &base, &peft::Spec::default());
    let adapter = dir.path().join("chem.gguf");
    convert(&peft_dir, &base, &adapter).unwrap();
    let engines = Engines::new();
    let (plain_profile, adapted_profile) = (profile(&base, None), profile(&base, Some((&adapter, 1.0))));
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Alone, in a context of the same two slots.
    let alone = [&plain_profile, &adapted_profile].map(|profile| {
        let request = RunRequest {
            parallel: 2,
            ..RunRequest::new(task, profile, PARAGRAPH)
        };
        runtime.block_on(execute(&engines, &request, None, &CancellationToken::new()))
    });
    let together = runtime.block_on(async {
        let cancel = CancellationToken::new();
        let requests: Vec<RunRequest> = (0..6)
            .map(|i| RunRequest {
                parallel: 2,
                ..RunRequest::new(
                    task,
                    if i % 2 == 0 { &plain_profile } else { &adapted_profile },
                    PARAGRAPH,
                )
            })
            .collect();
        futures_util::future::join_all(requests.iter().map(|r| execute(&engines, r, None, &cancel))).await
    });
    let first = |run: &Run| run.tokens[0].logprob;
    for (i, run) in together.iter().enumerate() {
        assert_eq!(run.outcome.error(), None);
        let own = (first(run) - first(&alone[i % 2])).abs();
        let other = (first(run) - first(&alone[1 - i % 2])).abs();
        assert!(
            own * 4.0 < other,
            "run {i}: {own} from its own profile's, {other} from the other's"
        );
    }
}

/// Two adapters on one embedded profile apply as the sum of their updates (combined into one
/// adapter for llama.cpp): both together differ from each alone, and the second at scale 0
/// leaves the first's output.
#[test]
fn two_adapters_apply_as_the_sum_of_their_updates() {
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let adapters: Vec<std::path::PathBuf> = [7, 11]
        .iter()
        .map(|seed| {
            let peft_dir = dir.path().join(format!("peft-{seed}"));
            let spec = peft::Spec {
                seed: *seed,
                ..peft::Spec::default()
            };
            peft::write(&peft_dir, &base, &spec);
            let out = dir.path().join(format!("a{seed}.gguf"));
            convert(&peft_dir, &base, &out).unwrap();
            out
        })
        .collect();
    let with = |scales: &[f32]| {
        let entries: Vec<String> = adapters
            .iter()
            .zip(scales)
            .map(|(path, scale)| format!("{{ path = \"{}\", scale = {scale:?} }}", path.display()))
            .collect();
        let mut smol = profile(&base, None);
        smol.lora = parse(&format!(
            "[[model]]\nname = \"x\"\nengine = \"embedded\"\npath = \"m.gguf\"\nlora = [{}]\n",
            entries.join(", ")
        ))
        .unwrap()
        .remove(0)
        .lora;
        smol
    };
    let engines = Engines::new();
    let first = |run: &Run| run.tokens[0].logprob;
    let x = run(&engines, &with(&[1.0]));
    let y = run(&engines, &profile(&base, Some((&adapters[1], 1.0))));
    let both = run(&engines, &with(&[1.0, 1.0]));
    assert_eq!(both.adapters, vec!["a7.gguf ×1".to_string(), "a11.gguf ×1".to_string()]);
    // Each adapter moves the answer: the pair differs from either alone by far more than the
    // 1e-3 a zero scale is held to below (F16 adapters, as llama.cpp's converter writes them).
    assert!(
        (first(&both) - first(&x)).abs() > 0.02 && (first(&both) - first(&y)).abs() > 0.02,
        "both {}, x {}, y {}",
        first(&both),
        first(&x),
        first(&y)
    );
    let x_only = run(&engines, &with(&[1.0, 0.0]));
    assert!(
        (first(&x_only) - first(&x)).abs() < 1e-3,
        "{} against {}",
        first(&x_only),
        first(&x)
    );
}

/// The learning-curve flow with adapter profiles, as with any other: `retort extract` with the
/// base (prompt-only) and two adapter profiles over papers' paragraphs, then `retort curve`.
#[test]
fn curve_over_adapter_profiles() {
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let peft_dir = dir.path().join("chem-lora");
    peft::write(&peft_dir, &base, &peft::Spec::default());
    let adapter = dir.path().join("chem.gguf");
    convert(&peft_dir, &base, &adapter).unwrap();
    // The adapter's weights are random: under strict grounding the model, which can only copy,
    // may rightly write nothing (counted as failed). The curve's machinery is what is tested here.
    let smol = |name: &str, lora: &str| {
        format!(
            "[[model]]\nname = \"{name}\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"zero-shot\"\nthreads = 1\ncontext = 2048\nmax_tokens = 24\ngrounding = \"off\"\n{lora}\n",
            base.display()
        )
    };
    let models = [
        smol("prompt-only", ""),
        smol(
            "chem-10",
            &format!("lora = [{{ path = \"{}\", scale = 0.5 }}]", adapter.display()),
        ),
        smol("chem-100", &format!("lora = [{{ path = \"{}\" }}]", adapter.display())),
    ]
    .concat();
    common::write_models(dir.path(), &models);
    let papers = std::fs::read_to_string(common::data("chemsci2024/compound/test_1000.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(papers.as_bytes());
    let mut gold = csv::Writer::from_path(dir.path().join("gold.csv")).unwrap();
    gold.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records().take(3) {
        gold.write_record(&record.unwrap()).unwrap();
    }
    gold.flush().unwrap();
    let gold = dir.path().join("gold.csv");
    let mut points = Vec::new();
    for (name, point) in [
        ("prompt-only", "prompt-only"),
        ("chem-10", "chem@10"),
        ("chem-100", "chem@100"),
    ] {
        let output = dir.path().join(format!("{name}.jsonl"));
        let out = common::retort_in(dir.path())
            .args(["extract", "--task", "compound", "--model", name, "--input"])
            .arg(&gold)
            .arg("--output")
            .arg(&output)
            .output()
            .unwrap();
        common::assert_extracted(&out);
        assert_eq!(common::read_jsonl(&output).len(), 3);
        points.push(format!("{point}={}", output.display()));
    }
    let out = common::retort_in(dir.path())
        .args(["curve", "--task", "compound", "--format", "json", "--gold"])
        .arg(&gold)
        .arg("--out")
        .arg(dir.path().join("curve"))
        .args(&points)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("chem") && text.contains("prompt-only"), "{text}");
    assert!(dir.path().join("curve.svg").exists());
}
