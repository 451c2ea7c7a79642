//! Files in: what a file holds is decided here, once, from its content (and `.csv` from its
//! name), and each kind has one reader. Extract, review, eval, import and the workbench all ask
//! `kind_of` and read through this module. ARCHITECTURE.md, "Add an input format", says how a
//! new kind joins.

pub mod filter;
pub mod papers;
mod paragraphs;

pub use filter::BlockFilter;
pub use papers::PaperFormat;
pub use paragraphs::{Paragraph, Paragraphs, Source, Walk, files_under, read_paragraphs, stream};

use crate::dataset::papers as example_files;
use crate::dataset::papers::ExampleFile;
use crate::dataset::table::InputError;
use crate::llm::run_line::RunLine;
use crate::task::Task;
use serde_json::Value as Json;
use std::io::{BufRead, Read};
use std::path::Path;

/// What a file (or directory) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A directory: its `.txt` files, one paragraph each.
    Directory,
    /// JSON lines; their first line says what they are.
    Lines(LineKind),
    /// One JSON document (the NERRE doping files).
    Json,
    /// A CSV table with a header (the papers' files, the notebooks' predictions).
    Csv,
    /// A paper or patent: its blocks are the paragraphs.
    Paper(PaperFormat),
    /// A format Retort recognises but does not read (the reason says which, and what to do).
    Unsupported(&'static str),
    /// Anything else: one paragraph of plain text.
    Text,
}

/// What a file of JSON lines holds, from its first line's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `retort extract` output: paragraphs with the runs made on them (`RunLine`).
    ExtractOutput,
    /// `{"id", "text", "answer"}`: gold examples for any task.
    Answers,
    /// `{"id", "text"}`: paragraphs to extract from.
    Paragraphs,
    /// Anything else: prompt/completion training lines or prediction lines, as the reader asks.
    Other,
}

impl InputKind {
    /// The file of examples this kind is, if it can be one.
    pub fn example_file(self) -> Option<ExampleFile> {
        match self {
            InputKind::Csv => Some(ExampleFile::Csv),
            InputKind::Json => Some(ExampleFile::DopingJson),
            InputKind::Lines(LineKind::Answers) => Some(ExampleFile::Answers),
            InputKind::Lines(LineKind::Other) => Some(ExampleFile::PromptCompletion),
            InputKind::Lines(LineKind::ExtractOutput | LineKind::Paragraphs) => None,
            InputKind::Directory | InputKind::Paper(_) | InputKind::Unsupported(_) | InputKind::Text => None,
        }
    }

    /// How `--help` and errors name the kind.
    pub fn describe(self) -> &'static str {
        match self {
            InputKind::Directory => "a directory of .txt files",
            InputKind::Lines(LineKind::ExtractOutput) => "a `retort extract` output",
            InputKind::Lines(LineKind::Answers) => "JSONL of {\"id\", \"text\", \"answer\"}",
            InputKind::Lines(LineKind::Paragraphs) => "JSONL of {\"id\", \"text\"}",
            InputKind::Lines(LineKind::Other) => "JSON lines",
            InputKind::Json => "a JSON document",
            InputKind::Csv => "a CSV table",
            InputKind::Paper(format) => format.into(),
            InputKind::Unsupported(why) => why,
            InputKind::Text => "plain text",
        }
    }

    /// Whether the workbench opens it as a review queue (a file of many paragraphs; the queue
    /// also says why a file it cannot read is refused) rather than as one paragraph.
    pub fn holds_many(self) -> bool {
        match self {
            InputKind::Directory
            | InputKind::Lines(_)
            | InputKind::Json
            | InputKind::Csv
            | InputKind::Paper(_)
            | InputKind::Unsupported(_) => true,
            InputKind::Text => false,
        }
    }

    /// Whether it is a `retort extract` output.
    pub fn is_extract_output(self) -> bool {
        match self {
            InputKind::Lines(LineKind::ExtractOutput) => true,
            InputKind::Lines(LineKind::Answers | LineKind::Paragraphs | LineKind::Other)
            | InputKind::Directory
            | InputKind::Json
            | InputKind::Csv
            | InputKind::Paper(_)
            | InputKind::Unsupported(_)
            | InputKind::Text => false,
        }
    }
}

/// What is said of XML that is none of the formats read.
static UNKNOWN_XML: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "XML of a kind Retort does not read (it reads {})",
        papers::xml_formats()
    )
});

const UTF16: &str = "UTF-16 text (or binary), which Retort does not read; convert it to UTF-8 first, e.g. `iconv -f UTF-16 -t UTF-8 in.xml > out.xml`";

/// How much of a file is looked at to decide its kind.
const SNIFF_BYTES: u64 = 1 << 20;

/// What `path` holds. Only its beginning is read.
pub fn kind_of(path: &Path) -> Result<InputKind, InputError> {
    if path.is_dir() {
        return Ok(InputKind::Directory);
    }
    let file = std::fs::File::open(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    let mut head = Vec::new();
    std::io::BufReader::new(file)
        .take(SNIFF_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    Ok(if is_csv { InputKind::Csv } else { kind_of_text(&head) })
}

/// The kind of a file that begins with `head` (its name aside).
pub fn kind_of_text(head: &[u8]) -> InputKind {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // UTF-16 (a byte order mark, or the zero bytes of ASCII in it) reads as nothing useful.
    let zero_bytes = head.iter().take(512).any(|b| *b == 0) && !head.starts_with(b"%PDF-");
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") || zero_bytes {
        return InputKind::Unsupported(UTF16);
    }
    let first = head.lines().map_while(Result::ok).find(|l| !l.trim().is_empty());
    let Some(first) = first else {
        return InputKind::Text;
    };
    let trimmed = first.trim_start();
    if trimmed.starts_with("%PDF-") {
        return InputKind::Paper(PaperFormat::Pdf);
    }
    if trimmed.starts_with('<') {
        let text = String::from_utf8_lossy(head);
        return match papers::format_of(&text) {
            Some(format) => InputKind::Paper(format),
            None if papers::looks_like_xml(&text) => InputKind::Unsupported(UNKNOWN_XML.as_str()),
            None => InputKind::Text,
        };
    }
    if trimmed == "PATN" || trimmed.starts_with("HHHHHT") {
        let text = String::from_utf8_lossy(head);
        if papers::is_aps(&text) {
            return InputKind::Paper(PaperFormat::UsptoAps);
        }
    }
    if trimmed.starts_with('[') {
        return InputKind::Json;
    }
    if !trimmed.starts_with('{') {
        return InputKind::Text;
    }
    match serde_json::from_str::<Json>(&first) {
        Ok(line @ Json::Object(_)) => InputKind::Lines(line_kind(&line)),
        // An object over several lines is one document.
        _ => InputKind::Json,
    }
}

fn line_kind(line: &Json) -> LineKind {
    let has = |key: &str| line.get(key).is_some();
    if RunLine::is_one(line) {
        LineKind::ExtractOutput
    } else if has("text") && has("answer") {
        LineKind::Answers
    } else if has("text") {
        LineKind::Paragraphs
    } else {
        LineKind::Other
    }
}

/// The gold examples of `task` in `path`, whichever of the papers' shapes it has.
pub fn read_examples(path: &Path, task: &Task) -> Result<example_files::Read, InputError> {
    let kind = kind_of(path)?;
    let Some(file) = kind.example_file() else {
        let message = format!(
            "this is {}, not a file of examples; expected the papers' CSV, JSON or JSONL, or {{\"id\", \"text\", \"answer\"}} lines",
            kind.describe()
        );
        return Err(InputError::new(path, 0, message));
    };
    example_files::read_examples(path, file, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_content() {
        let lines = |text: &str| kind_of_text(text.as_bytes());
        assert_eq!(
            lines("{\"id\": \"a\", \"text\": \"THF\"}\n"),
            InputKind::Lines(LineKind::Paragraphs)
        );
        assert_eq!(
            lines("\n{\"id\": 1, \"text\": \"THF\", \"answer\": \"THF\"}"),
            InputKind::Lines(LineKind::Answers)
        );
        assert_eq!(
            lines("{\"id\": \"a\", \"input\": \"THF\", \"raw\": \"THF\"}"),
            InputKind::Lines(LineKind::ExtractOutput)
        );
        assert_eq!(
            lines("{\"prompt\": \"p\", \"completion\": \"c\"}"),
            InputKind::Lines(LineKind::Other)
        );
        assert_eq!(lines("[{\"doi\": \"x\"}]"), InputKind::Json);
        assert_eq!(lines("{\n  \"doi\": \"x\"\n}"), InputKind::Json);
        assert_eq!(
            lines("\u{feff}{\"text\": \"a\"}"),
            InputKind::Lines(LineKind::Paragraphs)
        );
        assert_eq!(lines("The solution of {x} was stirred."), InputKind::Text);
        assert_eq!(lines(""), InputKind::Text);
    }
}
