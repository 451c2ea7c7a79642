//! Lays out the embedded engine's run-time files. With the `embedded` feature, llama.cpp is built
//! as shared libraries (libllama, libggml, libggml-base) plus one CPU backend module per x86-64
//! level (libggml-cpu-haswell.so, …). The binary finds the libraries through its RPATH
//! (`$ORIGIN`, then `$ORIGIN/../lib/retort`), and the backend modules in the same places at run
//! time (src/llm/embedded/backends.rs); the build's own directory is the last resort of both.
//! Here the modules are copied beside the binary in `target/<profile>/`, so that directory is
//! complete and can be copied elsewhere; under a temporary-directory `cargo install` everything
//! is also copied to `<install root>/lib/retort/`.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_INSTALL_ROOT");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if std::env::var_os("CARGO_FEATURE_EMBEDDED").is_none() || !linux {
        return;
    }
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    // DT_RPATH rather than DT_RUNPATH: it also applies to the libraries' own dependencies
    // (libllama needs libggml), which RUNPATH would not cover. The build's own directory comes
    // last: `cargo install --path .` builds in the checkout's target/ and copies only the binary.
    println!(
        "cargo:rustc-link-arg=-Wl,--disable-new-dtags,-rpath,$ORIGIN:$ORIGIN/../lib/retort:{}",
        profile_dir.display()
    );
    let Some(backends) = std::env::var_os("DEP_LLAMA_BACKENDS_DIR").map(PathBuf::from) else {
        println!("cargo:warning=llama-cpp-sys-2 did not report its backends directory");
        return;
    };
    let libraries = backends.with_file_name("lib");
    copy_shared_objects(&libraries, profile_dir);
    copy_shared_objects(&backends, profile_dir);
    // llama-cpp-sys-2 links `libllama.so` (a symlink to `libllama.so.0`) into the profile
    // directory, `deps/` and `examples/`; with the soname beside it the link resolves, and a later
    // run of its build script (which checks `exists()`, following the link) does not fail on it.
    copy_shared_objects(&libraries, &profile_dir.join("deps"));
    copy_shared_objects(&libraries, &profile_dir.join("examples"));
    if let Some(root) = install_root(&out_dir) {
        let lib_dir = root.join("lib").join("retort");
        copy_shared_objects(&libraries, &lib_dir);
        copy_shared_objects(&backends, &lib_dir);
        println!(
            "cargo:warning=the embedded engine's libraries are installed in {}",
            lib_dir.display()
        );
    }
}

/// `cargo install NAME` (from a registry or git) builds in a temporary `cargo-install…`
/// directory, deleted afterwards, and copies only the binary to `<root>/bin`; the root is
/// `CARGO_INSTALL_ROOT`, else `CARGO_HOME`, else `~/.cargo`. (`cargo install --path .` builds in
/// the checkout's target/, which stays, so the RPATH above finds the libraries there.)
fn install_root(out_dir: &Path) -> Option<PathBuf> {
    let installing = out_dir
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with("cargo-install"));
    if !installing {
        return None;
    }
    let from_env = |var: &str| std::env::var_os(var).map(PathBuf::from);
    from_env("CARGO_INSTALL_ROOT")
        .or_else(|| from_env("CARGO_HOME"))
        .or_else(|| from_env("HOME").map(|home| home.join(".cargo")))
}

/// Copies the shared objects of `from` into `to` (replacing older copies): the files the loader
/// asks for, i.e. the soname `libllama.so.0` of a versioned library (its target, not the
/// symlink) and unversioned modules such as `libggml-cpu-haswell.so`.
fn copy_shared_objects(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else { return };
    if let Err(e) = std::fs::create_dir_all(to) {
        println!("cargo:warning=cannot create {}: {e}", to.display());
        return;
    }
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_loaded_name(&name, from) || !entry.path().is_file() {
            continue;
        }
        let target = to.join(&name);
        let _ = std::fs::remove_file(&target);
        if let Err(e) = std::fs::copy(entry.path(), &target) {
            println!("cargo:warning=cannot copy {name} to {}: {e}", to.display());
        }
    }
}

/// `libX.so.N` (a soname), or `libX.so` when no versioned `libX.so.N` sits beside it.
fn is_loaded_name(name: &str, dir: &Path) -> bool {
    if !name.starts_with("lib") {
        return false;
    }
    match name.split_once(".so") {
        Some((_, "")) => !dir.join(format!("{name}.0")).exists(),
        Some((_, version)) => {
            let version = &version[1..];
            !version.is_empty() && version.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}
