//! A learning-curve experiment as a file a user can read and a later run resumes:
//! `<data>/experiments/<name>/experiment.json` (the task, the split, the sizes, the baseline,
//! and per size its run, profile and predictions once each exists), the held-out split the
//! models are measured on (`test.jsonl`, `{"id", "text", "answer"}` as `retort eval` reads gold),
//! and the predictions beside it. Only this module reads and writes experiment.json.

use super::run::RunError;
use crate::config::io_at;
use crate::dataset::export::Excluded;
use crate::dataset::export::split::{Share, divide};
use crate::dataset::store::Store;
use crate::task::Task;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub size: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The predictions file, once `retort extract` wrote every paragraph of the test split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predictions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub name: String,
    pub task: String,
    pub backend: String,
    pub split: String,
    pub seed: u64,
    pub test_examples: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_predictions: Option<String>,
    pub points: Vec<Point>,
    pub created_at: String,
}

pub fn dir(data: &Path, name: &str) -> PathBuf {
    data.join("experiments").join(name)
}

impl Experiment {
    pub fn load(data: &Path, name: &str) -> Result<Option<Experiment>, RunError> {
        let path = dir(data, name).join("experiment.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| RunError::Bad {
                path: path.display().to_string(),
                message: format!("line {}, column {}: {e}", e.line(), e.column()),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_at("reading", &path)(e).into()),
        }
    }

    pub fn save(&self, data: &Path) -> Result<(), RunError> {
        let dir = dir(data, &self.name);
        std::fs::create_dir_all(&dir).map_err(io_at("creating", &dir))?;
        let text = serde_json::to_string_pretty(self).expect("serialises") + "\n";
        crate::atomic::write(&dir.join("experiment.json"), text)?;
        Ok(())
    }

    pub fn dir(&self, data: &Path) -> PathBuf {
        dir(data, &self.name)
    }

    pub fn test_file(&self, data: &Path) -> PathBuf {
        self.dir(data).join("test.jsonl")
    }

    /// The point of `size`, added in order when new.
    pub fn point_mut(&mut self, size: usize) -> &mut Point {
        if let Some(at) = self.points.iter().position(|p| p.size == size) {
            return &mut self.points[at];
        }
        self.points.push(Point {
            size,
            run: None,
            profile: None,
            predictions: None,
        });
        self.points.sort_by_key(|p| p.size);
        let at = self.points.iter().position(|p| p.size == size).expect("just added");
        &mut self.points[at]
    }
}

/// Why the held-out gold could not be written.
#[derive(Debug, thiserror::Error)]
pub enum HeldOutError {
    #[error(transparent)]
    Store(#[from] crate::dataset::store::StoreError),
    #[error("the split has no part named {0:?}: give e.g. --split train=0.8,{0}=0.2")]
    NoSuchPart(String),
    /// Creating or writing the file (the error names it).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes the split named `held_out` of the saved examples, divided as every run of the
/// experiment divides them (same shares, seed and exclusions), as gold; how many it holds.
pub fn write_held_out(
    store: &Store,
    task: &Task,
    shares: &[Share],
    seed: u64,
    exclude: &[Excluded],
    held_out: &str,
    to: &Path,
) -> Result<usize, HeldOutError> {
    let (examples, _) = store.read(&task.name)?;
    let excluded: HashSet<String> = exclude.iter().flat_map(|e| e.paragraphs.iter().cloned()).collect();
    let divided = divide(examples, shares, seed, &excluded);
    let Some((_, examples)) = divided.splits.iter().find(|(name, _)| name == held_out) else {
        return Err(HeldOutError::NoSuchPart(held_out.to_string()));
    };
    let mut text = String::new();
    for example in examples {
        let line = serde_json::json!({"id": example.id, "text": example.paragraph, "answer": example.answer});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(io_at("creating", parent))?;
    }
    crate::atomic::write(to, text)?;
    Ok(examples.len())
}
