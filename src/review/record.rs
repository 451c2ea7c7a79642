//! A decision going to disk with the example it saves or withdraws: both are written or neither
//! is, and the workbench shows the decision only once they are (a full disk leaves the paragraph
//! undecided, with the reason on screen, instead of a decision that is not on disk).

use super::decisions::{self, Decision};
use crate::dataset::store::{SavedExample, Store, StoreError};
use std::path::PathBuf;

/// What a decision does to the saved examples.
#[derive(Debug, Clone, PartialEq)]
pub enum ExampleChange {
    Keep,
    /// An accepted or corrected answer becomes an example.
    Save(Box<SavedExample>),
    /// An undone decision's example leaves the dataset.
    Withdraw {
        task: String,
        id: String,
    },
}

/// One line of a queue's decision log and its example change.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionWrite {
    pub log: PathBuf,
    pub decision: Decision,
    pub change: ExampleChange,
}

/// Writes the example change, then the decision (stamped now); when the decision cannot be
/// written the example change is cut back out of the store. The error names the file.
pub fn write(write: &DecisionWrite, examples: &Store) -> Result<(), StoreError> {
    let mut decision = write.decision.clone();
    decision.at = crate::clock::now();
    let log_line = || {
        decisions::append(&write.log, &decision).map_err(|e| StoreError {
            path: write.log.display().to_string(),
            message: e.to_string(),
        })
    };
    match &write.change {
        ExampleChange::Keep => log_line(),
        ExampleChange::Save(example) => examples.append_then(example, log_line),
        ExampleChange::Withdraw { task, id } => examples.withdraw_then(task, id, log_line),
    }
}
