//! The set-up scripts behind `./run.sh` and `./test.sh`: what a newcomer sees when a build tool
//! is missing or the package registry cannot be reached.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout)
}

/// The rustc wrapper with PATH a directory of only the tools the script runs (no cmake), and
/// CMAKE set when `cmake` is given.
fn wrapper(args: &[&str], cmake: Option<&Path>) -> Output {
    let mut command = Command::new(root().join("build-support/rustc-wrapper.sh"));
    command.args(args).env_remove("CMAKE").env_remove("LIBCLANG_PATH");
    // /usr/bin may hold a cmake on a developer's machine: PATH is a directory holding only what
    // the script itself runs.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["bash", "env", "dirname", "cat", "sed", "true", "uname"] {
        if let Some(found) = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
        {
            std::os::unix::fs::symlink(found, bin.path().join(tool)).unwrap();
        }
    }
    command.env("PATH", bin.path());
    if let Some(cmake) = cmake {
        command.env("CMAKE", cmake);
    }
    let output = command.output().unwrap();
    drop(bin);
    output
}

#[test]
fn a_plain_cargo_build_without_cmake_stops_at_clang_sys_naming_run_sh() {
    let output = wrapper(&["true", "--crate-name", "clang_sys", "src/lib.rs"], None);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains("cmake"), "{message}");
    assert!(message.contains("not found"), "{message}");
    assert!(message.contains("./run.sh"), "{message}");
    assert!(message.contains("--no-default-features"), "{message}");
}

#[test]
fn the_wrapper_runs_rustc_as_given_otherwise() {
    // Any other crate: not checked, the command runs.
    let output = wrapper(&["true", "--crate-name", "serde", "src/lib.rs"], None);
    assert!(output.status.success(), "{}", text(&output));
    // clang-sys with the tools given by their variables: runs.
    let output = wrapper(
        &["true", "--crate-name", "clang_sys", "src/lib.rs"],
        Some(Path::new("/opt/cmake/bin/cmake")),
    );
    // Whether it runs depends on this machine's libclang; if it stops, cmake is not blamed.
    if !output.status.success() {
        let message = text(&output);
        assert!(message.contains("libclang not found"), "{message}");
        assert!(!message.contains("cmake not found"), "{message}");
    }
    // Both given by their variables: runs.
    let output = Command::new(root().join("build-support/rustc-wrapper.sh"))
        .args(["true", "--crate-name", "clang_sys"])
        .env("LIBCLANG_PATH", "/opt/llvm/lib")
        .env("CMAKE", "/opt/cmake/bin/cmake")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn a_package_that_cannot_be_fetched_is_named_with_what_to_install_and_nothing_half_done_stays() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("tools");
    let script = format!(
        ". {}/scripts/setup/common.sh; pip_into {} 'cmake (apt-get install cmake)' cmake==4.4.5",
        root().display(),
        dir.display()
    );
    // A package index nobody answers on: pip fails as it does without network.
    let output = Command::new("bash")
        .args(["-c", &script])
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .env("PIP_RETRIES", "0")
        .env("PIP_TIMEOUT", "2")
        .env("PIP_NO_CACHE_DIR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let message = text(&output);
    assert!(
        message.contains("could not install cmake==4.4.5 from PyPI"),
        "{message}"
    );
    assert!(
        message.contains("install by hand: cmake (apt-get install cmake)"),
        "{message}"
    );
    assert!(!dir.exists(), "a failed install must not look finished");
    assert!(!dir.join(".complete").exists());
}
