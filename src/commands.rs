//! The headless commands, each a thin driver of the library.

use crate::config::Paths;
use crate::dataset::export::{ExportStyle, write_export};
use crate::dataset::papers::read_examples;
use crate::dataset::store::{SavedExample, Store, new_id, now};
use crate::eval::{EvalRequest, OutputFormat, evaluate, render};
use crate::task::Registry;
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

pub fn registry(paths: &Paths) -> Registry {
    let registry = Registry::load(Some(&paths.tasks_dir()));
    for error in &registry.errors {
        eprintln!("warning: task file skipped: {error}");
        tracing::warn!("task file skipped: {error}");
    }
    registry
}

pub fn eval(
    paths: &Paths,
    task: &str,
    gold: Option<&Path>,
    predictions: &[PathBuf],
    format: OutputFormat,
    strict: bool,
) -> Result<()> {
    let registry = registry(paths);
    let task = registry.require(task).map_err(|e| anyhow!(e))?;
    let reports = evaluate(&EvalRequest {
        task,
        gold,
        predictions,
        strict,
    })
    .map_err(|e| anyhow!(e))?;
    for report in &reports {
        for skipped in report.skipped.iter().take(5) {
            eprintln!("skipped: {skipped}");
        }
        if report.skipped.len() > 5 {
            eprintln!("skipped {} more rows", report.skipped.len() - 5);
        }
    }
    print!("{}", render(&reports, format));
    Ok(())
}

pub fn tasks(paths: &Paths, show: Option<&str>) -> Result<()> {
    let registry = registry(paths);
    match show {
        Some(name) => {
            let task = registry.require(name).map_err(|e| anyhow!(e))?;
            print!("{}", toml::to_string_pretty(task).context("writing the task as TOML")?);
        }
        None => {
            let width = registry.tasks.iter().map(|t| t.name.len()).max().unwrap_or(0);
            for task in &registry.tasks {
                println!("{:width$}  {:16}  {}", task.name, task.format.name(), task.title);
            }
        }
    }
    Ok(())
}

pub fn export(paths: &Paths, task: &str, to: &Path, style: ExportStyle) -> Result<()> {
    let registry = registry(paths);
    let task = registry.require(task).map_err(|e| anyhow!(e))?;
    let store = Store::new(paths.examples_dir());
    let (examples, warnings) = store.read(&task.name)?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    if examples.is_empty() {
        bail!(
            "no saved examples for task {} in {}",
            task.name,
            store.path(&task.name).display()
        );
    }
    let count = write_export(task, &examples, style, to).with_context(|| format!("writing {}", to.display()))?;
    eprintln!("wrote {count} examples to {}", to.display());
    Ok(())
}

pub fn import(paths: &Paths, task: &str, files: &[PathBuf]) -> Result<()> {
    let registry = registry(paths);
    let task = registry.require(task).map_err(|e| anyhow!(e))?;
    let store = Store::new(paths.examples_dir());
    for file in files {
        let (examples, problems) = read_examples(file, task)?;
        for problem in problems.iter().take(5) {
            eprintln!("skipped: {problem}");
        }
        let mut saved = Vec::new();
        let mut unparsable = 0;
        for example in examples {
            let Some(answer) = example.gold else { continue };
            match task.parse_grounded(&answer, &example.input) {
                Ok(extraction) => saved.push(SavedExample {
                    id: new_id(),
                    task: task.name.clone(),
                    paragraph: example.input,
                    answer,
                    extraction,
                    runs: Vec::new(),
                    saved_at: now(),
                    provenance: format!("import:{}#{}", file.display(), example.id),
                }),
                Err(e) => {
                    unparsable += 1;
                    eprintln!("skipped {}: {e}", example.id);
                }
            }
        }
        store.append_all(&saved)?;
        eprintln!(
            "imported {} examples from {} into {} ({unparsable} unparsable)",
            saved.len(),
            file.display(),
            store.path(&task.name).display()
        );
    }
    Ok(())
}
