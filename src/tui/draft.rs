//! The draft (paragraph, edit, task, model) on disk, so nothing typed is lost to a crash, a
//! `kill -9` or a panic. Written atomically (temporary file, then rename).

use super::action::Draft;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The newest draft, for the panic hook.
static LATEST: Mutex<Option<(PathBuf, Draft)>> = Mutex::new(None);

pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("draft.json")
}

pub fn save(path: &Path, draft: &Draft) -> std::io::Result<()> {
    if let Ok(mut latest) = LATEST.lock() {
        *latest = Some((path.to_path_buf(), draft.clone()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string(draft).map_err(std::io::Error::other)?;
    crate::atomic::write(path, text)
}

/// Remembers `draft` for the panic hook without writing it.
pub fn remember(path: &Path, draft: &Draft) {
    if let Ok(mut latest) = LATEST.lock() {
        *latest = Some((path.to_path_buf(), draft.clone()));
    }
}

/// Writes the newest remembered draft (from the panic hook).
pub fn save_latest() {
    let latest = LATEST.lock().ok().and_then(|l| l.clone());
    if let Some((path, draft)) = latest {
        let _ = save(&path, &draft);
    }
}

pub fn load(path: &Path) -> Option<Draft> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path());
        let draft = Draft {
            paragraph: "µL of THF".into(),
            task: "compound".into(),
            model: "m".into(),
            editor: Some("THF".into()),
            gold: None,
        };
        save(&path, &draft).unwrap();
        assert_eq!(load(&path), Some(draft));
        assert!(!path.with_extension("json.tmp").exists());
    }
}
