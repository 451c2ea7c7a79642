//! The review queue: a corpus of paragraphs with the model's pre-annotations, walked one
//! decision at a time (accept, correct, skip, reject, undo). Pure data and rules; the workbench
//! (`tui::review`) puts it on screen and `retort review --summary` reports on it.
//!
//! The queue's decisions live in an append-only log under `<data>/reviews/`, named after the
//! queue's file; reopening the queue replays the log and continues at the first undecided item.

pub mod decisions;
pub mod items;
pub mod open;
pub mod record;
pub mod risk;
pub mod summary;

use crate::side::{PerSide, Side};
use decisions::{Decision, Verdict};
use items::Item;
use risk::{Order, Risk};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The reasons offered when rejecting (any other can be typed).
pub const REJECT_REASONS: [&str; 3] = ["bad paragraph", "out of scope", "model hopeless"];

/// How many items ahead of the current one are pre-annotated by default.
pub const LOOKAHEAD: usize = 3;

pub struct Queue {
    /// Shown in the queue bar: the file's name.
    pub name: String,
    /// The files each side's runs were read from (their names), to name the sides by.
    pub sources: PerSide<Option<String>>,
    pub task: String,
    /// The task's chemistry checks, which feed the risk order.
    checks: Vec<crate::task::checks::FieldCheck>,
    pub items: Vec<Item>,
    pub risks: Vec<Vec<Risk>>,
    /// Item indices in walking order.
    pub order: Vec<usize>,
    pub how: Order,
    /// Every line of the decision log, undos included.
    pub log: Vec<Decision>,
    /// Per item, the index into `log` of the decision in force.
    status: Vec<Option<usize>>,
    /// Index into `order` of the item on screen.
    pub position: usize,
    by_id: HashMap<String, usize>,
}

/// Where a queue's decisions and pre-annotations are kept: one name per (file, task).
pub struct QueueFiles {
    pub decisions: PathBuf,
    /// Runs made by the queue's look-ahead, left and right, in `retort extract`'s output format.
    pub runs: PerSide<PathBuf>,
}

impl QueueFiles {
    pub fn new(reviews_dir: &Path, input: &Path, task: &str) -> QueueFiles {
        let absolute = std::fs::canonicalize(input).unwrap_or_else(|_| input.to_path_buf());
        let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("queue");
        let base = format!("{stem}-{task}-{}", short_hash(&absolute.to_string_lossy()));
        QueueFiles {
            decisions: reviews_dir.join(format!("{base}.decisions.jsonl")),
            runs: PerSide::new(
                reviews_dir.join(format!("{base}.runs.jsonl")),
                reviews_dir.join(format!("{base}.compare-runs.jsonl")),
            ),
        }
    }
}

fn short_hash(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts of the decisions in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub accepted: usize,
    pub corrected: usize,
    pub skipped: usize,
    pub rejected: usize,
    /// Items without a final decision (skipped ones included: they come back).
    pub left: usize,
}

impl Queue {
    pub fn new(name: String, task: &crate::task::Task, items: Vec<Item>, how: Order, log: Vec<Decision>) -> Queue {
        let risks: Vec<Vec<Risk>> = items.iter().map(|i| risk::assess(i, &task.checks)).collect();
        let order = risk::order(&risks, how);
        let by_id = items.iter().enumerate().map(|(i, item)| (item.id.clone(), i)).collect();
        let mut queue = Queue {
            sources: PerSide::new(Some(name.clone()), None),
            name,
            task: task.name.clone(),
            checks: task.checks.clone(),
            status: vec![None; items.len()],
            items,
            risks,
            order,
            how,
            log,
            position: 0,
            by_id,
        };
        queue.replay();
        queue.position = queue.next_position(None).unwrap_or(0);
        queue
    }

    /// Recomputes each item's decision from the log.
    fn replay(&mut self) {
        self.status = vec![None; self.items.len()];
        let in_force: std::collections::HashSet<u64> = decisions::in_force(&self.log).iter().map(|d| d.seq).collect();
        for (index, decision) in self.log.iter().enumerate() {
            if in_force.contains(&decision.seq)
                && let Some(&item) = self.by_id.get(&decision.item)
            {
                self.status[item] = Some(index);
            }
        }
    }

    /// The item on screen, if the queue has any.
    pub fn current(&self) -> Option<usize> {
        self.order.get(self.position).copied()
    }

    pub fn decision(&self, item: usize) -> Option<&Decision> {
        self.status.get(item).copied().flatten().map(|i| &self.log[i])
    }

    pub fn verdict(&self, item: usize) -> Option<Verdict> {
        self.decision(item).map(|d| d.verdict)
    }

    fn is_open(&self, item: usize) -> bool {
        self.verdict(item).is_none()
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for item in 0..self.items.len() {
            match self.verdict(item) {
                Some(Verdict::Accepted) => counts.accepted += 1,
                Some(Verdict::Corrected) => counts.corrected += 1,
                Some(Verdict::Rejected) => counts.rejected += 1,
                Some(Verdict::Skipped) => counts.skipped += 1,
                Some(Verdict::Undone) | None => {}
            }
            if !self.verdict(item).is_some_and(Verdict::is_final) {
                counts.left += 1;
            }
        }
        counts
    }

    /// Whether every item has a final decision.
    pub fn finished(&self) -> bool {
        self.counts().left == 0
    }

    /// The position to show after `from`: the next undecided item (wrapping round), else the
    /// skipped item skipped longest ago, else none (the queue is done).
    pub fn next_position(&self, from: Option<usize>) -> Option<usize> {
        let n = self.order.len();
        let start = from.map_or(0, |p| p + 1);
        let undecided = (0..n).map(|k| (start + k) % n).find(|&p| self.is_open(self.order[p]));
        undecided.or_else(|| {
            (0..n)
                .filter(|&p| self.verdict(self.order[p]) == Some(Verdict::Skipped))
                .min_by_key(|&p| self.decision(self.order[p]).map_or(0, |d| d.seq))
        })
    }

    /// The current item and the ones that follow it in walking order (undecided or skipped),
    /// at most `count`: what the look-ahead should have ready.
    pub fn upcoming(&self, count: usize) -> Vec<usize> {
        let Some(current) = self.current() else {
            return Vec::new();
        };
        let n = self.order.len();
        let mut out = vec![current];
        out.extend(
            (1..n)
                .map(|k| self.order[(self.position + k) % n])
                .filter(|&item| !self.verdict(item).is_some_and(Verdict::is_final))
                .take(count.saturating_sub(1)),
        );
        out
    }

    /// The `seq` the next line of the log gets.
    pub fn next_seq(&self) -> u64 {
        self.log.last().map_or(1, |d| d.seq + 1)
    }

    /// Records a decision on the current item (its `seq` is assigned here) and moves on.
    /// Returns the decision as recorded.
    pub fn decide(&mut self, mut decision: Decision) -> Decision {
        decision.seq = self.next_seq();
        self.log.push(decision.clone());
        self.replay();
        if let Some(next) = self.next_position(Some(self.position)) {
            self.position = next;
        }
        decision
    }

    /// Takes back the newest decision in force: (the undo line, the decision it takes back).
    /// The queue goes back to that item.
    pub fn undo(&mut self) -> Option<(Decision, Decision)> {
        let (undo, last) = self.undo_line()?;
        self.apply_undo(undo.clone());
        Some((undo, last))
    }

    /// The line that would take back the newest decision in force, and that decision; nothing
    /// changes until `apply_undo`.
    pub fn undo_line(&self) -> Option<(Decision, Decision)> {
        let last = decisions::in_force(&self.log).last().map(|d| (*d).clone())?;
        let undo = Decision {
            seq: self.next_seq(),
            item: last.item.clone(),
            verdict: Verdict::Undone,
            reason: None,
            model_answer: None,
            model_extraction: None,
            answer: None,
            extraction: None,
            seconds: 0.0,
            edit_distance: None,
            example: last.example.clone(),
            undoes: Some(last.seq),
            at: String::new(),
        };
        Some((undo, last))
    }

    /// Records an undo line and goes back to its item.
    pub fn apply_undo(&mut self, mut undo: Decision) {
        undo.seq = self.next_seq();
        let item = self.by_id.get(&undo.item).copied();
        self.log.push(undo);
        self.replay();
        if let Some(item) = item
            && let Some(p) = self.order.iter().position(|&i| i == item)
        {
            self.position = p;
        }
    }

    /// Shows `item` next, whatever its decision.
    pub fn jump(&mut self, item: usize) {
        if let Some(p) = self.order.iter().position(|&i| i == item) {
            self.position = p;
        }
    }

    /// Seconds per paragraph over the final decisions in force (median), if any.
    pub fn median_seconds(&self) -> Option<f64> {
        let times: Vec<f64> = (0..self.items.len())
            .filter_map(|i| self.decision(i))
            .filter(|d| d.verdict.is_final())
            .map(|d| d.seconds)
            .collect();
        median(times)
    }

    /// The 1-based position of the current item among all items, for the queue bar.
    pub fn place(&self) -> usize {
        self.position + 1
    }

    /// Sets an item's run on one side (a look-ahead finished).
    pub fn set_run(&mut self, item: usize, side: Side, run: crate::llm::Run) {
        if let Some(entry) = self.items.get_mut(item) {
            entry.runs[side] = Some(run);
            self.risks[item] = risk::assess(entry, &self.checks);
        }
    }
}

pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}
