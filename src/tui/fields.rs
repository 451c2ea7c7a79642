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

/// Word spans of `text`: runs of non-space characters without the punctuation around them.
pub fn words(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let word = &text[s..i];
                let trimmed_end = word.trim_end_matches([',', ';', ':', '.', ')', ']']);
                let trimmed = trimmed_end.trim_start_matches(['(', '[']);
                if !trimmed.is_empty() {
                    let begin = s + (trimmed_end.len() - trimmed.len());
                    out.push(begin..begin + trimmed.len());
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}
