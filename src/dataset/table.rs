//! Reading the files the papers ship and Retort writes: CSV with a header, JSON, JSONL. Every
//! row keeps its line number so that errors can name it.

use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::Path;

/// A problem with one input file, naming the file and line (line 0: the whole file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", if *line == 0 { String::new() } else { format!(":{line}") })]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl InputError {
    pub fn new(file: &Path, line: usize, message: impl Into<String>) -> InputError {
        InputError {
            file: file.display().to_string(),
            line,
            message: message.into(),
        }
    }
}

/// One CSV row: its 1-based line number, its 0-based place among the file's rows (bad rows
/// counted, so that it does not move when one is skipped) and its cells by column name.
#[derive(Debug, Clone)]
pub struct CsvRow {
    pub line: usize,
    pub index: usize,
    pub cells: HashMap<String, String>,
}

impl CsvRow {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(String::as_str)
    }
}

/// A whole CSV file with its header.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub columns: Vec<String>,
    pub rows: Vec<CsvRow>,
}

impl CsvTable {
    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// Fails with the missing column's name and the columns the file has.
    pub fn require(&self, path: &Path, columns: &[&str]) -> Result<(), InputError> {
        for column in columns {
            if !self.has(column) {
                return Err(InputError::new(
                    path,
                    1,
                    format!("missing column {column:?}; the file has {}", self.columns.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

/// A file's bytes, without the UTF-8 byte order mark some editors put first (it would stay in the
/// first column's name or the first line's key).
fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    let mut bytes = std::fs::read(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    Ok(bytes)
}

fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        InputError::new(path, line, "not UTF-8 text; convert the file to UTF-8 first")
    })
}

/// A CSV file with a header. A row that cannot be taken (a cell count other than the header's,
/// text that is not UTF-8, broken quoting) is skipped and named in the second list.
pub fn read_csv(path: &Path) -> Result<(CsvTable, Vec<InputError>), InputError> {
    let bytes = read_bytes(path)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::new(path, 1, format!("bad CSV header: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (index, record) in reader.byte_records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                bad.push(InputError::new(path, line, format!("bad CSV row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != columns.len() {
            let message = format!("the row has {} cells, the header {}", record.len(), columns.len());
            bad.push(InputError::new(path, line, message));
            continue;
        }
        let cells: Result<Vec<String>, _> = record.iter().map(|c| String::from_utf8(c.to_vec())).collect();
        match cells {
            Ok(cells) => rows.push(CsvRow {
                line,
                index,
                cells: columns.iter().cloned().zip(cells).collect(),
            }),
            Err(_) => bad.push(InputError::new(path, line, "not UTF-8 text")),
        }
    }
    Ok((CsvTable { columns, rows }, bad))
}

pub fn read_json(path: &Path) -> Result<Json, InputError> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| InputError::new(path, e.line(), format!("invalid JSON: {e}")))
}

/// Every non-blank line of a JSONL file with its line number; a line that is not JSON is an error
/// in the second list (the caller decides whether that is fatal).
/// JSON lines with their line numbers.
pub type JsonLines = Vec<(usize, Json)>;

pub fn read_jsonl(path: &Path) -> Result<(JsonLines, Vec<InputError>), InputError> {
    let bytes = read_bytes(path)?;
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let Ok(line) = std::str::from_utf8(line) else {
            bad.push(InputError::new(path, i + 1, "not UTF-8 text"));
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(value) => rows.push((i + 1, value)),
            Err(e) => bad.push(InputError::new(path, i + 1, format!("not a JSON line: {e}"))),
        }
    }
    Ok((rows, bad))
}
