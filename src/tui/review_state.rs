//! The open review queue as the workbench holds it: the queue, its look-ahead and the decision
//! on its way to disk. Data only; `review` handles its commands.

use crate::review::decisions::Decision;
use crate::review::open::Opened;
use crate::review::{Queue, QueueFiles};
use crate::side::{PerSide, Side};
use std::collections::BTreeSet;
use std::time::Instant;

pub struct ReviewState {
    pub queue: Queue,
    pub files: QueueFiles,
    /// The profiles that pre-annotate items without runs: left and right.
    pub annotators: PerSide<Option<usize>>,
    /// How many items after the one on screen are pre-annotated.
    pub lookahead: usize,
    /// (item, side) runs being made.
    pub in_flight: BTreeSet<(usize, Side)>,
    /// When the item on screen was shown (the driver's clock).
    pub shown_at: Option<Instant>,
    /// Items shown, and how many of them had their left run ready when shown.
    pub shown: usize,
    pub shown_ready: usize,
    /// A decision on its way to disk: shown as made only once it is written.
    pub saving: Option<Saving>,
    /// The queue's lock: no other process decides on it while this one has it open.
    pub lock: Option<crate::lock::Held>,
    /// The outline's highlighted item: a position in the queue's walking order.
    pub outline_selected: usize,
    /// Blocks of papers the filter passed over when the queue was read, by kind.
    pub passed_over: crate::input::filter::PassedOver,
}

/// A decision or an undo written but not yet confirmed on disk.
#[derive(Debug, Clone)]
pub enum Saving {
    Decision(Box<Decision>),
    Undo {
        undo: Box<Decision>,
        taken_back: Box<Decision>,
    },
}

impl Saving {
    pub fn line(&self) -> &Decision {
        match self {
            Saving::Decision(d) => d,
            Saving::Undo { undo, .. } => undo,
        }
    }
}

impl std::fmt::Debug for ReviewState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewState")
            .field("queue", &self.queue.name)
            .field("items", &self.queue.items.len())
            .field("position", &self.queue.position)
            .finish()
    }
}

impl ReviewState {
    pub fn new(opened: Opened, annotators: PerSide<Option<usize>>, lookahead: usize) -> ReviewState {
        ReviewState {
            queue: opened.queue,
            files: opened.files,
            annotators,
            lookahead,
            in_flight: BTreeSet::new(),
            shown_at: None,
            shown: 0,
            shown_ready: 0,
            saving: None,
            lock: opened.lock,
            outline_selected: 0,
            passed_over: opened.passed_over,
        }
    }

    /// How many of the next items (after the one on screen) have their left run ready.
    pub fn ready_ahead(&self) -> usize {
        self.queue
            .upcoming(self.lookahead + 1)
            .iter()
            .skip(1)
            .filter(|&&i| self.queue.items[i].runs[Side::Main].is_some())
            .count()
    }
}
