//! The field editor's data: the extraction being corrected, one record's rows, the words of the
//! source being chosen. Pure functions of it; `form` handles the keys.

use crate::extraction::{Extraction, FieldContent};
use crate::format::Format;
use crate::side::Side;
use crate::task::Task;
use ratatui_textarea::TextArea;
use std::ops::Range;

pub struct FormState {
    pub extraction: Extraction,
    /// The run the correction started from.
    pub from: Side,
    /// The record shown.
    pub record: usize,
    /// The highlighted row of that record.
    pub row: usize,
    /// A value being typed.
    pub input: Option<TextArea<'static>>,
    /// Words of the source being chosen as the value.
    pub selecting: Option<Selection>,
    /// The same change offered for a value's other occurrences (`repeats`), until the next command.
    pub repeats: Option<Repeats>,
}

/// What `+` would do to the other occurrences of the value just set or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeats {
    /// Add these places of the paragraph as values of `field`.
    Add {
        record: usize,
        field: String,
        spans: Vec<Range<usize>>,
    },
    /// Remove the values of `field` whose text is `text` (normalised).
    Remove { record: usize, field: String, text: String },
}

/// One line of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Value {
        field: String,
        index: usize,
    },
    /// Room for one more value of the field (its first, when it has none).
    Add {
        field: String,
    },
    /// A field of nested records (doping JSON links): edited as text.
    Nested {
        field: String,
    },
}

impl Row {
    pub fn field(&self) -> &str {
        match self {
            Row::Value { field, .. } | Row::Add { field } | Row::Nested { field } => field,
        }
    }
}

/// A run of whole words of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub words: Vec<Range<usize>>,
    pub first: usize,
    pub last: usize,
    /// A search in the source (`/`), typed or done.
    pub search: Option<Search>,
    /// A count typed before a motion (`3w`: three words on), as vi counts.
    pub count: Option<usize>,
    /// `f`, `F`, `t`, `s` or `S` pressed: the next key is a letter or a label.
    pub awaiting: Option<ToLetter>,
}

/// A motion to a word that begins with a letter, or that wears a label, waiting for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToLetter {
    pub motion: LetterMotion,
    /// The count typed before it: the nth such word.
    pub times: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterMotion {
    /// `f`: the selection moves to the next word that begins with the letter.
    Next,
    /// `F`: to the previous one.
    Previous,
    /// `t`: the selection's end grows to the next one.
    Extend,
    /// `s`: the words around the selection wear labels (`LABELS`); the selection moves to the
    /// word whose label is typed.
    Label,
    /// `S`: the words after it wear labels; the selection's end grows to the one typed.
    LabelExtend,
}

/// The labels `s` and `S` put on the words around the selection, nearest first: the home row,
/// then the rows above and below, then the same in capitals.
pub const LABELS: &str = "asdfghjklqwertyuiopzxcvbnmASDFGHJKLQWERTYUIOPZXCVBNM";

/// The words `s`/`S` label, as (word index, label), when they wait for one.
pub fn labelled(selection: &Selection) -> Vec<(usize, char)> {
    match selection.awaiting.map(|a| a.motion) {
        Some(LetterMotion::Label) => labels(selection, false),
        Some(LetterMotion::LabelExtend) => labels(selection, true),
        _ => Vec::new(),
    }
}

/// The words around the selection with their labels, nearest first: for `s` the words after
/// and before it in turn, for `S` (growing the selection) the words after it.
pub fn labels(selection: &Selection, extend: bool) -> Vec<(usize, char)> {
    let mut after = selection.last + 1..selection.words.len();
    let mut before = (0..selection.first).rev();
    let words: Vec<usize> = if extend {
        after.collect()
    } else {
        let mut words = Vec::new();
        loop {
            let (a, b) = (after.next(), before.next());
            if a.is_none() && b.is_none() {
                break words;
            }
            words.extend(a.into_iter().chain(b));
        }
    };
    words.into_iter().zip(LABELS.chars()).collect()
}

/// What `/` looks for in the source, and where it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    /// Keys type into the query until Enter; then `n`/`N` step through its matches.
    pub typing: bool,
    /// The word the search started from: the query's matches are looked for from there.
    pub origin: usize,
}

impl Selection {
    pub fn bytes(&self) -> Range<usize> {
        self.words[self.first].start..self.words[self.last].end
    }
}

/// The rows of `record`: the task's fields in order (then any others the record has); a field
/// that holds several values gets a row per value and one to add another.
pub fn rows(task: &Task, extraction: &Extraction, record: usize) -> Vec<Row> {
    let Some(fields) = extraction.records.get(record).map(|r| &r.fields) else {
        return Vec::new();
    };
    let mut names: Vec<&str> = task.fields.iter().map(|f| f.name.as_str()).collect();
    names.extend(
        fields
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| task.field(n).is_none()),
    );
    let mut rows = Vec::new();
    for name in names {
        let field = fields.iter().find(|f| f.name == name);
        if let Some(FieldContent::Records(_)) = field.map(|f| &f.content) {
            rows.push(Row::Nested { field: name.into() });
            continue;
        }
        let count = extraction.field_values(record, name).len();
        rows.extend((0..count).map(|index| Row::Value {
            field: name.into(),
            index,
        }));
        if count == 0 || holds_many(task, name) {
            rows.push(Row::Add { field: name.into() });
        }
    }
    rows
}

/// Whether a field takes several values: a JSON list, a separated string, or any field of a
/// format that is not JSON (lists of compounds, roles, statements).
pub fn holds_many(task: &Task, field: &str) -> bool {
    let spec = task.field(field);
    !matches!(task.format, Format::Json { .. }) || spec.is_some_and(|s| s.list || s.separator.is_some())
}

/// Word spans of `text`: runs of non-space characters without the punctuation around them, split
/// again at the separators chemists write between names (`ethyl acetate/hexane=50:50`, `NaH/THF`)
/// outside brackets, never at a name's own hyphens and commas (`2,4-dinitro`, `N,N-dimethyl`). A
/// bracket stays when it belongs to the word (`(S)-2-amino`, `Cu(NO3)2`), goes when it only
/// encloses it (`(THF)`, `acid),`).
pub fn words(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                if let Some(range) = trim_word(text, s..i) {
                    out.extend(split_at_separators(text, range).filter_map(|r| trim_word(text, r)));
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// English words a name is joined to by a hyphen (`ice-cooling`, `NH4Cl-solution`, `Zn-free`):
/// the name before the hyphen is a word of its own.
const JOINED_WORDS: [&str; 16] = [
    "cooling",
    "cooled",
    "cold",
    "free",
    "type",
    "containing",
    "solution",
    "bath",
    "gel",
    "saturated",
    "treated",
    "based",
    "derived",
    "like",
    "rich",
    "supported",
];

/// The pieces of a word between `/`, `=`, `:` and `;` that stand outside its brackets; before a
/// bracket glued to a name that holds a quantity or a state (`compound(0.1 g)`, `NaHCO3(aq)`); and
/// at a hyphen that joins a name to an English word (`ice-cooling`).
fn split_at_separators(text: &str, range: Range<usize>) -> impl Iterator<Item = Range<usize>> {
    let mut pieces = Vec::new();
    let (mut depth, mut from) = (0i32, range.start);
    let word = &text[range.clone()];
    for (i, c) in word.char_indices() {
        let at = range.start + i;
        match c {
            '(' if depth == 0 && i > 0 && glued_quantity(&word[..i], &text[at..]) => {
                pieces.push(from..at);
                from = at;
                depth += 1;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '/' | '=' | ':' | ';' if depth == 0 => {
                pieces.push(from..at);
                from = at + c.len_utf8();
            }
            '-' if depth == 0 && i > 0 && joins_english(&word[i + 1..]) => {
                pieces.push(from..at);
                from = at + 1;
            }
            _ => {}
        }
    }
    pieces.push(from..range.end);
    pieces.into_iter().filter(|r| !r.is_empty())
}

/// Whether the bracket that opens `rest` (the text from it on) right after `before` holds a
/// quantity (`(0.1 g)`) or a state (`(aq)`) rather than part of the name (`Pd(dppf)`, `(S)`).
fn glued_quantity(before: &str, rest: &str) -> bool {
    let inside = rest[1..]
        .split(')')
        .next()
        .unwrap_or("")
        .chars()
        .take(40)
        .collect::<String>();
    let after_name = before.chars().next_back().is_some_and(|c| c.is_alphanumeric());
    let quantity = inside.starts_with(|c: char| c.is_ascii_digit()) && inside.contains(' ');
    after_name && (quantity || inside == "aq")
}

/// Whether the rest of a word after a hyphen is one of [`JOINED_WORDS`] (and nothing more).
fn joins_english(rest: &str) -> bool {
    let rest = rest.trim_end_matches([',', '.', ';', ':', ')']);
    JOINED_WORDS.iter().any(|w| rest.eq_ignore_ascii_case(w))
}

/// The word in `range` without the punctuation around it that is not its own.
fn trim_word(text: &str, mut range: Range<usize>) -> Option<Range<usize>> {
    let balance = |word: &str| {
        let opened = word.matches(['(', '[']).count() as i64;
        opened - word.matches([')', ']']).count() as i64
    };
    loop {
        let word = &text[range.clone()];
        let last = word.chars().next_back()?;
        let first = word.chars().next()?;
        if matches!(last, ',' | ';' | ':' | '.') || (matches!(last, ')' | ']') && balance(word) < 0) {
            range.end -= last.len_utf8();
        } else if matches!(first, '(' | '[') && balance(word) > 0 {
            range.start += first.len_utf8();
        } else if matches!(first, '(' | '[') && matches!(last, ')' | ']') && encloses(word) {
            range = range.start + 1..range.end - 1;
        } else {
            return Some(range);
        }
    }
}

/// Whether the word's first bracket closes at its last character (`(THF)`, not `(S)-x(y)`).
fn encloses(word: &str) -> bool {
    let mut depth = 0;
    for (i, c) in word.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return i + c.len_utf8() == word.len();
        }
    }
    false
}
