//! Fine-tuning exports of saved examples: one JSONL file per split and style, in the shapes
//! trainers read as they are (`styles`), split without leaks (`split`), with a manifest and
//! ready stanzas for LLaMA-Factory and axolotl (`manifest`).

mod manifest;
pub use manifest::dataset_name;
pub mod split;
pub mod styles;

use crate::config::io_at;
pub use split::{Share, parse_shares};
pub use styles::ExportStyle;

use super::store::{SavedExample, Store};
use crate::task::Task;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One JSONL line for `example` (a demonstration style).
pub fn export_line(task: &Task, example: &SavedExample, style: ExportStyle) -> String {
    styles::demonstration(task, example, style).to_string()
}

/// The lines of `examples` in `style`: a demonstration per example, or a preference pair per
/// model answer the correction differs from.
pub fn rows(task: &Task, examples: &[SavedExample], style: ExportStyle) -> Vec<String> {
    if !style.is_preference() {
        return examples.iter().map(|e| export_line(task, e, style)).collect();
    }
    examples
        .iter()
        .flat_map(|e| {
            styles::rejected_answers(task, e)
                .into_iter()
                .map(move |rejected| styles::preference(task, e, &rejected, style).to_string())
        })
        .collect()
}

/// Writes `lines` atomically (a temporary file beside `to`, then a rename); returns the sha256.
/// On failure the temporary file is removed and the error names `to`.
fn write_lines(to: &Path, lines: &[String]) -> std::io::Result<String> {
    use sha2::Digest;
    let dir = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_at("creating the directory", dir))?;
    let mut hash = sha2::Sha256::new();
    let mut file = std::io::BufWriter::new(crate::atomic::AtomicFile::create(to)?);
    for line in lines {
        let line = format!("{line}\n");
        hash.update(line.as_bytes());
        file.write_all(line.as_bytes()).map_err(io_at("writing", to))?;
    }
    file.into_inner()
        .map_err(|e| io_at("writing", to)(e.into_error()))?
        .commit()?;
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes one export file of `examples` in `style`; returns the number of lines.
pub fn write_export(task: &Task, examples: &[SavedExample], style: ExportStyle, to: &Path) -> std::io::Result<usize> {
    let lines = rows(task, examples, style);
    write_lines(to, &lines)?;
    Ok(lines.len())
}

/// Exports every saved example of `task` from `store` to one file: the count written and a
/// warning for each damaged line skipped. Having nothing to export is an error that names the
/// store file.
pub fn export_saved(
    store: &Store,
    task: &Task,
    style: ExportStyle,
    to: &Path,
) -> Result<(usize, Vec<String>), ExportError> {
    let examples = saved(store, task)?;
    let count = write_export(task, &examples.0, style, to).map_err(|source| ExportError::Write {
        path: to.display().to_string(),
        source,
    })?;
    Ok((count, examples.1))
}

/// Why an export wrote nothing, or not everything.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] crate::dataset::store::StoreError),
    #[error("no saved examples for task {task} in {path}")]
    Nothing { task: String, path: String },
    #[error("writing {path}: {source}")]
    Write { path: String, source: std::io::Error },
    /// A file of an export directory (the error names it).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn saved(store: &Store, task: &Task) -> Result<(Vec<SavedExample>, Vec<String>), ExportError> {
    let (examples, warnings) = store.read(&task.name)?;
    if examples.is_empty() {
        return Err(ExportError::Nothing {
            task: task.name.clone(),
            path: store.path(&task.name).display().to_string(),
        });
    }
    Ok((examples, warnings))
}

/// What to write into an export directory.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    pub styles: Vec<ExportStyle>,
    pub shares: Vec<Share>,
    pub seed: u64,
    /// Nested subsets of the first split, for learning curves.
    pub sizes: Vec<usize>,
    /// Gold files whose paragraphs must not be trained on.
    pub exclude: Vec<Excluded>,
}

/// A gold file whose paragraphs must not be trained on, as read (`input::read_examples`).
#[derive(Debug, Clone)]
pub struct Excluded {
    pub path: PathBuf,
    /// Its paragraphs, normalised as the split compares them.
    pub paragraphs: Vec<String>,
}

impl Excluded {
    pub fn new(path: &std::path::Path, examples: &[super::papers::SourceExample]) -> Excluded {
        Excluded {
            path: path.to_path_buf(),
            paragraphs: examples.iter().map(|e| split::normalize(&e.input)).collect(),
        }
    }
}

/// A file written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportedFile {
    pub file: String,
    pub split: String,
    pub style: ExportStyle,
    pub rows: usize,
    pub sha256: String,
}

/// What an export wrote and left out.
#[derive(Debug, Default, serde::Serialize)]
pub struct ExportReport {
    pub files: Vec<ExportedFile>,
    /// Examples per split (and per nested subset), in order.
    pub examples: Vec<(String, usize)>,
    pub excluded: usize,
    pub superseded: usize,
    pub warnings: Vec<String>,
}

/// Splits, writes every style of every split (and the nested subsets), then the manifest and
/// the trainers' stanzas.
pub fn export_dir(store: &Store, task: &Task, plan: &ExportPlan, dir: &Path) -> Result<ExportReport, ExportError> {
    let (examples, warnings) = saved(store, task)?;
    let excluded: HashSet<String> = plan.exclude.iter().flat_map(|e| e.paragraphs.iter().cloned()).collect();
    let divided = split::divide(examples, &plan.shares, plan.seed, &excluded);
    let mut report = ExportReport {
        excluded: divided.excluded,
        superseded: divided.superseded,
        warnings,
        ..ExportReport::default()
    };
    let mut sets: Vec<(String, &[SavedExample])> = Vec::new();
    for (name, examples) in &divided.splits {
        sets.push((name.clone(), examples));
    }
    if let Some((first, examples)) = divided.splits.first() {
        for &size in &plan.sizes {
            if size > examples.len() {
                report.warnings.push(format!(
                    "--sizes {size}: the {first} split has only {} examples; not written",
                    examples.len()
                ));
                continue;
            }
            sets.push((format!("{first}-{size}"), &examples[..size]));
        }
    }
    for (name, examples) in &sets {
        report.examples.push((name.clone(), examples.len()));
        for &style in &plan.styles {
            let file = format!("{name}.{}.jsonl", style.name());
            let lines = rows(task, examples, style);
            let sha256 = write_lines(&dir.join(&file), &lines)?;
            report.files.push(ExportedFile {
                file,
                split: name.clone(),
                style,
                rows: lines.len(),
                sha256,
            });
        }
    }
    manifest::write(task, plan, &report, dir)?;
    Ok(report)
}
