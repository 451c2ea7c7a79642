//! Paragraphs in: a directory of `.txt` files, one text file, JSONL `{"id", "text"}` (a file or
//! standard input, read line by line so a corpus of any size needs no more memory than a
//! line), or the papers' CSV/JSON/JSONL (read whole: they are small).

use super::{InputKind, LineKind, kind_of};
use crate::dataset::table::InputError;
use crate::llm::run_line::RunLine;
use crate::task::Task;
use serde_json::Value as Json;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One paragraph to extract from.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub id: String,
    pub text: String,
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
}

/// Opens `source` for streaming.
pub fn stream(source: &Source, task: &Task) -> Result<Paragraphs, InputError> {
    let path = match source {
        Source::Stdin => {
            let reader = std::io::BufReader::new(std::io::stdin());
            return Ok(Paragraphs {
                items: Box::new(jsonl_lines(reader, PathBuf::from("<stdin>"))),
                total: None,
            });
        }
        Source::File(path) => path,
    };
    if kind_of(path)? == InputKind::Lines(LineKind::Paragraphs) {
        let file = std::fs::File::open(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
        return Ok(Paragraphs {
            items: Box::new(jsonl_lines(std::io::BufReader::new(file), path.clone())),
            total: count_lines(path),
        });
    }
    let (paragraphs, problems) = read_paragraphs(path, task)?;
    let total = Some(paragraphs.len());
    let items = problems.into_iter().map(Err).chain(paragraphs.into_iter().map(Ok));
    Ok(Paragraphs {
        items: Box::new(items.collect::<Vec<_>>().into_iter()),
        total,
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
        if line.trim().is_empty() {
            return None;
        }
        Some(paragraph_of(&line, number, &name))
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
    Ok(Paragraph {
        id,
        text: text.to_string(),
    })
}

/// Reads every paragraph at once (the review queue, the papers' files): a `retort extract`
/// output gives its paragraphs too (the queue reads its runs itself).
pub fn read_paragraphs(path: &Path, task: &Task) -> Result<(Vec<Paragraph>, Vec<InputError>), InputError> {
    match kind_of(path)? {
        InputKind::Directory => Ok((text_files(path)?, Vec::new())),
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
                    }),
                    Err(e) => problems.push(InputError::new(path, number, format!("not an extract line: {e}"))),
                }
            }
            Ok((paragraphs, problems))
        }
        _ => {
            let (examples, problems) = super::read_examples(path, task)?;
            let paragraphs = examples
                .into_iter()
                .map(|e| Paragraph {
                    id: e.id,
                    text: e.input,
                })
                .collect();
            Ok((paragraphs, problems))
        }
    }
}

/// The `.txt` files of a directory, in name order.
fn text_files(dir: &Path) -> Result<Vec<Paragraph>, InputError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| InputError::new(dir, 0, format!("cannot read the directory: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files.iter().map(|file| text_file(file)).collect()
}

fn text_file(path: &Path) -> Result<Paragraph, InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| InputError::new(path, 0, "not UTF-8 text; convert it first"))?;
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("paragraph")
        .to_string();
    Ok(Paragraph {
        id,
        text: text.trim_end_matches('\n').to_string(),
    })
}
