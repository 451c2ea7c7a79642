//! `retort review FILE --summary`: a queue's decisions, speed and the model's measures against
//! the corrections, printed (the queue itself opens in the workbench).

use super::{config_error, setup};
use crate::cli::SummaryFormat;
use crate::config::Paths;
use crate::review::open::{Access, ReviewOptions, open_file};
use crate::stdout::{out, outln};
use anyhow::{Result, anyhow};
use std::path::Path;

pub fn review_summary(paths: &Paths, file: &Path, options: &ReviewOptions, format: SummaryFormat) -> Result<()> {
    let registry = setup(paths).registry;
    let opened = open_file(file, options, &registry.tasks, &paths.reviews_dir(), Access::Read).map_err(config_error)?;
    for problem in opened.problems.iter().take(10) {
        crate::stdout::errln!("skipped: {problem}");
    }
    if opened.problems.len() > 10 {
        crate::stdout::errln!("skipped {} more", opened.problems.len() - 10);
    }
    if let Some(said) = opened.passed_over.summary() {
        crate::stdout::errln!("{said}");
    }
    let task = registry.require(&opened.queue.task).map_err(config_error)?;
    let summary = crate::review::summary::summarize(&opened.queue, task);
    match format {
        SummaryFormat::Table => out!("{}", crate::review::summary::render_text(&summary))?,
        SummaryFormat::Json => outln!("{}", serde_json::to_string_pretty(&summary).map_err(|e| anyhow!(e))?)?,
    }
    Ok(())
}
