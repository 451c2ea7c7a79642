//! A whole answer being written, byte by byte, in its task's format: the delimited list is one
//! value cut by its separator; JSON is scanned (no recursion: an explicit, bounded stack of the
//! objects and lists it is in) so that each string value of a verbatim field is checked as the
//! characters it stands for (`\"`, `\\`, `\u00e9` decoded) while keys, punctuation and other
//! fields pass untouched.

use super::index::SourceIndex;
use super::value::{ValueRules, ValueState};
use std::sync::Arc;

/// How the answer is laid out, and what each of its values may be.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// The whole answer is one value: pieces joined by a separator.
    Delimited(ValueRules),
    /// JSON whose string values of verbatim fields are copies.
    Json(Vec<FieldRules>),
}

/// One field of a JSON task, by key.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRules {
    pub key: String,
    pub verbatim: bool,
    pub separator: Option<String>,
    pub missing: Option<String>,
}

/// Deeper JSON than this is not followed: the values in it are left to the grammar.
const DEEPEST: usize = 16;
/// Keys longer than this are not field names.
const LONGEST_KEY: usize = 256;

#[derive(Debug, Clone)]
pub enum AnswerState {
    Delimited(ValueState),
    Json(JsonState),
}

impl AnswerState {
    pub fn new(shape: &Shape) -> AnswerState {
        match shape {
            Shape::Delimited(rules) => AnswerState::Delimited(ValueState::new(rules)),
            Shape::Json(_) => AnswerState::Json(JsonState::default()),
        }
    }

    /// Takes in one byte of the answer; false when no answer the shape allows starts so.
    pub fn push(&mut self, index: &SourceIndex, shape: &Shape, byte: u8) -> bool {
        match (self, shape) {
            (AnswerState::Delimited(value), Shape::Delimited(rules)) => value.push(index, rules, byte),
            (AnswerState::Json(json), Shape::Json(fields)) => json.push(index, fields, byte),
            _ => false,
        }
    }

    /// Whether the answer may end here.
    pub fn may_end(&self, shape: &Shape) -> bool {
        match (self, shape) {
            (AnswerState::Delimited(value), Shape::Delimited(rules)) => value.may_end(rules),
            (AnswerState::Json(json), Shape::Json(_)) => json.may_end(),
            _ => false,
        }
    }
}

/// What a JSON value at some place is held to: a verbatim field's rules, or `None` (not
/// checked). Shared, not copied: the state is cloned for every candidate token.
type Place = Option<Arc<ValueRules>>;

#[derive(Debug, Clone)]
enum Frame {
    Object {
        expecting_key: bool,
        /// Whether the keys of this object are checked (no enclosing field is free text).
        checked: bool,
        value: Place,
    },
    List {
        item: Place,
    },
}

#[derive(Debug, Clone, Default)]
enum Text {
    /// Between strings: punctuation, numbers, literals.
    #[default]
    Outside,
    Key {
        raw: Vec<u8>,
        escaped: bool,
    },
    Value {
        /// The value so far and its rules, for a verbatim field's value.
        checked: Option<(ValueState, Arc<ValueRules>)>,
        escape: Escape,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
enum Escape {
    #[default]
    None,
    /// After a backslash.
    Started,
    /// A `\u` escape: what was written after the first backslash (`u00e`, `ud83d\ude0`).
    Unicode(String),
}

#[derive(Debug, Clone, Default)]
pub struct JsonState {
    stack: Vec<Frame>,
    /// Frames past `DEEPEST` that were not pushed.
    too_deep: usize,
    text: Text,
}

impl JsonState {
    fn push(&mut self, index: &SourceIndex, fields: &[FieldRules], byte: u8) -> bool {
        match std::mem::take(&mut self.text) {
            Text::Outside => {
                self.structural(byte);
                true
            }
            Text::Key { mut raw, escaped } => {
                if byte == b'"' && !escaped {
                    self.key_ended(fields, &raw);
                    return true;
                }
                if raw.len() < LONGEST_KEY {
                    raw.push(byte);
                }
                let escaped = byte == b'\\' && !escaped;
                self.text = Text::Key { raw, escaped };
                true
            }
            Text::Value { checked, escape } => self.value_byte(index, checked, escape, byte),
        }
    }

    fn may_end(&self) -> bool {
        matches!(self.text, Text::Outside)
    }

    fn structural(&mut self, byte: u8) {
        match byte {
            b'{' => {
                let checked = self.here().is_some() || self.stack.is_empty();
                self.open(Frame::Object {
                    expecting_key: true,
                    checked,
                    value: Place::default(),
                });
            }
            b'[' => {
                let item = match self.stack.last() {
                    None => Some(Arc::default()),
                    Some(_) => self.here(),
                };
                self.open(Frame::List { item });
            }
            b'}' | b']' => self.close(),
            b',' => {
                if let Some(Frame::Object { expecting_key, .. }) = self.stack.last_mut() {
                    *expecting_key = true;
                }
            }
            b'"' => {
                self.text = match self.stack.last() {
                    Some(Frame::Object {
                        expecting_key: true, ..
                    }) => Text::Key {
                        raw: Vec::new(),
                        escaped: false,
                    },
                    _ => {
                        let checked = self
                            .here()
                            .filter(|_| self.too_deep == 0)
                            .map(|rules| (ValueState::new(&rules), rules));
                        Text::Value {
                            checked,
                            escape: Escape::None,
                        }
                    }
                };
            }
            _ => {}
        }
    }

    /// The place a value written now belongs to.
    fn here(&self) -> Place {
        match self.stack.last() {
            Some(Frame::Object { value, .. }) => value.clone(),
            Some(Frame::List { item }) => item.clone(),
            None => None,
        }
    }

    fn open(&mut self, frame: Frame) {
        if self.stack.len() >= DEEPEST || self.too_deep > 0 {
            self.too_deep += 1;
        } else {
            self.stack.push(frame);
        }
    }

    fn close(&mut self) {
        if self.too_deep > 0 {
            self.too_deep -= 1;
        } else {
            self.stack.pop();
        }
    }

    fn key_ended(&mut self, fields: &[FieldRules], raw: &[u8]) {
        let key = decode_key(raw);
        if let Some(Frame::Object {
            expecting_key,
            checked,
            value,
        }) = self.stack.last_mut()
        {
            *expecting_key = false;
            let field = key.as_deref().and_then(|k| fields.iter().find(|f| f.key == k));
            let verbatim = *checked && field.is_none_or(|f| f.verbatim);
            *value = verbatim.then(|| {
                Arc::new(ValueRules {
                    separator: field.and_then(|f| f.separator.clone()),
                    missing: field.and_then(|f| f.missing.clone()),
                    ..ValueRules::default()
                })
            });
        }
    }

    fn value_byte(
        &mut self,
        index: &SourceIndex,
        mut checked: Option<(ValueState, Arc<ValueRules>)>,
        escape: Escape,
        byte: u8,
    ) -> bool {
        let Some((state, rules)) = checked.as_mut() else {
            // Not checked: only where the string ends matters.
            let escape = match (escape, byte) {
                (Escape::None, b'"') => return true,
                (Escape::None, b'\\') => Escape::Started,
                _ => Escape::None,
            };
            self.text = Text::Value { checked, escape };
            return true;
        };
        let r: &ValueRules = rules;
        let escape = match escape {
            Escape::None => match byte {
                b'"' => return state.may_end(r),
                b'\\' if !escape_possible(index, state, r) => return false,
                b'\\' => Escape::Started,
                _ => {
                    if !state.push(index, r, byte) {
                        return false;
                    }
                    Escape::None
                }
            },
            Escape::Started => match simple_escape(byte) {
                Some(decoded) => {
                    if !state.push(index, r, decoded) {
                        return false;
                    }
                    Escape::None
                }
                None if byte == b'u' && matches!(unicode_escape(index, state, r, "u"), Unicode::Partial) => {
                    Escape::Unicode("u".into())
                }
                None => return false,
            },
            Escape::Unicode(mut typed) => {
                typed.push(byte as char);
                match unicode_escape(index, state, r, &typed) {
                    Unicode::Done(c) => {
                        let mut buf = [0u8; 4];
                        for &b in c.encode_utf8(&mut buf).as_bytes() {
                            state.push(index, r, b);
                        }
                        Escape::None
                    }
                    Unicode::Partial => Escape::Unicode(typed),
                    Unicode::Refused => return false,
                }
            }
        };
        self.text = Text::Value { checked, escape };
        true
    }
}

/// Whether anything may follow a backslash: a simple escape whose character the value takes,
/// or the start of a `\u` escape. (A backslash with nothing after it would be a dead end.)
fn escape_possible(index: &SourceIndex, state: &ValueState, rules: &ValueRules) -> bool {
    b"\"\\/bfnrt".iter().filter_map(|&b| simple_escape(b)).any(|decoded| {
        let mut next = state.clone();
        next.push(index, rules, decoded)
    }) || matches!(unicode_escape(index, state, rules, "u"), Unicode::Partial)
}

fn simple_escape(byte: u8) -> Option<u8> {
    Some(match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => return None,
    })
}

enum Unicode {
    Done(char),
    Partial,
    Refused,
}

/// A `\u` escape being written: finished as a character the value may take next, still a start
/// of one, or nothing the value allows. Only the paragraph's characters can be copied, so only
/// their escapes are tried.
fn unicode_escape(index: &SourceIndex, state: &ValueState, rules: &ValueRules, typed: &str) -> Unicode {
    let typed = typed.to_ascii_lowercase();
    let mut partial = false;
    for &c in index.chars() {
        let written = escape_text(c);
        if !written.starts_with(&typed) {
            continue;
        }
        let mut next = state.clone();
        let mut buf = [0u8; 4];
        if !c.encode_utf8(&mut buf).bytes().all(|b| next.push(index, rules, b)) {
            continue;
        }
        if written.len() == typed.len() {
            return Unicode::Done(c);
        }
        partial = true;
    }
    if partial { Unicode::Partial } else { Unicode::Refused }
}

/// How JSON writes `c` as a `\u` escape, after the first backslash, in lower case.
fn escape_text(c: char) -> String {
    let mut units = [0u16; 2];
    let units = c.encode_utf16(&mut units);
    let hex: Vec<String> = units.iter().map(|u| format!("u{u:04x}")).collect();
    hex.join("\\")
}

/// A key as written between its quotes, decoded; `None` when it is not a valid JSON string.
fn decode_key(raw: &[u8]) -> Option<String> {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice(&quoted).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<FieldRules> {
        let field = |key: &str, verbatim: bool, separator: Option<&str>, missing: Option<&str>| FieldRules {
            key: key.into(),
            verbatim,
            separator: separator.map(Into::into),
            missing: missing.map(Into::into),
        };
        vec![
            field("name", true, None, None),
            field("linker", true, Some(" | "), Some("NaN")),
            field("links", false, None, None),
        ]
    }

    fn accepts(source: &str, shape: &Shape, answer: &str) -> bool {
        let index = SourceIndex::new(source);
        let mut state = AnswerState::new(shape);
        answer.bytes().all(|b| state.push(&index, shape, b)) && state.may_end(shape)
    }

    #[test]
    fn json_values_of_verbatim_fields_are_copies() {
        let shape = Shape::Json(fields());
        let source = r#"The "MOF-5" framework of Zn4O and BDC; see C:\data (Δ)."#;
        assert!(accepts(
            source,
            &shape,
            r#"[{"name": "MOF-5", "linker": "BDC | Zn4O"}]"#
        ));
        assert!(accepts(source, &shape, r#"{"name": "\"MOF-5\"", "linker": "NaN"}"#));
        assert!(accepts(source, &shape, r#"{"name": "C:\\data (\u0394)"}"#));
        assert!(
            accepts("café", &shape, r#"{"name": "caf\u00E9"}"#),
            "hex digits in either case"
        );
        assert!(!accepts(source, &shape, r#"{"name": "MOF-177"}"#));
        assert!(
            !accepts(source, &shape, r#"{"name": "(\u0395)"}"#),
            "Ε is not in the paragraph"
        );
        assert!(!accepts(source, &shape, r#"{"linker": "BDC | H2BDC"}"#));
        // Keys and free-text fields are not checked, nor is anything inside a free-text field.
        assert!(accepts(
            source,
            &shape,
            r#"{"invented key": [], "links": {"x": ["anything"]}}"#
        ));
        // Unknown keys under a verbatim field are verbatim (the doping hosts `{"b0": "ZnO"}`).
        assert!(!accepts(source, &shape, r#"{"name": {"b0": "ZnO"}}"#));
        assert!(accepts(source, &shape, r#"{"name": {"b0": "Zn4O"}}"#));
        // A list field's items are each a copy.
        assert!(accepts(source, &shape, r#"{"name": ["Zn4O", "BDC", "Zn4O"]}"#));
        assert!(!accepts(source, &shape, r#"{"name": ["Zn4O", "ZnO"]}"#));
    }

    #[test]
    fn a_value_cannot_close_half_way_through_a_character_or_escape() {
        let shape = Shape::Json(fields());
        let index = SourceIndex::new("α-Fe2O3");
        let mut state = AnswerState::new(&shape);
        for &b in br#"{"name": "\u03b"# {
            assert!(state.push(&index, &shape, b));
        }
        assert!(!state.clone().push(&index, &shape, b'"'));
        assert!(!state.clone().push(&index, &shape, b'2'), "α is \\u03b1");
        assert!(state.push(&index, &shape, b'1'));
        assert!(state.push(&index, &shape, b'"'));
    }

    #[test]
    fn characters_outside_the_basic_plane_take_two_escapes() {
        let shape = Shape::Json(fields());
        assert!(accepts("x 𝛼 y", &shape, r#"{"name": "\ud835\udefc"}"#));
        assert!(!accepts("x 𝛼 y", &shape, r#"{"name": "\ud835\udefd"}"#));
    }

    #[test]
    fn deep_json_is_left_to_the_grammar() {
        let shape = Shape::Json(fields());
        let deep = format!("{}\"invented\"{}", "[".repeat(40), "]".repeat(40));
        assert!(accepts("nothing", &shape, &deep));
        assert!(!accepts("nothing", &shape, "[\"invented\"]"));
    }
}
