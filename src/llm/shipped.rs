//! The adapters Retort ships for its default model: trained here by `retort train` on the
//! papers' data (each with a manifest: the base's SHA-256, the training data and its hash, the
//! command, the measured figures), carried inside the binary, and written beside the default
//! model when it is fetched, so that the profile naming them works with nothing to set up.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One shipped adapter: its file under `<data>/models` and what it was trained on.
pub struct Shipped {
    /// Relative to the models directory, as the profile in `default_models.toml` names it.
    pub file: &'static str,
    pub bytes: &'static [u8],
    pub manifest: &'static str,
}

pub const ADAPTERS: &[Shipped] = &[Shipped {
    file: "adapters/compound-SmolLM2-135M-Instruct.gguf",
    bytes: include_bytes!("shipped/compound-SmolLM2-135M-Instruct.gguf"),
    manifest: include_str!("shipped/compound-SmolLM2-135M-Instruct.json"),
}];

/// What the code reads of a manifest (the rest is for people and for reproducing it).
#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub task: String,
    pub adapter_sha256: String,
    pub base: Base,
}

#[derive(Debug, Deserialize)]
pub struct Base {
    /// The GGUF's file name under the models directory.
    pub file: String,
    pub sha256: String,
}

impl Shipped {
    pub fn manifest(&self) -> Result<Manifest, serde_json::Error> {
        serde_json::from_str(self.manifest)
    }
}

/// Writes each shipped adapter whose base is in `models_dir` (same file name and SHA-256) and
/// that is not there yet; `progress` hears what was done. A base with another hash gets no
/// adapter: it would not fit. Cheap once done (one `exists` per adapter).
pub fn install(models_dir: &Path, progress: &dyn Fn(&str)) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for shipped in ADAPTERS {
        let manifest = shipped
            .manifest()
            .map_err(|e| format!("the manifest of {} does not read: {e}", shipped.file))?;
        let (base, target) = (models_dir.join(&manifest.base.file), models_dir.join(shipped.file));
        if !base.exists() || target.exists() {
            continue;
        }
        if super::download::file_sha256(&base).map_err(|e| e.to_string())? != manifest.base.sha256 {
            progress(&format!(
                "{} is not the file the shipped {} adapter was trained on (SHA-256 {}); the adapter is not installed",
                base.display(),
                manifest.task,
                manifest.base.sha256
            ));
            continue;
        }
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        crate::atomic::write(&target, shipped.bytes).map_err(|e| e.to_string())?;
        progress(&format!("the {} adapter is at {}", manifest.task, target.display()));
        written.push(target);
    }
    Ok(written)
}

#[cfg(test)]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn every_manifest_reads_and_names_its_adapter_bytes() {
        for shipped in ADAPTERS {
            let manifest = shipped.manifest().unwrap();
            assert_eq!(
                hex(&Sha256::digest(shipped.bytes)),
                manifest.adapter_sha256,
                "{}",
                shipped.file
            );
            assert_eq!(manifest.base.sha256.len(), 64);
        }
    }

    #[test]
    fn an_adapter_is_installed_only_beside_its_own_base() {
        let dir = tempfile::tempdir().unwrap();
        assert!(install(dir.path(), &|_| {}).unwrap().is_empty(), "no base, nothing");
        let manifest = ADAPTERS[0].manifest().unwrap();
        std::fs::write(dir.path().join(&manifest.base.file), b"not the base").unwrap();
        let said = std::cell::RefCell::new(Vec::new());
        let written = install(dir.path(), &|s| said.borrow_mut().push(s.to_string())).unwrap();
        assert!(written.is_empty());
        assert!(said.borrow()[0].contains("is not the file"), "{:?}", said.borrow());
        assert!(!dir.path().join(ADAPTERS[0].file).exists());
    }
}
