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
    let llvm = tempfile::tempdir().unwrap();
    std::fs::write(llvm.path().join("libclang.so.18"), b"").unwrap();
    let with_libclang_at = |dir: &Path| {
        Command::new(root().join("build-support/rustc-wrapper.sh"))
            .args(["true", "--crate-name", "clang_sys"])
            .env("LIBCLANG_PATH", dir)
            .env("CMAKE", "/opt/cmake/bin/cmake")
            .output()
            .unwrap()
    };
    let output = with_libclang_at(llvm.path());
    assert!(output.status.success(), "{}", text(&output));
    // A LIBCLANG_PATH with no libclang in it (a cache since deleted) is not taken on trust.
    let output = with_libclang_at(&llvm.path().join("gone"));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("libclang not found"), "{}", text(&output));
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

/// `decide_features` as `./run.sh` calls it, with PATH holding `extra` fake tools beside the
/// system's, the cache in `cache`; prints the features and the CUDA settings it exported.
fn decide(extra: &Path, cache: &Path, cuda: Option<&str>) -> Output {
    let script = format!(
        ". {}/scripts/setup/build-tools.sh; decide_features; echo \"features=${{features[*]}}\"; echo \"compiler=${{CMAKE_CUDA_COMPILER:-}}\"; echo \"archs=${{CMAKE_CUDA_ARCHITECTURES:-}}\"",
        root().display()
    );
    let mut command = Command::new("bash");
    command
        .args(["-c", &script])
        .env("PATH", format!("{}:/usr/bin:/bin", extra.display()))
        .env("RETORT_CACHE_DIR", cache)
        .env_remove("RETORT_CUDA_ARCHS")
        .env_remove("RETORT_CUDA_TOOLKIT");
    match cuda {
        Some(value) => command.env("RETORT_CUDA", value),
        None => command.env_remove("RETORT_CUDA"),
    };
    command.output().unwrap()
}

fn fake_tool(dir: &Path, name: &str, output: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&path, format!("#!/bin/sh\necho '{output}'\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn a_gpu_box_builds_the_cuda_backend_with_its_nvcc_or_the_toolkit_from_pypi() {
    let cache = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    // No GPU: the CPU build, and nothing is fetched.
    let out = decide(tools.path(), cache.path(), None);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("features=\n"),
        "{}",
        text(&out)
    );
    assert!(!cache.path().join("cuda").exists());

    // A GPU and the system's nvcc: that nvcc, for the four architectures.
    fake_tool(tools.path(), "nvidia-smi", "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-1)");
    let nvcc = fake_tool(tools.path(), "nvcc", "Build cuda_12.4.r12.4/compiler.34097967_0");
    let out = decide(tools.path(), cache.path(), None);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("features=--features cuda"), "{}", text(&out));
    assert!(stdout.contains(&format!("compiler={}", nvcc.display())), "{stdout}");
    assert!(stdout.contains("archs=80;86;89;90"), "{stdout}");
    assert!(text(&out).contains("NVIDIA A100"), "{}", text(&out));

    // A GPU without nvcc: the toolkit from the wheels' cache (installed once; here already).
    std::fs::remove_file(&nvcc).unwrap();
    let root = cache.path().join("cuda/nvidia/cu13");
    let wheel_nvcc = fake_tool(&root.join("bin"), "nvcc", "Build cuda_13.5.r13.5/compiler.0_0");
    std::fs::create_dir_all(root.join("lib")).unwrap();
    std::fs::write(cache.path().join("cuda/.complete"), "").unwrap();
    let versions = Command::new("bash")
        .args([
            "-c",
            &format!(
                ". {}/scripts/setup/cuda.sh; echo \"${{cuda_versions[*]}}\"",
                env!("CARGO_MANIFEST_DIR")
            ),
        ])
        .output()
        .unwrap();
    std::fs::write(cache.path().join("cuda/.versions"), &versions.stdout).unwrap();
    let out = decide(tools.path(), cache.path(), None);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains(&format!("compiler={}", wheel_nvcc.display())),
        "{}",
        text(&out)
    );
    assert!(
        root.join("lib/libcudart.so").symlink_metadata().is_ok(),
        "the toolkit's links"
    );
    assert!(root.join("lib64").symlink_metadata().is_ok());

    // RETORT_CUDA=0: the CPU build even here.
    let out = decide(tools.path(), cache.path(), Some("0"));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("features=\n"),
        "{}",
        text(&out)
    );
}

/// What the set-up found is written where cargo reads it (`.cargo/build-tools.toml`, included
/// by `.cargo/config.toml`): valid TOML holding the paths exactly, quotes and backslashes too;
/// a path with a control character is refused rather than written.
#[test]
fn the_build_tools_found_are_written_for_plain_cargo() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("build-tools.toml");
    let write = |libclang: &str| {
        Command::new("bash")
            .arg("-c")
            .arg(format!(
                ". {}/scripts/setup/build-tools.sh && write_cargo_env",
                root().display()
            ))
            .env("RETORT_CARGO_ENV_FILE", &file)
            .env("LIBCLANG_PATH", libclang)
            .env("CMAKE", "/opt/cmake/bin/cmake")
            .env_remove("BINDGEN_EXTRA_CLANG_ARGS")
            .output()
            .unwrap()
    };
    let odd = r#"/home/a "b"\c/lib"#;
    let output = write(odd);
    assert!(output.status.success(), "{}", text(&output));
    let written: toml::Table = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    let env = written["env"].as_table().unwrap();
    assert_eq!(env["LIBCLANG_PATH"].as_str(), Some(odd));
    assert_eq!(env["CMAKE"].as_str(), Some("/opt/cmake/bin/cmake"));
    assert!(!env.contains_key("BINDGEN_EXTRA_CLANG_ARGS"));
    let output = write("/a\nb");
    assert!(!output.status.success());
    assert!(text(&output).contains("control character"), "{}", text(&output));
    let still: toml::Table = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    assert_eq!(
        still["env"]["LIBCLANG_PATH"].as_str(),
        Some(odd),
        "the file before stays"
    );
    let config = std::fs::read_to_string(root().join(".cargo/config.toml")).unwrap();
    assert!(config.contains(r#"include = [{ path = "build-tools.toml", optional = true }]"#));
}
