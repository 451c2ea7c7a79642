//! Who may write a file: an exclusive lock held for as long as one process works on it (a review
//! queue, an extract output), so that a second process is refused with the holder named instead
//! of interleaving its lines with the first one's.
//!
//! The lock is the operating system's advisory lock (`flock`) on a sibling file `<file>.lock`:
//! it goes away with the process that held it, even after `kill -9`, so a stale lock cannot
//! block anyone. The lock file holds a line saying who holds it, for the refusal's message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A lock held; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Held {
    file: File,
    path: PathBuf,
}

impl Held {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{file} is in use by {holder} (lock {lock}); finish or close that one first")]
    Busy { file: String, lock: String, holder: String },
    #[error("cannot lock {file} (lock {lock}): {source}")]
    Io {
        file: String,
        lock: String,
        source: std::io::Error,
    },
}

/// The lock file of `file`: `<file>.lock` beside it.
pub fn lock_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    file.with_file_name(name)
}

/// Takes the lock of `file` for `doing` (e.g. "retort review"), or says who holds it.
pub fn hold(file: &Path, doing: &str) -> Result<Held, LockError> {
    let path = lock_path(file);
    let io = |source: std::io::Error| LockError::Io {
        file: file.display().to_string(),
        lock: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = lock.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LockError::Busy {
                file: file.display().to_string(),
                lock: path.display().to_string(),
                holder: if holder.is_empty() {
                    "another process".into()
                } else {
                    holder.to_string()
                },
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let line = format!(
        "{doing} (process {} on {}, since {})\n",
        std::process::id(),
        host_name(),
        crate::clock::now()
    );
    lock.set_len(0)
        .and_then(|()| lock.seek(SeekFrom::Start(0)))
        .and_then(|_| lock.write_all(line.as_bytes()))
        .map_err(io)?;
    Ok(Held { file: lock, path })
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_named_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("queue.decisions.jsonl");
        let first = hold(&file, "retort review").unwrap();
        assert_eq!(first.path(), dir.path().join("queue.decisions.jsonl.lock"));
        let refused = hold(&file, "retort review").unwrap_err().to_string();
        assert!(refused.contains("in use by retort review (process"), "{refused}");
        assert!(refused.contains(&std::process::id().to_string()), "{refused}");
        drop(first);
        hold(&file, "retort review").unwrap();
    }
}
