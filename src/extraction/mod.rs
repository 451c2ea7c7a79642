//! The one structured shape every output format parses into.
//!
//! An [`Extraction`] is an ordered list of records; a record is an ordered list of named fields;
//! a field holds values (text with an optional source span) or nested records. Views, alignment,
//! metrics and export only ever see this type.

mod edit;

pub use edit::Slot;

use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    pub records: Vec<Record>,
    /// For inline-tag formats: the untagged text the tags annotate. Spans of such values are
    /// offsets into this text, which is usually the source itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotated_text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub content: FieldContent,
    /// Written as a list (JSON array) even when it holds one value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub list: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldContent {
    Values(Vec<Value>),
    Records(Vec<Record>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    #[serde(default)]
    pub alignment: Alignment,
    /// How sure the model was, from its tokens' probabilities (0–1), when the engine gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// Where a value sits in the source: a byte range on char boundaries, and the same range in chars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub bytes: Range<usize>,
    pub chars: Range<usize>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Alignment {
    /// Grounding has not been run.
    #[default]
    Unchecked,
    Exact,
    CaseInsensitive,
    /// Equal after folding whitespace, dashes, invisible characters and NFKC.
    Normalized,
    Fuzzy {
        score: f64,
    },
    /// Not found in the source: shown, never hidden (often a hallucination).
    Unaligned,
    /// The field is not meant to appear verbatim in the source (e.g. action parameters).
    NotApplicable,
}

impl Span {
    pub fn from_bytes(source: &str, bytes: Range<usize>) -> Span {
        let start = source[..bytes.start].chars().count();
        let len = source[bytes.clone()].chars().count();
        Span {
            bytes,
            chars: start..start + len,
        }
    }
}

impl Value {
    pub fn new(text: impl Into<String>) -> Value {
        Value {
            text: text.into(),
            span: None,
            alignment: Alignment::Unchecked,
            confidence: None,
        }
    }
}

impl Field {
    pub fn values(name: impl Into<String>, values: Vec<Value>) -> Field {
        Field {
            name: name.into(),
            content: FieldContent::Values(values),
            list: false,
        }
    }

    pub fn texts<S: Into<String>>(name: impl Into<String>, texts: impl IntoIterator<Item = S>) -> Field {
        Field::values(name, texts.into_iter().map(Value::new).collect())
    }

    /// How many values the field holds, nested records' included.
    pub fn value_count(&self) -> usize {
        match &self.content {
            FieldContent::Values(values) => values.len(),
            FieldContent::Records(records) => records.iter().flat_map(|r| &r.fields).map(Field::value_count).sum(),
        }
    }

    /// The texts of a value field; empty for nested records.
    pub fn value_texts(&self) -> Vec<&str> {
        match &self.content {
            FieldContent::Values(values) => values.iter().map(|v| v.text.as_str()).collect(),
            FieldContent::Records(_) => Vec::new(),
        }
    }
}

impl Record {
    pub fn new(fields: Vec<Field>) -> Record {
        Record { fields }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The texts of a named field, or nothing when the field is absent.
    pub fn texts(&self, name: &str) -> Vec<&str> {
        self.field(name).map(Field::value_texts).unwrap_or_default()
    }
}

impl Extraction {
    pub fn from_records(records: Vec<Record>) -> Extraction {
        Extraction {
            records,
            annotated_text: None,
        }
    }

    /// Every value, depth first, with the name of the top-level field holding it (for nested
    /// records, the outermost field: its role decides colour and grounding).
    pub fn values(&self) -> Vec<(&str, &Value)> {
        let mut out = Vec::new();
        for record in &self.records {
            for field in &record.fields {
                collect_values(&field.name, field, &mut out);
            }
        }
        out
    }

    /// The record holding the `index`-th value (in [`Extraction::values`] order); the last
    /// record when there are fewer values.
    pub fn record_of_value(&self, index: usize) -> usize {
        let mut seen = 0;
        for (r, record) in self.records.iter().enumerate() {
            seen += record.fields.iter().map(|f| f.value_count()).sum::<usize>();
            if index < seen {
                return r;
            }
        }
        self.records.len().saturating_sub(1)
    }

    /// Mutable access to every value in the same order as [`Extraction::values`].
    pub fn values_mut(&mut self) -> Vec<(String, &mut Value)> {
        let mut out = Vec::new();
        for record in &mut self.records {
            for field in &mut record.fields {
                let top = field.name.clone();
                collect_values_mut(&top, field, &mut out);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.values().is_empty()
    }
}

fn collect_values<'a>(top: &'a str, field: &'a Field, out: &mut Vec<(&'a str, &'a Value)>) {
    match &field.content {
        FieldContent::Values(values) => out.extend(values.iter().map(|v| (top, v))),
        FieldContent::Records(records) => {
            for inner in records.iter().flat_map(|r| &r.fields) {
                collect_values(top, inner, out);
            }
        }
    }
}

fn collect_values_mut<'a>(top: &str, field: &'a mut Field, out: &mut Vec<(String, &'a mut Value)>) {
    match &mut field.content {
        FieldContent::Values(values) => out.extend(values.iter_mut().map(|v| (top.to_string(), v))),
        FieldContent::Records(records) => {
            for inner in records.iter_mut().flat_map(|r| &mut r.fields) {
                collect_values_mut(top, inner, out);
            }
        }
    }
}
