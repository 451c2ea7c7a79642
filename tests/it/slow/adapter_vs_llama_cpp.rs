//! Retort's PEFT → GGUF conversion against llama.cpp's own `convert_lora_to_gguf.py` (from the
//! llama.cpp source `../shared/scripts/llama-server.sh` builds), on the same adapters, tensor by
//! tensor. The adapters are made by PEFT in Retort's trainer environment for the test model's
//! architecture (`peft_adapters.py`): the local backend's recipe, rsLoRA, and per-module
//! `rank_pattern` / `alpha_pattern` on a subset of modules.
//!
//! What must agree: the tensor names and shapes (target module names, the A/B layout), A itself,
//! and B times the factor PEFT applies (Retort folds that factor into B and writes alpha 0;
//! llama.cpp's converter writes B as trained and one alpha, which llama.cpp divides by the
//! rank at run time). For the plain recipe, llama.cpp's own run-time factor must give the same B
//! too. It does not for rsLoRA and `alpha_pattern`, which its converter drops: that is why the
//! factor is folded, and the test says so if llama.cpp starts to honour them.

#![cfg(feature = "embedded")]

use crate::common;

use retort::llm::adapter::convert::convert;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// F16 keeps 11 bits: a relative error of 2^-11 per value, taken against the tensor's largest.
const F16_SLACK: f64 = 2e-3;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/slow/peft_adapters.py")
}

/// The llama.cpp source tree beside the server `llama-server.sh` builds (or reuses).
fn llama_cpp_source() -> PathBuf {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/scripts/llama-server.sh");
    let output = Command::new(script)
        .arg("build")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("llama-server.sh");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let server = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    // <source>/build/bin/llama-server
    server.ancestors().nth(3).unwrap().to_path_buf()
}

fn python(python: &Path, args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(python)
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("the trainer's python");
    assert!(
        output.status.success(),
        "{} {args:?}: {}",
        python.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Both conversions of `variant`, compared by `peft_adapters.py compare`.
fn compare(env: &Path, llama: &Path, dir: &Path, variant: &str) -> Value {
    let base = common::test_gguf();
    let ours = dir.join(format!("{variant}-retort.gguf"));
    convert(&dir.join(variant), &base, &ours).unwrap();
    let theirs = dir.join(format!("{variant}-llama-cpp.gguf"));
    python(
        env,
        &[
            llama.join("convert_lora_to_gguf.py").as_os_str(),
            "--base".as_ref(),
            dir.join("base").as_os_str(),
            "--outtype".as_ref(),
            "f32".as_ref(),
            "--outfile".as_ref(),
            theirs.as_os_str(),
            dir.join(variant).as_os_str(),
        ],
    );
    let report = python(
        env,
        &[
            script().as_os_str(),
            "compare".as_ref(),
            dir.join(variant).as_os_str(),
            ours.as_os_str(),
            theirs.as_os_str(),
        ],
    );
    serde_json::from_str(&report).unwrap()
}

fn largest(report: &Value, key: &str) -> f64 {
    report["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t[key].as_f64())
        .fold(0.0, f64::max)
}

/// Same names, same shapes, A equal, B equal once PEFT's factor is applied to llama.cpp's.
fn assert_same_adapter(variant: &str, report: &Value, modules: usize) {
    let tensors = report["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 2 * modules, "{variant}: {} tensors", tensors.len());
    for t in tensors {
        assert!(t["ours"].is_array() && t["ours"] == t["theirs"], "{variant}: {t}");
    }
    assert_eq!(
        report["ours_alpha"].as_f64(),
        Some(0.0),
        "{variant}: Retort folds the factor into B"
    );
    assert!(
        largest(report, "a") < 1e-4,
        "{variant}: A differs by {}",
        largest(report, "a")
    );
    let b = largest(report, "b_peft");
    assert!(b < F16_SLACK, "{variant}: B differs from PEFT's scaled B by {b}");
}

#[test]
fn conversions_match_llama_cpps_converter_tensor_by_tensor() {
    let env = retort::train::python_env::ensure(&|step| eprintln!("{step}"))
        .expect("the trainer's environment")
        .python;
    let llama = llama_cpp_source();
    let dir = tempfile::tempdir().unwrap();
    python(
        &env,
        &[
            script().as_os_str(),
            "make".as_ref(),
            common::test_gguf().as_os_str(),
            dir.path().as_os_str(),
        ],
    );
    // The test model has 30 layers: 7 modules each, then 4 of them in `patterns`.
    let plain = compare(&env, &llama, dir.path(), "plain");
    assert_same_adapter("plain", &plain, 30 * 7);
    assert_eq!(plain["theirs_alpha"].as_f64(), Some(16.0));
    let runtime = largest(&plain, "b_llama_cpp_runtime");
    assert!(
        runtime < F16_SLACK,
        "llama.cpp's alpha / rank gives another B: {runtime}"
    );

    for variant in ["rslora", "patterns"] {
        let modules = if variant == "rslora" { 30 * 7 } else { 30 * 4 };
        let report = compare(&env, &llama, dir.path(), variant);
        assert_same_adapter(variant, &report, modules);
        let runtime = largest(&report, "b_llama_cpp_runtime");
        assert!(
            runtime > 0.1,
            "{variant}: llama.cpp's converter now applies PEFT's factor ({runtime}); Retort could write alpha as it does"
        );
    }
}
