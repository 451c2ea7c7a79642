//! A file in the state directory that exists exactly while a model run is in progress. A process
//! killed by the kernel (SIGILL from an instruction the CPU lacks, SIGKILL, out of memory) cannot
//! say so itself; the next start finds the marker and reports the run that died.

use crate::side::Side;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunMarker {
    pub profile: String,
    pub engine: crate::llm::profile::EngineKind,
    /// The GGUF path or the server's URL and model id.
    pub model: String,
    pub task: String,
    pub started_at: String,
    pub pid: u32,
}

impl RunMarker {
    /// What the next start tells the user.
    pub fn report(&self) -> String {
        use crate::llm::profile::EngineKind;
        let cause = match self.engine {
            EngineKind::Embedded => {
                "the in-process engine probably crashed (e.g. an instruction this CPU lacks); `retort models` shows the CPU backend chosen, and RETORT_CPU_VARIANT=haswell (or x64) forces an older one"
            }
            EngineKind::Openai => "the process was killed",
        };
        format!(
            "the last run died: profile {} ({}) on task {}, started {}; {cause}. Your draft is restored; see the log in the state directory",
            self.profile, self.model, self.task, self.started_at
        )
    }
}

fn path(state_dir: &Path, slot: Side) -> PathBuf {
    let number = match slot {
        Side::Main => 0,
        Side::Compare => 1,
    };
    state_dir.join(format!("run-in-progress-{number}.json"))
}

/// Writes the marker for a run in `slot`, synced, before the run starts.
pub fn begin(state_dir: &Path, slot: Side, marker: &RunMarker) -> std::io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let target = path(state_dir, slot);
    let text = serde_json::to_string(marker).map_err(std::io::Error::other)?;
    std::fs::write(&target, text)?;
    std::fs::File::open(&target)?.sync_all()
}

/// Removes the marker of `slot`: the run ended, whatever its outcome.
pub fn end(state_dir: &Path, slot: Side) {
    let _ = std::fs::remove_file(path(state_dir, slot));
}

/// Markers left by a process that is gone, removed as they are read. A marker whose process is
/// still alive belongs to another open workbench and is left alone.
pub fn take_dead(state_dir: &Path) -> Vec<RunMarker> {
    let mut dead = Vec::new();
    for slot in Side::BOTH {
        let file = path(state_dir, slot);
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        match serde_json::from_str::<RunMarker>(&text) {
            Ok(marker) if process_alive(marker.pid) && marker.pid != std::process::id() => continue,
            Ok(marker) => dead.push(marker),
            Err(e) => tracing::warn!("unreadable run marker {}: {e}", file.display()),
        }
        let _ = std::fs::remove_file(&file);
    }
    dead
}

/// Whether `pid` runs (a zombie, killed and not yet reaped, does not).
fn process_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    !matches!(state, Some("Z" | "X") | None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(pid: u32) -> RunMarker {
        RunMarker {
            profile: "embedded".into(),
            engine: crate::llm::profile::EngineKind::Embedded,
            model: "/m/SmolLM2.gguf".into(),
            task: "compound".into(),
            started_at: "2026-11-26T07:00:00Z".into(),
            pid,
        }
    }

    #[test]
    fn a_marker_left_by_a_dead_process_is_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        begin(dir.path(), Side::Compare, &marker(u32::MAX - 1)).unwrap();
        let dead = take_dead(dir.path());
        assert_eq!(dead, vec![marker(u32::MAX - 1)]);
        assert!(dead[0].report().contains("profile embedded"));
        assert!(take_dead(dir.path()).is_empty());
    }

    #[test]
    fn a_finished_run_leaves_no_marker_and_a_live_one_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        begin(dir.path(), Side::Main, &marker(1)).unwrap();
        end(dir.path(), Side::Main);
        assert!(take_dead(dir.path()).is_empty());
        // pid 1 (init) is alive: another workbench's run.
        begin(dir.path(), Side::Main, &marker(1)).unwrap();
        assert!(take_dead(dir.path()).is_empty());
        assert!(path(dir.path(), Side::Main).exists());
    }
}
