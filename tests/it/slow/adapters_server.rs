//! A LoRA adapter on a REAL llama.cpp server: a PEFT directory made here is converted in Rust,
//! the server is started with it (`--lora FILE --lora-init-without-apply`), and profiles select
//! it per request through the `lora` field with the ids from `/lora-adapters`: at scale 1 the
//! reply differs from the base, at scale 0 it is the base's (the reply of a server without the
//! adapter); an adapter the server lacks is named with what it has.

use crate::common;
use crate::common::peft;

use retort::llm::adapter::convert::convert;
use retort::llm::profile::parse;
use retort::llm::{Engines, ModelProfile, Run, RunRequest, execute};
use retort::task::Registry;
use tokio_util::sync::CancellationToken;

const PORT: u16 = 18393;
const PLAIN_PORT: u16 = 18394;
const PARAGRAPH: &str = "A solution of 2,6-diethyl-4-methylaniline in THF was treated with acetic anhydride.";

fn profile(url: &str, lora: &str) -> ModelProfile {
    let text = format!(
        "[[model]]\nname = \"on-server\"\nengine = \"openai\"\nbase_url = \"{url}\"\nmodel = \"smollm2\"\nmode = \"zero-shot\"\nmax_tokens = 24\n{lora}"
    );
    parse(&text).unwrap().remove(0)
}

fn run(runtime: &tokio::runtime::Runtime, engines: &Engines, profile: &ModelProfile) -> Run {
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    runtime.block_on(execute(
        engines,
        &RunRequest::new(task, profile, PARAGRAPH),
        None,
        &CancellationToken::new(),
    ))
}

fn logprobs(run: &Run) -> Vec<f64> {
    run.tokens.iter().map(|t| t.logprob).collect()
}

#[test]
fn a_profile_selects_the_servers_adapter_per_request() {
    let base = common::test_gguf();
    let dir = tempfile::tempdir().unwrap();
    let peft_dir = dir.path().join("chem-lora");
    peft::write(&peft_dir, &base, &peft::Spec::default());
    let adapter = dir.path().join("chem.gguf");
    convert(&peft_dir, &base, &adapter).unwrap();
    let server =
        common::LlamaServer::start_own(PORT, &format!("--lora {} --lora-init-without-apply", adapter.display()));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let engines = Engines::new();

    // llama-server applies the adapters it was started with to requests that name none, even
    // with --lora-init-without-apply: the base's output comes from a server without adapters.
    let plain_server = common::LlamaServer::get(PLAIN_PORT);
    let plain = run(&runtime, &engines, &profile(&plain_server.url, ""));
    assert_eq!(plain.outcome.error(), None);
    let adapted = run(
        &runtime,
        &engines,
        &profile(&server.url, "lora = [{ path = \"chem.gguf\", scale = 1.0 }]\n"),
    );
    assert_eq!(adapted.outcome.error(), None);
    assert_eq!(adapted.request["lora"], serde_json::json!([{"id": 0, "scale": 1.0}]));
    assert_ne!(logprobs(&adapted), logprobs(&plain), "the adapter changes the reply");
    assert_eq!(adapted.adapters, vec!["chem.gguf ×1".to_string()]);

    let zero = run(
        &runtime,
        &engines,
        &profile(&server.url, "lora = [{ id = 0, scale = 0.0 }]\n"),
    );
    assert_eq!(zero.outcome.error(), None);
    assert_eq!(zero.raw_reply, plain.raw_reply, "scale 0 is the base model's output");
    assert_eq!(logprobs(&zero), logprobs(&plain));

    // `retort models` lists the server's adapters.
    let dir_config = tempfile::tempdir().unwrap();
    common::write_models(
        dir_config.path(),
        &format!(
            "[[model]]\nname = \"lab\"\nengine = \"openai\"\nbase_url = \"{}\"\n",
            server.url
        ),
    );
    let listed = common::retort_in(dir_config.path()).arg("models").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("LoRA adapters: 0 chem.gguf"), "{listed}");

    let missing = run(
        &runtime,
        &engines,
        &profile(&server.url, "lora = [{ path = \"chem-500.gguf\" }]\n"),
    );
    let error = missing.outcome.error().unwrap().to_string();
    assert!(
        error.contains("chem-500.gguf") && error.contains("chem.gguf"),
        "{error}"
    );
}
