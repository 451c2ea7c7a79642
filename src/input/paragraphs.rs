//! Paragraphs in: a directory of `.txt` files, one text file, JSONL `{"id", "text"}` (a file or
//! standard input, read line by line so a corpus of any size needs no more memory than a
//! line), or the papers' CSV/JSON/JSONL (read whole: they are small).

use super::filter::BlockFilter;
use super::papers;
use super::{InputKind, LineKind, kind_of};
use crate::dataset::table::InputError;
use crate::llm::run_line::RunLine;
use crate::place::Place;
use crate::task::Task;
use serde_json::Value as Json;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One paragraph to extract from.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub id: String,
    pub text: String,
    /// Where it sits in a paper, when it was read from one (or from `retort ingest`'s lines).
    pub place: Option<Place>,
}

/// Where paragraphs come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    File(PathBuf),
    /// JSONL on standard input (`--input -`).
    Stdin,
}

impl Source {
    pub fn from_arg(path: &Path) -> Source {
        if path.as_os_str() == "-" {
            Source::Stdin
        } else {
            Source::File(path.to_path_buf())
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Stdin => "standard input".into(),
        }
    }
}

/// Paragraphs as they are read (a bad line is an `Err` and the stream goes on), and how many
/// there are when that is cheap to know.
pub struct Paragraphs {
    pub items: Box<dyn Iterator<Item = Result<Paragraph, InputError>> + Send>,
    pub total: Option<usize>,
    /// Blocks of papers the filter passed over, by kind (counted where the input is read whole).
    pub passed_over: super::filter::PassedOver,
}

impl Paragraphs {
    /// Only the paragraphs after the first `skip`, and at most `limit` of them (a bad line does
    /// not count as a paragraph, and is still reported where it is read).
    pub fn window(self, skip: usize, limit: Option<usize>) -> Paragraphs {
        let limit = limit.unwrap_or(usize::MAX);
        let total = self.total.map(|t| t.saturating_sub(skip).min(limit));
        let (mut inner, mut seen) = (self.items, 0usize);
        // Stops reading at the first paragraph past the window.
        let items = std::iter::from_fn(move || {
            loop {
                match inner.next()? {
                    Err(e) => return Some(Err(e)),
                    Ok(paragraph) => {
                        seen += 1;
                        if seen > skip.saturating_add(limit) {
                            return None;
                        }
                        if seen > skip {
                            return Some(Ok(paragraph));
                        }
                    }
                }
            }
        });
        Paragraphs {
            items: Box::new(items),
            total,
            passed_over: self.passed_over,
        }
    }
}

/// Opens `source` for streaming the paragraphs `filter` keeps.
pub fn stream(source: &Source, task: &Task, filter: &BlockFilter) -> Result<Paragraphs, InputError> {
    let keep = {
        let filter = filter.clone();
        move |item: &Result<Paragraph, InputError>| item.as_ref().map_or(true, |p| filter.keeps(p))
    };
    let path = match source {
        Source::Stdin => {
            let reader = std::io::BufReader::new(std::io::stdin());
            return Ok(Paragraphs {
                items: Box::new(jsonl_lines(reader, PathBuf::from("<stdin>")).filter(keep)),
                total: None,
                passed_over: Default::default(),
            });
        }
        Source::File(path) => path,
    };
    let kind = kind_of(path)?;
    if let InputKind::Lines(LineKind::Paragraphs) = kind {
        let file = std::fs::File::open(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
        return Ok(Paragraphs {
            items: Box::new(jsonl_lines(std::io::BufReader::new(file), path.clone()).filter(keep)),
            // Counting what a filter keeps would read the file twice.
            total: filter.keeps_all().then(|| count_lines(path)).flatten(),
            passed_over: Default::default(),
        });
    }
    let (paragraphs, problems) = read_kind(path, kind, task)?;
    let (paragraphs, passed_over) = filter.split(paragraphs);
    let total = Some(paragraphs.len());
    let items = problems.into_iter().map(Err).chain(paragraphs.into_iter().map(Ok));
    Ok(Paragraphs {
        items: Box::new(items.collect::<Vec<_>>().into_iter()),
        total,
        passed_over,
    })
}

/// Non-blank lines of a JSONL file, without reading it.
fn count_lines(path: &Path) -> Option<usize> {
    let file = std::fs::File::open(path).ok()?;
    let mut count = 0;
    for line in std::io::BufReader::new(file).split(b'\n') {
        if line.ok()?.iter().any(|b| !b.is_ascii_whitespace()) {
            count += 1;
        }
    }
    Some(count)
}

/// `{"id", "text"}` lines; a missing id is the line number.
fn jsonl_lines(
    reader: impl BufRead + Send + 'static,
    name: PathBuf,
) -> impl Iterator<Item = Result<Paragraph, InputError>> + Send {
    reader.lines().enumerate().filter_map(move |(index, line)| {
        let number = index + 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => return Some(Err(InputError::new(&name, number, format!("cannot read: {e}")))),
        };
        // A byte order mark before the first line is no part of its JSON.
        let line = if number == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            &line
        };
        if line.trim().is_empty() {
            return None;
        }
        Some(paragraph_of(line, number, &name))
    })
}

fn paragraph_of(line: &str, number: usize, name: &Path) -> Result<Paragraph, InputError> {
    let row: Json =
        serde_json::from_str(line).map_err(|e| InputError::new(name, number, format!("not a JSON line: {e}")))?;
    let text = row
        .get("text")
        .and_then(Json::as_str)
        .ok_or_else(|| InputError::new(name, number, "expected a \"text\" string"))?;
    let id = match row.get("id") {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => number.to_string(),
    };
    // `retort ingest`'s lines carry where the block sits in its document.
    let place = serde_json::from_value::<Place>(row.clone()).ok();
    Ok(Paragraph {
        id,
        text: text.to_string(),
        place,
    })
}

/// Paragraphs and the problems met reading them (each naming file and line).
pub type Read = (Vec<Paragraph>, Vec<InputError>);

/// Reads every paragraph at once (the review queue, the papers' files): a `retort extract`
/// output gives its paragraphs too (the queue reads its runs itself).
pub fn read_paragraphs(path: &Path, task: &Task) -> Result<Read, InputError> {
    read_kind(path, kind_of(path)?, task)
}

/// Reads `path`, already found to hold `kind` (a file is looked at once).
fn read_kind(path: &Path, kind: InputKind, task: &Task) -> Result<Read, InputError> {
    match kind {
        InputKind::Directory => directory(path),
        InputKind::Paper(format) => {
            let documents = papers::read(path, format)?;
            Ok((
                documents.iter().flat_map(papers::Document::paragraphs).collect(),
                Vec::new(),
            ))
        }
        kind @ InputKind::Unsupported(_) => Err(InputError::new(path, 0, kind.describe())),
        InputKind::Text => Ok((vec![text_file(path)?], Vec::new())),
        InputKind::Lines(LineKind::Paragraphs) => {
            let file = std::fs::File::open(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
            let (mut out, mut problems) = (Vec::new(), Vec::new());
            for item in jsonl_lines(std::io::BufReader::new(file), path.to_path_buf()) {
                match item {
                    Ok(p) => out.push(p),
                    Err(e) => problems.push(e),
                }
            }
            Ok((out, problems))
        }
        InputKind::Lines(LineKind::ExtractOutput) => {
            let (lines, problems) = crate::dataset::table::read_jsonl(path)?;
            let mut problems = problems;
            let mut paragraphs = Vec::new();
            for (number, line) in lines {
                match serde_json::from_value::<RunLine>(line) {
                    Ok(run) => paragraphs.push(Paragraph {
                        id: run.id.unwrap_or_else(|| number.to_string()),
                        text: run.input,
                        place: run.place,
                    }),
                    Err(e) => problems.push(InputError::new(path, number, format!("not an extract line: {e}"))),
                }
            }
            Ok((paragraphs, problems))
        }
        // The papers' files of examples: their inputs are the paragraphs.
        InputKind::Lines(LineKind::Answers | LineKind::Other) | InputKind::Json | InputKind::Csv => {
            let (examples, problems) = super::read_examples(path, task)?;
            let paragraphs = examples
                .into_iter()
                .map(|e| Paragraph {
                    id: e.id,
                    text: e.input,
                    place: None,
                })
                .collect();
            Ok((paragraphs, problems))
        }
    }
}

/// A directory and those under it, in name order: each `.txt` file is one paragraph, each
/// paper gives its blocks; other files are left alone. A paper that cannot be read is a
/// problem, and the rest goes on.
fn directory(dir: &Path) -> Result<Read, InputError> {
    let walk = files_under(dir)?;
    let (mut paragraphs, mut problems) = (Vec::new(), walk.skipped);
    let mut names = papers::DocNames::default();
    for file in walk.files {
        let read = match kind_of(&file) {
            Ok(InputKind::Text) if file.extension().is_some_and(|x| x == "txt") => text_file(&file).map(|mut p| {
                p.id = names.claim(&p.id);
                (vec![p], Vec::new())
            }),
            Ok(InputKind::Paper(format)) => papers::read(&file, format).map(|mut documents| {
                documents.iter_mut().for_each(|d| {
                    names.rename(d);
                });
                (
                    documents.iter().flat_map(papers::Document::paragraphs).collect(),
                    Vec::new(),
                )
            }),
            // Only text files and papers are read from a directory.
            Ok(
                InputKind::Text
                | InputKind::Directory
                | InputKind::Lines(_)
                | InputKind::Json
                | InputKind::Csv
                | InputKind::Unsupported(_),
            ) => continue,
            Err(e) => Err(e),
        };
        match read {
            Ok((found, bad)) => {
                paragraphs.extend(found);
                problems.extend(bad);
            }
            Err(e) => problems.push(e),
        }
    }
    Ok((paragraphs, problems))
}

/// The files found under a directory, and what was passed over.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    /// Subdirectories that could not be read, and links back to a directory already walked (a
    /// cycle, or a second way to the same place), each with why.
    pub skipped: Vec<InputError>,
}

/// Every file under `dir`, depth first, in name order. Links are followed, each directory once
/// (by device and inode), so a link cycle ends; a subdirectory that cannot be read is skipped
/// and named, and the rest is walked. Only `dir` itself failing to be read is an error.
pub fn files_under(dir: &Path) -> Result<Walk, InputError> {
    use crate::atomic::identity;
    let mut walk = Walk::default();
    let mut seen = std::collections::HashSet::new();
    seen.extend(identity(dir));
    let first = sorted_entries(dir).map_err(|e| InputError::new(dir, 0, format!("cannot read the directory: {e}")))?;
    // A stack of entries still to visit, in reverse so that the first name comes off first.
    let mut pending: Vec<PathBuf> = first.into_iter().rev().collect();
    while let Some(entry) = pending.pop() {
        if !entry.is_dir() {
            walk.files.push(entry);
            continue;
        }
        if let Some(id) = identity(&entry)
            && !seen.insert(id)
        {
            let why = "a link to a directory already read (skipped, so a cycle ends)";
            walk.skipped.push(InputError::new(&entry, 0, why));
            continue;
        }
        match sorted_entries(&entry) {
            Ok(entries) => pending.extend(entries.into_iter().rev()),
            Err(e) => walk.skipped.push(InputError::new(
                &entry,
                0,
                format!("cannot read the directory (skipped): {e}"),
            )),
        }
    }
    Ok(walk)
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn text_file(path: &Path) -> Result<Paragraph, InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| InputError::new(path, 0, "not UTF-8 text; convert it first"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("paragraph")
        .to_string();
    Ok(Paragraph {
        id,
        text: text.trim_end_matches('\n').to_string(),
        place: None,
    })
}

#[cfg(test)]
mod window_tests {
    use super::*;

    fn numbered(items: Vec<Result<usize, usize>>) -> Paragraphs {
        let items = items.into_iter().map(|item| match item {
            Ok(n) => Ok(Paragraph {
                id: n.to_string(),
                text: String::new(),
                place: None,
            }),
            Err(line) => Err(InputError::new(Path::new("in.jsonl"), line, "bad")),
        });
        Paragraphs {
            items: Box::new(items.collect::<Vec<_>>().into_iter()),
            total: Some(5),
            passed_over: Default::default(),
        }
    }

    #[test]
    fn a_window_skips_and_limits_paragraphs_and_keeps_bad_lines_said() {
        let all = numbered(vec![Ok(1), Err(2), Ok(3), Ok(4), Ok(5), Ok(6)]);
        let window = all.window(1, Some(2));
        assert_eq!(window.total, Some(2));
        let seen: Vec<String> = window
            .items
            .map(|i| i.map_or_else(|e| format!("bad {}", e.line), |p| p.id))
            .collect();
        assert_eq!(seen, ["bad 2", "3", "4"]);
        let all = numbered(vec![Ok(1), Ok(2)]).window(0, None);
        assert_eq!(all.items.count(), 2);
    }
}
