//! Grounded by construction: while a model writes a value its task marks verbatim, only text
//! that keeps the value a copy of the paragraph may be written; keys, punctuation and free-text
//! fields are left alone. The paragraph's substrings are a suffix automaton (`index`), a value
//! is checked byte by byte (`value`), the answer's format says which bytes are values
//! (`answer`). The embedded engine filters its candidate tokens with a [`Constraint`]; llama.cpp
//! servers get the same rule as a grammar (`gbnf`; for JSON tasks, joined with the task's schema
//! by `json_gbnf`).

mod answer;
pub mod gbnf;
mod index;
mod json_gbnf;
mod value;

pub use answer::{FieldRules, Shape};
pub use index::SourceIndex;
pub use value::ValueRules;

use super::profile::Mode;
use crate::format::Format;
use crate::task::{CopyWhitespace, Task};
use answer::AnswerState;
use serde::{Deserialize, Serialize};
use std::cell::Cell;

/// Whether verbatim values are held to the paragraph while they are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Grounding {
    /// Where the engine can: a verbatim value can only be copied from the paragraph.
    #[default]
    Strict,
    /// Values are written freely and checked against the paragraph afterwards.
    Off,
}

/// What a run's values were held to, as its record says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum GroundingUsed {
    /// Decoding could only copy verbatim values from the paragraph.
    Constrained,
    /// Values were written freely and checked afterwards (grounding off, or an engine or a
    /// format that cannot be constrained).
    #[default]
    Checked,
}

/// The copy rule of one request: the paragraph and the answer's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyRule {
    pub source: String,
    pub shape: Shape,
    /// How a copy may differ from the paragraph in whitespace (the task says).
    pub whitespace: CopyWhitespace,
}

impl CopyRule {
    /// The rule for `task`'s answers about `paragraph`, or `None` when the task's format has no
    /// verbatim values the engine can tell apart (inline tags, action sequences, the doping
    /// sentences). `stops` end the answer (a value may be followed by one).
    pub fn for_task(task: &Task, mode: Mode, paragraph: &str, stops: &[String]) -> Option<CopyRule> {
        let shape = match &task.format {
            Format::Delimited { separator } => {
                let field = task.fields.first().map(|f| f.name.as_str()).unwrap_or_default();
                if !task.is_verbatim(field) {
                    return None;
                }
                let mut enders: Vec<String> = stops.iter().filter(|s| !s.is_empty()).cloned().collect();
                let suffix = &task.prompt.fine_tuned.answer_suffix;
                if !suffix.is_empty() {
                    enders.push(suffix.clone());
                }
                Shape::Delimited(ValueRules {
                    separator: Some(separator.clone()).filter(|s| !s.is_empty()),
                    missing: None,
                    enders,
                    // Prompted answers are trimmed; a fine-tuned one is taken as written.
                    trailing_space: mode != Mode::FineTuned,
                })
            }
            Format::Json { .. } => Shape::Json(
                task.fields
                    .iter()
                    .map(|f| FieldRules {
                        key: f.name.clone(),
                        verbatim: f.verbatim,
                        separator: f.separator.clone().filter(|_| !f.list),
                        missing: f.missing.clone(),
                    })
                    .collect(),
            ),
            Format::RoleTags | Format::ActionSequence | Format::DopingEnglish => return None,
        };
        Some(CopyRule {
            source: paragraph.to_string(),
            shape,
            whitespace: task.copy_whitespace,
        })
    }
}

/// How much of `text` (a reply written under `rule`, then cut at the token limit or for
/// repeating itself) is a whole answer: its length up to the last place the rule let it end.
/// What follows (half a value, half a separator) is dropped from the answer, not from the reply.
pub fn whole_answer_len(rule: &CopyRule, text: &str) -> usize {
    let index = SourceIndex::with_whitespace(&rule.source, rule.whitespace);
    let mut state = AnswerState::new(&rule.shape);
    let mut last = 0;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        if !state.push(&index, &rule.shape, byte) {
            break;
        }
        if text.is_char_boundary(at + 1) && state.may_end(&rule.shape) {
            last = at + 1;
        }
    }
    last
}

/// A copy rule being applied to one answer as it is written.
pub struct Constraint {
    index: SourceIndex,
    shape: Shape,
    state: AnswerState,
    /// Calls of `allows` since the last token was taken in, and, once there were many (the
    /// whole vocabulary is being filtered), which first bytes the answer may go on with: most
    /// tokens are then refused by one look-up instead of a copy of the state.
    asked: Cell<u32>,
    first_bytes: Cell<Option<[bool; 256]>>,
}

/// After this many candidates in one step, the first bytes allowed are worked out once.
const MANY_CANDIDATES: u32 = 128;

impl Constraint {
    pub fn new(rule: &CopyRule) -> Constraint {
        Constraint {
            index: SourceIndex::with_whitespace(&rule.source, rule.whitespace),
            state: AnswerState::new(&rule.shape),
            shape: rule.shape.clone(),
            asked: Cell::new(0),
            first_bytes: Cell::new(None),
        }
    }

    /// Whether the answer may go on with `piece` (a token's bytes).
    pub fn allows(&self, piece: &[u8]) -> bool {
        let Some(&first) = piece.first() else { return true };
        if !self.first_byte_allowed(first) {
            return false;
        }
        let mut state = self.state.clone();
        piece.iter().all(|&b| state.push(&self.index, &self.shape, b))
    }

    fn first_byte_allowed(&self, byte: u8) -> bool {
        let asked = self.asked.get() + 1;
        self.asked.set(asked);
        if asked < MANY_CANDIDATES {
            return true;
        }
        let allowed = self.first_bytes.get().unwrap_or_else(|| {
            let mut allowed = [false; 256];
            for (b, slot) in allowed.iter_mut().enumerate() {
                *slot = self.state.clone().push(&self.index, &self.shape, b as u8);
            }
            self.first_bytes.set(Some(allowed));
            allowed
        });
        allowed[byte as usize]
    }

    /// Whether the answer may end here (the end-of-generation token).
    pub fn allows_end(&self) -> bool {
        self.state.may_end(&self.shape)
    }

    /// Takes in the piece written (one `allows` said yes to).
    pub fn accept(&mut self, piece: &[u8]) {
        for &b in piece {
            self.state.push(&self.index, &self.shape, b);
        }
        self.asked.set(0);
        self.first_bytes.set(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_answer_is_whole_up_to_its_last_whole_value() {
        let rule = CopyRule {
            source: "ZnO and Al2O3 and β-NaYF4".into(),
            shape: Shape::Delimited(ValueRules {
                separator: Some(" | ".into()),
                trailing_space: true,
                ..ValueRules::default()
            }),
            whitespace: CopyWhitespace::Exact,
        };
        let cut = |text: &'static str| &text[..whole_answer_len(&rule, text)];
        // Trimmed answers (prompted ones) may keep a space the trim takes off.
        assert_eq!(cut("ZnO | Al2O3 | "), "ZnO | Al2O3 ");
        assert_eq!(cut("ZnO | Al2O3 |"), "ZnO | Al2O3 ");
        assert_eq!(cut("ZnO | Al2O3"), "ZnO | Al2O3");
        assert_eq!(cut("ZnO | β"), "ZnO | β");
        assert_eq!(cut("ZnO | γ-Al2O3"), "ZnO ", "not a copy: the answer stops before it");
        assert_eq!(cut(""), "");
    }
}
