//! `retort ingest`: papers and patents (files or whole directories) into JSONL, one line per
//! block with its document, kind, section, offset and page; a summary per file on stderr.

use super::{Failure, config_error, exit};
use crate::cli::IngestArgs;
use crate::config::io_at;
use crate::input::papers::{self, Document, PaperFormat};
use crate::input::{BlockFilter, InputKind, Paragraph, kind_of};
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One line of `retort ingest`'s output (`retort extract --input` reads it back with its place).
#[derive(serde::Serialize)]
struct IngestLine<'a> {
    id: &'a str,
    #[serde(flatten)]
    place: &'a crate::place::Place,
    text: &'a str,
}

pub fn ingest(args: IngestArgs) -> Result<()> {
    let filter = args.filter.filter(None).map_err(config_error)?;
    let files = files_of(&args.paths)?;
    let mut out: Box<dyn Write> = match args.output.as_deref() {
        None => Box::new(std::io::BufWriter::new(crate::stdout::Stdout)),
        Some(path) if path.as_os_str() == "-" => Box::new(std::io::BufWriter::new(crate::stdout::Stdout)),
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(io_at("creating", path))?,
        )),
    };
    let output_name = args
        .output
        .as_deref()
        .map_or("standard output".into(), |p| p.display().to_string());
    let (mut written, mut skipped) = (0, 0);
    for file in &files {
        match read_file(file) {
            Ok(documents) => {
                for document in &documents {
                    let kept = write_document(&mut out, document, &filter)
                        .map_err(io_at("writing", Path::new(&output_name)))?;
                    written += kept;
                    eprintln!("{}", summary_line(file, document, kept));
                }
            }
            Err(why) => {
                skipped += 1;
                eprintln!("skipped {why}");
            }
        }
    }
    out.flush().map_err(io_at("writing", Path::new(&output_name)))?;
    eprintln!(
        "{written} blocks from {} file(s) to {output_name}{}",
        files.len() - skipped,
        if skipped > 0 {
            format!("; {skipped} skipped")
        } else {
            String::new()
        }
    );
    if skipped > 0 {
        return Err(Failure {
            code: exit::SOME_FAILED,
            message: format!("{skipped} of {} file(s) skipped (named above)", files.len()),
        }
        .into());
    }
    Ok(())
}

/// The files named, directories read recursively in name order.
fn files_of(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(crate::input::files_under(path).map_err(config_error)?);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(config_error(format!("{}: no such file or directory", path.display())));
        }
    }
    Ok(files)
}

/// A file's documents, or why it is skipped (naming the file).
fn read_file(file: &Path) -> Result<Vec<Document>, String> {
    let named = |why: String| format!("{}: {why}", file.display());
    let format = match kind_of(file).map_err(|e| e.to_string())? {
        InputKind::Paper(format) => format,
        InputKind::Text => PaperFormat::Text,
        InputKind::Unsupported(why) => return Err(named(why.to_string())),
        kind => return Err(named(format!("{}, not a paper", kind.describe()))),
    };
    let documents = papers::read(file, format).map_err(|e| e.to_string())?;
    if documents.iter().all(|d| d.blocks.is_empty()) {
        return Err(named(format!("{format} with no text in it")));
    }
    Ok(documents)
}

/// Writes the blocks `filter` keeps; returns how many.
fn write_document(out: &mut dyn Write, document: &Document, filter: &BlockFilter) -> std::io::Result<usize> {
    let mut kept = 0;
    for paragraph in document.paragraphs().iter().filter(|p| filter.keeps(p)) {
        let Paragraph { id, text, place } = paragraph;
        let Some(place) = place else { continue };
        let line = IngestLine { id, place, text };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
        kept += 1;
    }
    Ok(kept)
}

/// `paper.xml: 10.1234/x (JATS XML): 41 blocks — 1 title, 2 abstract, 9 heading, 29 paragraph`.
fn summary_line(file: &Path, document: &Document, kept: usize) -> String {
    let counts: Vec<String> = document
        .counts()
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    let pages = document.blocks.iter().filter_map(|b| b.page).max();
    let pages = pages.map_or(String::new(), |p| format!(", {p} pages"));
    let written = if kept == document.blocks.len() {
        String::new()
    } else {
        format!(" ({kept} kept by the filters)")
    };
    format!(
        "{}: {} ({}): {} blocks{written} — {}{pages}",
        file.display(),
        document.doc,
        document.format,
        document.blocks.len(),
        counts.join(", ")
    )
}
