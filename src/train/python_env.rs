//! The Python environment Retort's own trainer (`sft.py`: TRL with PEFT on PyTorch) runs in,
//! made by Retort so that the user never prepares Python: on first use a virtual environment in
//! Retort's cache (`<cache>/train-env/<digest of the lock>`), installed with uv from PyPI exactly
//! as `env/requirements.lock` pins it (every version and hash), then reused. A half-made one (a
//! killed install) is made again. `RETORT_TRAIN_PYTHON` names an existing environment's python
//! instead; `RETORT_UV` a uv to use.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned requirements (`uv pip compile --universal --generate-hashes` of requirements.in).
pub const LOCK: &str = include_str!("env/requirements.lock");
/// The uv that installs them, when the machine has none.
const UV_VERSION: &str = "0.13.9";
/// What the trainer imports: checked in an environment given by hand.
const IMPORTS: &str = "import torch, transformers, trl, peft, datasets, gguf";
const COMPLETE: &str = ".complete";

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error(
        "no Python 3.11 or newer to make the trainer's environment with ({detail}); install python3 (3.11+) as your user (e.g. pyenv), or set RETORT_TRAIN_PYTHON to a python that has torch, transformers, trl, peft, datasets and gguf"
    )]
    NoPython { detail: String },
    #[error(
        "{step} failed (exit status {status}); the end of its output:\n{tail}\nIf PyPI cannot be reached from here, make the environment elsewhere from {lock} (uv pip sync) and set RETORT_TRAIN_PYTHON to its python"
    )]
    Step {
        step: String,
        status: String,
        tail: String,
        lock: String,
    },
    #[error("RETORT_TRAIN_PYTHON={python} cannot import what the trainer needs: {tail}")]
    Given { python: String, tail: String },
    #[error("{doing} {path}: {source}")]
    Io {
        doing: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("no cache directory (set RETORT_CACHE_DIR or HOME)")]
    NoCache,
}

/// A ready environment: the python to run `sft.py` with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonEnv {
    pub python: PathBuf,
}

/// The environment, made first if need be; `say` hears each step (uv's own progress goes to
/// standard error as it comes).
pub fn ensure(say: &dyn Fn(&str)) -> Result<PythonEnv, EnvError> {
    if let Some(python) = std::env::var_os("RETORT_TRAIN_PYTHON") {
        return given(PathBuf::from(python));
    }
    let cache = crate::config::cache_dir().ok_or(EnvError::NoCache)?;
    let dir = env_dir(&cache);
    let python = dir.join("bin/python");
    if dir.join(COMPLETE).exists() {
        return Ok(PythonEnv { python });
    }
    std::fs::create_dir_all(&cache).map_err(io("creating", &cache))?;
    let _lock = crate::lock::hold(&dir.with_extension("make"), "making the trainer's environment")
        .map_err(|e| io("locking", &dir)(std::io::Error::other(e.to_string())))?;
    if dir.join(COMPLETE).exists() {
        return Ok(PythonEnv { python });
    }
    make(&cache, &dir, say)?;
    Ok(PythonEnv { python })
}

/// Where the environment of this lock lives: a new lock makes a new environment.
pub fn env_dir(cache: &Path) -> PathBuf {
    cache.join("train-env").join(short_digest())
}

fn make(cache: &Path, dir: &Path, say: &dyn Fn(&str)) -> Result<(), EnvError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io("removing the half-made", dir))?;
    }
    let uv = uv(cache, say)?;
    let lock = cache
        .join("train-env")
        .join(format!("requirements-{}.lock", short_digest()));
    std::fs::create_dir_all(lock.parent().unwrap_or(cache)).map_err(io("creating", cache))?;
    crate::atomic::write(&lock, LOCK).map_err(io("writing", &lock))?;
    say(&format!(
        "making the trainer's environment in {} (one time: PyTorch, transformers, TRL, PEFT from PyPI, a few GB)",
        dir.display()
    ));
    let mut venv = Command::new(&uv);
    venv.args(["venv", "--quiet", "--python", ">=3.11"]).arg(dir);
    run("uv venv", venv, &lock).map_err(|e| match e {
        EnvError::Step { tail, .. } => EnvError::NoPython { detail: tail },
        other => other,
    })?;
    let mut sync = Command::new(&uv);
    sync.args(["pip", "sync", "--require-hashes", "--python"])
        .arg(dir.join("bin/python"))
        .arg(&lock);
    run("uv pip sync", sync, &lock)?;
    std::fs::write(dir.join(COMPLETE), LOCK.len().to_string()).map_err(io("writing", dir))?;
    say("the trainer's environment is ready");
    Ok(())
}

fn short_digest() -> String {
    let digest = Sha256::digest(LOCK.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// uv: `RETORT_UV`, the one on PATH, or the PyPI wheel installed into the cache with pip.
fn uv(cache: &Path, say: &dyn Fn(&str)) -> Result<PathBuf, EnvError> {
    if let Some(uv) = std::env::var_os("RETORT_UV") {
        return Ok(PathBuf::from(uv));
    }
    if Command::new("uv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(PathBuf::from("uv"));
    }
    let target = cache.join("uv");
    let uv = target.join("bin/uv");
    if uv.exists() {
        return Ok(uv);
    }
    say(&format!(
        "installing uv {UV_VERSION} from PyPI into {}",
        target.display()
    ));
    let mut pip = Command::new("python3");
    pip.args(["-m", "pip", "install", "--quiet", "--target"])
        .arg(&target)
        .arg(format!("uv=={UV_VERSION}"))
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_ROOT_USER_ACTION", "ignore");
    run("python3 -m pip install uv", pip, Path::new("the lock")).map_err(|e| match e {
        EnvError::Step { tail, .. } if tail.contains("No such file") => EnvError::NoPython { detail: tail },
        other => other,
    })?;
    Ok(uv)
}

/// Runs a step to its end.
fn run(step: &str, mut command: Command, lock: &Path) -> Result<(), EnvError> {
    use std::io::IsTerminal;
    // On a terminal uv's progress is shown as it comes (and its error with it); otherwise it is
    // kept, and its end goes into the error.
    let shown = std::io::stderr().is_terminal();
    let stderr = if shown {
        std::process::Stdio::inherit()
    } else {
        std::process::Stdio::piped()
    };
    let output = command.stdin(std::process::Stdio::null()).stderr(stderr).output();
    let output = match output {
        Ok(output) => output,
        Err(e) => {
            return Err(EnvError::Step {
                step: step.to_string(),
                status: "none".into(),
                tail: e.to_string(),
                lock: lock.display().to_string(),
            });
        }
    };
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Err(EnvError::Step {
        step: step.to_string(),
        status: output.status.code().map_or("a signal".into(), |c| c.to_string()),
        tail: tail(&text),
        lock: lock.display().to_string(),
    })
}

fn given(python: PathBuf) -> Result<PythonEnv, EnvError> {
    let output = Command::new(&python).args(["-I", "-c", IMPORTS]).output();
    match output {
        Ok(o) if o.status.success() => Ok(PythonEnv { python }),
        Ok(o) => Err(EnvError::Given {
            python: python.display().to_string(),
            tail: tail(&String::from_utf8_lossy(&o.stderr)),
        }),
        Err(e) => Err(EnvError::Given {
            python: python.display().to_string(),
            tail: e.to_string(),
        }),
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EnvError {
    let path = path.display().to_string();
    move |source| EnvError::Io { doing, path, source }
}
