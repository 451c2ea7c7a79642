//! Lines out: one JSONL line per paragraph, to a file or standard output; what a previous run
//! already did, read line by line into a set of 64-bit id hashes (8 bytes an id, whatever the
//! ids' length); and the compaction that keeps one line per id after a `--resume` retried some.

use crate::llm::Run;
use crate::llm::run_line::{ResumeKeys, RunLine};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::Path;

/// One output line for a run on `paragraph` (with its place in a paper, if it has one).
pub fn output_line(paragraph: &crate::input::Paragraph, run: &Run) -> RunLine {
    RunLine::new(&paragraph.id, &paragraph.text, run).placed(paragraph.place.as_ref())
}

/// A 64-bit hash of an id, the same within a run (collisions among a million ids have a
/// probability around 3·10⁻⁸).
pub fn id_hash(id: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

/// What an output file already holds: ids done, and ids whose newest line records a failure.
#[derive(Debug, Default)]
pub struct Done {
    pub done: HashSet<u64>,
    pub failed: HashSet<u64>,
}

impl Done {
    pub fn is_done(&self, id: &str) -> bool {
        self.done.contains(&id_hash(id))
    }

    pub fn had_failed(&self, id: &str) -> bool {
        self.failed.contains(&id_hash(id))
    }
}

/// Reads an output file line by line. A line whose `error` is set is retried; a reply that
/// arrived but does not parse is done. A torn last line (an interrupted write) is cut off so
/// that appending continues a valid file.
pub fn read_done(output: &Path) -> std::io::Result<Done> {
    let mut done = Done::default();
    let Ok(file) = std::fs::File::open(output) else {
        return Ok(done);
    };
    cut_torn_line(output)?;
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        let Ok(outcome) = serde_json::from_str::<ResumeKeys>(&line) else {
            continue;
        };
        let Some(id) = outcome.id.as_deref().map(id_hash) else {
            continue;
        };
        if outcome.failed() {
            done.done.remove(&id);
            done.failed.insert(id);
        } else {
            done.failed.remove(&id);
            done.done.insert(id);
        }
    }
    Ok(done)
}

fn cut_torn_line(output: &Path) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().read(true).write(true).open(output)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    // Look back from the end for the last newline, a block at a time.
    let mut end = len;
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let start = end.saturating_sub(block.len() as u64);
        let size = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..size])?;
        if end == len && block[size - 1] == b'\n' {
            return Ok(());
        }
        if let Some(at) = block[..size].iter().rposition(|b| *b == b'\n') {
            return file.set_len(start + at as u64 + 1);
        }
        if start == 0 {
            return file.set_len(0);
        }
        end = start;
    }
}

/// Rewrites `output` with one line per id, the newest, in the order of those lines (after a
/// `--resume` retried failed lines). Two passes over the file and one hash per id in memory;
/// atomic: a temporary file, then rename. Lines without an id are kept where they were.
pub fn keep_newest_per_id(output: &Path) -> std::io::Result<()> {
    let mut newest: HashMap<u64, usize> = HashMap::new();
    let ids = |line: &str| {
        serde_json::from_str::<ResumeKeys>(line)
            .ok()
            .and_then(|o| o.id.as_deref().map(id_hash))
    };
    let reader = || -> std::io::Result<_> { Ok(std::io::BufReader::new(std::fs::File::open(output)?).lines()) };
    let mut lines = 0;
    for (index, line) in reader()?.enumerate() {
        if let Some(id) = ids(&line?) {
            newest.insert(id, index);
        }
        lines += 1;
    }
    if newest.len() == lines {
        return Ok(());
    }
    let temporary = output.with_extension("jsonl.tmp");
    let written = (|| {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
        use std::io::Write;
        for (index, line) in reader()?.enumerate() {
            let line = line?;
            if ids(&line).is_none_or(|id| newest.get(&id) == Some(&index)) {
                writeln!(out, "{line}")?;
            }
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&temporary, output)
    })();
    if written.is_err() {
        // A full disk must not be left fuller by a half-written copy.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_cut_before_resuming() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        std::fs::write(
            &output,
            "{\"id\": \"a\"}\n{\"id\": \"b\"}\n{\"id\": \"c\", \"raw\": \"hal",
        )
        .unwrap();
        let done = read_done(&output).unwrap();
        assert!(done.is_done("a") && done.is_done("b") && !done.is_done("c"));
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            "{\"id\": \"a\"}\n{\"id\": \"b\"}\n"
        );
    }

    #[test]
    fn failed_lines_are_retried_and_the_newest_line_per_id_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out.jsonl");
        let failed = r#"{"id":"a","error":"cannot connect to http://127.0.0.1:9/v1"}"#;
        let unparsable = r#"{"id":"b","error":null,"parse_error":{"line":1}}"#;
        std::fs::write(&output, format!("{failed}\n{unparsable}\n")).unwrap();
        let done = read_done(&output).unwrap();
        assert!(!done.is_done("a") && done.had_failed("a") && done.is_done("b"));
        let retried = r#"{"id":"a","error":null}"#;
        std::fs::write(&output, format!("{failed}\n{unparsable}\n{retried}\n")).unwrap();
        keep_newest_per_id(&output).unwrap();
        assert_eq!(
            std::fs::read_to_string(&output).unwrap(),
            format!("{unparsable}\n{retried}\n")
        );
    }
}
