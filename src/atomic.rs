//! Whole-file outputs (ingest, export, reports, charts, `models.toml`, task files, run records):
//! written to a temporary file beside the target, synced, then renamed over it. A process killed
//! half-way leaves the previous file as it was, and the temporary file is removed when the write
//! fails or is dropped.
//!
//! Also here: an output is never one of the inputs (`refuse_same_file`), since opening the output
//! for writing would destroy the input before it is read.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file being written; it replaces its target only at [`AtomicFile::commit`].
pub struct AtomicFile {
    temporary: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target` (its directory must exist).
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let temporary = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(crate::config::io_at("creating a temporary file beside", target))?;
        Ok(AtomicFile {
            temporary,
            target: target.to_path_buf(),
        })
    }

    /// Syncs the data and renames it over the target.
    pub fn commit(mut self) -> io::Result<()> {
        let target = self.target.clone();
        self.temporary
            .flush()
            .map_err(crate::config::io_at("writing", &target))?;
        self.temporary
            .as_file()
            .sync_all()
            .map_err(crate::config::io_at("writing", &target))?;
        self.temporary
            .persist(&target)
            .map_err(|e| crate::config::io_at("moving into place", &target)(e.error))?;
        // The rename itself reaches the disk with its directory.
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(dir) = std::fs::File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temporary.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temporary.flush()
    }
}

/// Writes `bytes` as the whole of `target`, atomically.
pub fn write(target: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let mut file = AtomicFile::create(target)?;
    file.write_all(bytes.as_ref())
        .map_err(crate::config::io_at("writing", target))?;
    file.commit()
}

/// An output that is one of the inputs (the same path, a link to it, or the same file by
/// device and inode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the output {output} is the input {input}: writing it would destroy what is being read; choose another output")]
pub struct SameFile {
    pub output: String,
    pub input: String,
}

/// Refuses `output` when it is the same file as any of `inputs`. An output that does not exist
/// yet is no input; neither is standard output (`-`).
pub fn refuse_same_file<'a>(output: &Path, inputs: impl IntoIterator<Item = &'a Path>) -> Result<(), SameFile> {
    if output.as_os_str() == "-" {
        return Ok(());
    }
    let Some(out) = identity(output) else {
        return Ok(());
    };
    for input in inputs {
        if identity(input).is_some_and(|id| id == out) {
            return Err(SameFile {
                output: output.display().to_string(),
                input: input.display().to_string(),
            });
        }
    }
    Ok(())
}

/// A file's device and inode, following links: what makes two paths one file.
pub fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_writer_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.jsonl");
        std::fs::write(&target, "old\n").unwrap();
        {
            let mut file = AtomicFile::create(&target).unwrap();
            file.write_all(b"half").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write(&target, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn links_and_other_spellings_of_the_input_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("a.jsonl");
        std::fs::write(&input, "x\n").unwrap();
        let link = dir.path().join("b.jsonl");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let hard = dir.path().join("c.jsonl");
        std::fs::hard_link(&input, &hard).unwrap();
        let dotted = dir.path().join(".").join("a.jsonl");
        for output in [&input, &link, &hard, &dotted] {
            assert!(
                refuse_same_file(output, [input.as_path()]).is_err(),
                "{}",
                output.display()
            );
        }
        let other = dir.path().join("new.jsonl");
        assert!(refuse_same_file(&other, [input.as_path()]).is_ok());
        assert!(refuse_same_file(Path::new("-"), [input.as_path()]).is_ok());
    }
}
