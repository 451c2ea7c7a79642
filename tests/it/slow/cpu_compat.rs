//! One build runs on any x86-64 CPU: the same `retort` binary extracts with the real SmolLM2 GGUF
//! natively, under `qemu-x86_64 -cpu Haswell` (AVX2, no AVX-512 or VNNI) and under
//! `-cpu Nehalem` (SSE4.2, no AVX). qemu traps every instruction the emulated CPU lacks, so an
//! AVX-512 instruction compiled in unconditionally dies there with SIGILL. Needs Debian's
//! `qemu-user` (`.ci/run` installs it).

#![cfg(all(feature = "embedded", target_arch = "x86_64", target_os = "linux"))]

use crate::common;

use std::path::Path;
use std::process::Command;

/// Runs one embedded extraction (a one-word paragraph, the short fine-tuned prompt, two tokens,
/// one thread), through `qemu` with `cpu` when given, and returns the output line. Under
/// `-cpu Haswell` qemu is slow (about two minutes here, most of it loading the model), so the
/// run is kept as small as a real run can be.
fn extract_on(cpu: Option<&str>) -> serde_json::Value {
    let root = tempfile::tempdir().unwrap();
    let gguf = common::test_gguf();
    common::write_models(
        root.path(),
        &format!(
            "[[model]]\nname = \"tiny\"\nengine = \"embedded\"\npath = \"{}\"\nmode = \"fine-tuned\"\nthreads = 1\ncontext = 256\nmax_tokens = 2\n",
            gguf.display()
        ),
    );
    let input = root.path().join("paragraph.txt");
    std::fs::write(&input, "THF").unwrap();
    let output = root.path().join("out.jsonl");
    let template = common::retort_in(root.path());
    let mut command = match cpu {
        Some(cpu) => {
            let mut qemu = Command::new("qemu-x86_64");
            qemu.args(["-cpu", cpu]).arg(template.get_program());
            qemu.envs(template.get_envs().filter_map(|(k, v)| Some((k, v?))));
            qemu
        }
        None => template,
    };
    command.args(["extract", "--task", "compound", "--model", "tiny", "--concurrency", "1"]);
    command.arg("--input").arg(&input).arg("--output").arg(&output);
    let finished = command.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?} ({e}); install Debian's qemu-user",
            command.get_program()
        )
    });
    let stderr = String::from_utf8_lossy(&finished.stderr);
    eprintln!("on {cpu:?}: {:?}", finished.status);
    common::assert_extracted(&finished);
    let lines = common::read_jsonl(&output);
    assert_eq!(lines.len(), 1, "{stderr}");
    lines.into_iter().next().unwrap()
}

/// The line is a finished run: no error, a reply of at least one token, and the CPU backend
/// that ran it named in the request.
fn assert_finished(line: &serde_json::Value, variant: Option<&str>) -> String {
    assert!(line["error"].is_null(), "{line}");
    assert!(line["completion_tokens"].as_u64().is_some_and(|n| n >= 1), "{line}");
    let backend = line["backend"].as_str().unwrap_or_default().to_string();
    assert!(backend.starts_with("CPU backend "), "{line}");
    if let Some(variant) = variant {
        assert!(backend.starts_with(&format!("CPU backend {variant} ")), "{backend}");
    }
    backend
}

#[test]
fn natively_with_the_best_backend_this_cpu_runs() {
    let line = extract_on(None);
    let backend = assert_finished(&line, None);
    if std::is_x86_feature_detected!("avx2") {
        assert!(!backend.contains("backend x64 "), "{backend}");
    }
}

#[test]
fn under_qemu_haswell_without_avx512() {
    let line = extract_on(Some("Haswell"));
    assert_finished(&line, Some("haswell"));
}

#[test]
fn under_qemu_nehalem_without_avx() {
    let line = extract_on(Some("Nehalem"));
    assert_finished(&line, Some("x64"));
}

/// `retort models` run from `binary` with the directories under `root`.
fn models_from(binary: &Path, root: &Path, backends: Option<&Path>) -> (bool, String) {
    let mut command = Command::new(binary);
    command
        .env("RETORT_CONFIG_DIR", root.join("config"))
        .env("RETORT_DATA_DIR", root.join("data"))
        .env("RETORT_STATE_DIR", root.join("state"))
        .arg("models");
    if let Some(dir) = backends {
        command.env("RETORT_BACKENDS_DIR", dir);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_copied_install_finds_its_libraries_and_backends_in_lib_retort() {
    let root = tempfile::tempdir().unwrap();
    let (bin, lib) = (root.path().join("bin"), root.path().join("lib/retort"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_retort"), bin.join("retort")).unwrap();
    let built = Path::new(env!("CARGO_BIN_EXE_retort")).parent().unwrap();
    for entry in std::fs::read_dir(built).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".so.0") || name.starts_with("libggml-cpu-") {
            std::fs::copy(entry.path(), lib.join(&name)).unwrap();
        }
    }
    let (ok, stdout) = models_from(&bin.join("retort"), root.path(), None);
    assert!(ok, "{stdout}");
    assert!(stdout.contains("embedded engine: CPU backend "), "{stdout}");
    assert!(
        stdout.contains(&format!("from {}", bin.join("../lib/retort").display())),
        "{stdout}"
    );
}

#[test]
fn without_backends_the_error_names_where_it_looked() {
    let root = tempfile::tempdir().unwrap();
    let empty = root.path().join("no-backends");
    std::fs::create_dir_all(&empty).unwrap();
    let copy = root.path().join("bin");
    std::fs::create_dir_all(&copy).unwrap();
    let binary = copy.join("retort");
    std::fs::copy(env!("CARGO_BIN_EXE_retort"), &binary).unwrap();
    // The shared libraries go along (as a copied install would have them), the modules do not.
    let built = Path::new(env!("CARGO_BIN_EXE_retort")).parent().unwrap();
    for lib in [
        "libllama.so.0",
        "libllama-common.so.0",
        "libggml.so.0",
        "libggml-base.so.0",
    ] {
        std::fs::copy(built.join(lib), copy.join(lib)).unwrap();
    }
    let (ok, stdout) = models_from(&binary, root.path(), Some(&empty));
    assert!(ok, "{stdout}");
    assert!(
        stdout.contains("embedded engine: unavailable") && stdout.contains(&empty.display().to_string()),
        "{stdout}"
    );
    assert!(
        stdout.contains("local-llamacpp"),
        "HTTP profiles still listed: {stdout}"
    );
}
