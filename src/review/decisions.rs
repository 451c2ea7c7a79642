//! The decisions of a queue: an append-only JSONL log beside the queue (one line per decision,
//! written with one fsync), replayed when the queue opens. An undo is a line of its own that
//! names the decision it takes back; nothing is ever rewritten.

use crate::extraction::Extraction;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The model's extraction, as is.
    Accepted,
    /// The model's extraction, corrected.
    Corrected,
    /// Comes back at the end of the queue.
    Skipped,
    Rejected,
    /// Takes back the decision named by `undoes`.
    Undone,
}

impl Verdict {
    /// Whether the item is finished with (skipped items come back).
    pub fn is_final(self) -> bool {
        matches!(self, Verdict::Accepted | Verdict::Corrected | Verdict::Rejected)
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Corrected => "corrected",
            Verdict::Skipped => "skipped",
            Verdict::Rejected => "rejected",
            Verdict::Undone => "undone",
        }
    }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The paragraph's id in the queue.
    pub item: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The model's answer the decision started from (canonical text), if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_extraction: Option<Extraction>,
    /// The final answer (accepted or corrected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extraction: Option<Extraction>,
    /// Seconds the item was on screen before this decision.
    #[serde(default)]
    pub seconds: f64,
    /// Levenshtein distance between the model's answer and the final one, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_distance: Option<usize>,
    /// The saved example this decision made (accepted and corrected items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// The decision an undo takes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<u64>,
    /// RFC 3339, set when the line is written.
    #[serde(default)]
    pub at: String,
}

/// The log as read, and what was wrong with it.
#[derive(Debug, Default)]
pub struct Log {
    pub decisions: Vec<Decision>,
    pub problems: Vec<String>,
}

/// Reads a log. A torn last line (a crash mid-write) is cut off so later appends continue a valid
/// file; other damaged lines are skipped and named.
pub fn read(path: &Path) -> std::io::Result<Log> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Log::default()),
        Err(e) => return Err(e),
    };
    let mut log = Log::default();
    let whole = match text.rfind('\n') {
        Some(end) if end + 1 < text.len() => {
            log.problems.push(format!(
                "{}: the last line was cut off (a crash while writing); recovered up to it",
                path.display()
            ));
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)?
                .set_len(end as u64 + 1)?;
            &text[..=end]
        }
        None if !text.is_empty() => {
            std::fs::write(path, "")?;
            ""
        }
        _ => &text[..],
    };
    for (i, line) in whole.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(decision) => log.decisions.push(decision),
            Err(e) => log.problems.push(format!(
                "{}:{}: skipped a damaged decision ({e})",
                path.display(),
                i + 1
            )),
        }
    }
    Ok(log)
}

/// Appends one decision with a single write and an fsync; when that fails (a full disk), the
/// file is cut back to what it was, so no partial line is left.
pub fn append(path: &Path, decision: &Decision) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let before = file.metadata()?.len();
    let line = serde_json::to_string(decision).map_err(std::io::Error::other)?;
    let written = file
        .write_all(format!("{line}\n").as_bytes())
        .and_then(|()| file.sync_data());
    if written.is_err() {
        let _ = file.set_len(before);
    }
    written
}

/// The decisions in force after replaying undos: each undo removes the decision it names.
pub fn in_force(decisions: &[Decision]) -> Vec<&Decision> {
    let undone: std::collections::HashSet<u64> = decisions.iter().filter_map(|d| d.undoes).collect();
    decisions
        .iter()
        .filter(|d| d.verdict != Verdict::Undone && !undone.contains(&d.seq))
        .collect()
}

/// Character edit distance between two answers (strsim's Levenshtein).
pub fn edit_distance(from: &str, to: &str) -> usize {
    strsim::levenshtein(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(seq: u64, item: &str, verdict: Verdict) -> Decision {
        Decision {
            seq,
            item: item.into(),
            verdict,
            reason: None,
            model_answer: None,
            model_extraction: None,
            answer: None,
            extraction: None,
            seconds: 1.0,
            edit_distance: None,
            example: None,
            undoes: None,
            at: String::new(),
        }
    }

    #[test]
    fn a_torn_last_line_is_cut_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.decisions.jsonl");
        append(&path, &decision(1, "a", Verdict::Accepted)).unwrap();
        append(&path, &decision(2, "b", Verdict::Skipped)).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"seq\":3,\"item\":\"c\",\"verd");
        std::fs::write(&path, &text).unwrap();
        let log = read(&path).unwrap();
        assert_eq!(log.decisions.len(), 2);
        assert_eq!(log.problems.len(), 1, "{:?}", log.problems);
        append(&path, &decision(3, "c", Verdict::Rejected)).unwrap();
        let again = read(&path).unwrap();
        assert_eq!(again.decisions.len(), 3);
        assert!(again.problems.is_empty(), "{:?}", again.problems);
    }

    #[test]
    fn an_undo_takes_back_the_decision_it_names() {
        let mut undo = decision(3, "b", Verdict::Undone);
        undo.undoes = Some(2);
        let log = vec![
            decision(1, "a", Verdict::Accepted),
            decision(2, "b", Verdict::Rejected),
            undo,
        ];
        let kept: Vec<u64> = in_force(&log).iter().map(|d| d.seq).collect();
        assert_eq!(kept, vec![1]);
    }
}
