//! Output formats: one parser and one renderer per format, so that `render(parse(x)) == x` for
//! canonical text. Parsers are total: any input gives an [`Extraction`] or a [`FormatError`] with
//! a line and column, never a panic.

mod action;
mod delimited;
pub mod doping_english;
mod json;
pub mod json_style;
mod role_tags;

use crate::extraction::Extraction;
use serde::{Deserialize, Serialize};

pub use json_style::JsonStyle;
pub use role_tags::strip_tags;

/// How a task's answer is written. Options live beside the kind in the task file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Format {
    /// Values joined by a separator: `a | b | c`.
    Delimited { separator: String },
    /// The source sentence with inline tags: `<Role*text*Role>`.
    RoleTags,
    /// `ACTION parameters; ACTION ...`.
    ActionSequence,
    /// The NERRE doping sentences (`The host 'X' was doped with 'Y'.`), optionally with results
    /// and modifiers (English-extra).
    DopingEnglish,
    /// JSON whose objects are records and whose keys are fields.
    Json {
        style: JsonStyle,
        #[serde(default)]
        ensure_ascii: bool,
        #[serde(default)]
        top: JsonTop,
    },
}

/// Whether the JSON answer is a list of records or a single object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JsonTop {
    List,
    Object,
    #[default]
    Any,
}

/// How one field of a task is written and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    /// A colour name or `#rrggbb`, used for the field's spans and legend.
    pub color: String,
    /// Whether the values must appear verbatim in the source (grounded and flagged if not).
    #[serde(default = "yes")]
    pub verbatim: bool,
    /// Several values joined into one string with this separator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    /// The text that means "no value" (the MOF data's `NaN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// The field is a JSON list of strings.
    #[serde(default)]
    pub list: bool,
    /// The answer lists every mention, repeats included (the compound task): a value set or
    /// removed in the field editor offers the same for its other occurrences.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repeats: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("line {line}, column {column}: {message}")]
pub struct FormatError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl FormatError {
    /// An error at byte offset `at` of `text` (clamped, and moved back to a char boundary).
    pub fn at(text: &str, at: usize, message: impl Into<String>) -> FormatError {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        FormatError {
            line,
            column,
            message: message.into(),
        }
    }
}

impl Format {
    pub fn parse(&self, text: &str, fields: &[FieldSpec]) -> Result<Extraction, FormatError> {
        match self {
            Format::Delimited { separator } => Ok(delimited::parse(text, separator, field_name(fields, 0))),
            Format::RoleTags => role_tags::parse(text),
            Format::ActionSequence => action::parse(text),
            Format::DopingEnglish => doping_english::parse(text),
            Format::Json { top, .. } => json::parse(text, fields, *top),
        }
    }

    pub fn render(&self, extraction: &Extraction, fields: &[FieldSpec]) -> String {
        match self {
            Format::Delimited { separator } => delimited::render(extraction, separator),
            Format::RoleTags => role_tags::render(extraction),
            Format::ActionSequence => action::render(extraction),
            Format::DopingEnglish => doping_english::render(extraction),
            Format::Json {
                style,
                ensure_ascii,
                top,
            } => json::render(extraction, fields, *style, *ensure_ascii, *top),
        }
    }

    /// The text people edit: JSON over several lines with two-space indents and characters as
    /// they are; the other formats as written. It parses to the same extraction as `render`'s.
    pub fn render_for_editing(&self, extraction: &Extraction, fields: &[FieldSpec]) -> String {
        match self {
            Format::Json { top, .. } => json::render(extraction, fields, json_style::JsonStyle::Pretty, false, *top),
            _ => self.render(extraction, fields),
        }
    }

    /// A short name for listings.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Delimited { .. } => "delimited list",
            Format::RoleTags => "inline role tags",
            Format::ActionSequence => "action sequence",
            Format::DopingEnglish => "doping sentences",
            Format::Json { .. } => "JSON",
        }
    }
}

fn field_name(fields: &[FieldSpec], index: usize) -> &str {
    fields.get(index).map_or("value", |f| f.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_positions_count_chars_and_lines() {
        let e = FormatError::at("ab\nµc d", 6, "bad");
        assert_eq!((e.line, e.column), (2, 3));
        let e = FormatError::at("µ", 1, "inside a char");
        assert_eq!((e.line, e.column), (1, 1));
        assert_eq!(FormatError::at("", 99, "x").column, 1);
    }
}
