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
    let (files, walked_past) = files_of(&args.paths)?;
    if let Some(output) = args.output.as_deref() {
        crate::atomic::refuse_same_file(output, files.iter().map(|(file, _)| file.as_path())).map_err(config_error)?;
    }
    let mut out = Output::open(args.output.as_deref())?;
    let output_name = args
        .output
        .as_deref()
        .map_or("standard output".into(), |p| p.display().to_string());
    let (mut written, mut skipped) = (0, walked_past.len());
    for why in &walked_past {
        crate::stdout::errln!("skipped {why}");
    }
    let mut names = papers::DocNames::default();
    let mut passed_over = FilesPassedOver::default();
    for (file, found) in &files {
        match read_file(file, *found, args.all_text) {
            Ok(Read::Documents(mut documents)) => {
                for document in &mut documents {
                    let renamed = names.rename(document);
                    let kept = write_document(&mut out, document, &filter)
                        .map_err(io_at("writing", Path::new(&output_name)))?;
                    written += kept;
                    crate::stdout::errln!("{}", summary_line(file, document, kept));
                    if let Some(taken) = renamed {
                        crate::stdout::errln!(
                            "  named {}: an earlier document is already {taken} (ids stay unique)",
                            document.doc
                        );
                    }
                }
            }
            Ok(Read::FilesPassedOver(kind)) => passed_over.add(kind, file),
            Err(why) => {
                skipped += 1;
                crate::stdout::errln!("skipped {why}");
            }
        }
    }
    for line in passed_over.lines() {
        crate::stdout::errln!("{line}");
    }
    out.finish().map_err(io_at("writing", Path::new(&output_name)))?;
    let read = files.len() + walked_past.len() - skipped - passed_over.count();
    crate::stdout::errln!(
        "{written} blocks from {read} file(s) to {output_name}{}",
        if skipped > 0 {
            format!("; {skipped} skipped")
        } else {
            String::new()
        }
    );
    if skipped > 0 {
        return Err(Failure {
            code: exit::SOME_FAILED,
            message: format!(
                "{skipped} of {} file(s) and directories skipped (named above)",
                files.len() + walked_past.len()
            ),
        }
        .into());
    }
    Ok(())
}

/// Where the lines go: standard output, or a file that replaces the old one only when whole.
enum Output {
    Stdout(std::io::BufWriter<crate::stdout::Stdout>),
    File(std::io::BufWriter<crate::atomic::AtomicFile>),
}

impl Output {
    fn open(path: Option<&Path>) -> Result<Output> {
        Ok(match path {
            None => Output::Stdout(std::io::BufWriter::new(crate::stdout::Stdout)),
            Some(path) if path.as_os_str() == "-" => Output::Stdout(std::io::BufWriter::new(crate::stdout::Stdout)),
            Some(path) => Output::File(std::io::BufWriter::new(crate::atomic::AtomicFile::create(path)?)),
        })
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Output::Stdout(mut out) => out.flush(),
            Output::File(out) => out.into_inner().map_err(|e| e.into_error())?.commit(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::File(out) => out.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::File(out) => out.flush(),
        }
    }
}

/// How a file came to be read: named on the command line, or found in a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    Named,
    InDirectory,
}

type FoundFile = (PathBuf, Found);

/// The files named, directories read recursively in name order; and the subdirectories passed
/// over (unreadable, or a link back to one already read), each with why.
fn files_of(paths: &[PathBuf]) -> Result<(Vec<FoundFile>, Vec<crate::dataset::table::InputError>)> {
    let (mut files, mut skipped) = (Vec::new(), Vec::new());
    for path in paths {
        if path.is_dir() {
            let walk = crate::input::files_under(path).map_err(config_error)?;
            files.extend(walk.files.into_iter().map(|f| (f, Found::InDirectory)));
            skipped.extend(walk.skipped);
        } else if path.exists() {
            files.push((path.clone(), Found::Named));
        } else {
            return Err(config_error(format!("{}: no such file or directory", path.display())));
        }
    }
    Ok((files, skipped))
}

/// What came of a file: its documents, or a kind a directory's walk passes over.
enum Read {
    Documents(Vec<Document>),
    FilesPassedOver(&'static str),
}

/// A file's documents, or why it is skipped (naming the file). In a directory only papers and
/// `.txt` files are read (any text with `all_text`); what else is there is passed over by kind.
fn read_file(file: &Path, found: Found, all_text: bool) -> Result<Read, String> {
    let named = |why: String| format!("{}: {why}", file.display());
    let kind = kind_of(file).map_err(|e| e.to_string())?;
    let format = match kind {
        InputKind::Paper(format) => format,
        InputKind::Text if found == Found::Named || all_text || has_extension(file, "txt") => PaperFormat::Text,
        InputKind::Text => return Ok(Read::FilesPassedOver("text files not .txt (--all-text reads them)")),
        // A paper in a format Retort does not read (a Word file, a scan) is said with what to do.
        InputKind::Unsupported(why) => return Err(named(why.to_string())),
        kind @ (InputKind::Directory | InputKind::Lines(_) | InputKind::Json | InputKind::Csv) => match found {
            Found::Named => return Err(named(format!("{}, not a paper", kind.describe()))),
            Found::InDirectory => return Ok(Read::FilesPassedOver("data files (JSON, JSON lines, CSV), not papers")),
        },
    };
    let documents = papers::read(file, format).map_err(|e| e.to_string())?;
    if documents.iter().all(|d| d.blocks.is_empty()) {
        return Err(named(format!("{format} with no text in it")));
    }
    Ok(Read::Documents(documents))
}

fn has_extension(file: &Path, extension: &str) -> bool {
    file.extension().is_some_and(|x| x.eq_ignore_ascii_case(extension))
}

/// The files a directory's walk passed over, by kind, for the summary.
#[derive(Default)]
struct FilesPassedOver {
    by_kind: std::collections::BTreeMap<&'static str, Vec<String>>,
}

impl FilesPassedOver {
    fn add(&mut self, kind: &'static str, file: &Path) {
        let name = file
            .file_name()
            .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        self.by_kind.entry(kind).or_default().push(name);
    }

    fn count(&self) -> usize {
        self.by_kind.values().map(Vec::len).sum()
    }

    /// `passed over 2 text files not .txt (…): README.md, paper.tex`, the names cut after five.
    fn lines(&self) -> Vec<String> {
        self.by_kind
            .iter()
            .map(|(kind, names)| {
                let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
                let more = names.len().saturating_sub(5);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("passed over {} {kind}: {}{more}", names.len(), shown.join(", "))
            })
            .collect()
    }
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
        "{}: {} ({}): {} blocks{written} — {}{pages}{}",
        file.display(),
        document.doc,
        document.format,
        document.blocks.len(),
        counts.join(", "),
        little_read(file, document)
    )
}

/// A note when a large markup file gave little text: the reader may not know its layout.
fn little_read(file: &Path, document: &Document) -> String {
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    let text: usize = document.blocks.iter().map(|b| b.text.len()).sum();
    let markup = !matches!(
        document.format,
        PaperFormat::Pdf | PaperFormat::Text | PaperFormat::UsptoAps
    );
    if markup && size >= LARGE_FILE && (text as u64) * 100 < size * LITTLE_PERCENT {
        format!(
            "; note: only {text} characters of text from {size} bytes (under {LITTLE_PERCENT} %): check it is {}",
            document.format
        )
    } else {
        String::new()
    }
}

/// A markup file this large whose text is under this share of it gets a note.
const LARGE_FILE: u64 = 100 * 1024;
const LITTLE_PERCENT: u64 = 2;
