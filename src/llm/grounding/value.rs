//! One value being written, byte by byte: it stays viable while it is a copy of the paragraph,
//! a copy followed by the start of what may come after a value (the field's separator, a stop
//! string), or the start of the field's "missing" text. The separator cuts the value into
//! pieces, each a copy on its own, as the task's parser cuts it.

use super::index::{ROOT, SourceIndex, State};

/// What a value may be besides a copy of the paragraph.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueRules {
    /// Pieces joined by this text (`" | "`).
    pub separator: Option<String>,
    /// The text that means "no value" (`NaN`): allowed whole.
    pub missing: Option<String>,
    /// Texts that end the answer (stop strings): a value may be followed by one.
    pub enders: Vec<String>,
    /// Whitespace may follow the value's end (the answer is trimmed).
    pub trailing_space: bool,
}

/// The longest tail checked against the separator and the enders.
const LONGEST_TAIL: usize = 64;

#[derive(Debug, Clone)]
pub struct ValueState {
    /// The bytes of the current piece.
    piece: Vec<u8>,
    /// `states[i]`: the automaton's state after `piece[..i]`, `None` once it left the paragraph.
    states: Vec<Option<State>>,
    /// The whole value so far, while it is still a start of the missing text.
    missing_prefix: Option<usize>,
    /// Whether a separator has cut the value (then it may not end on an empty piece).
    cut: bool,
}

impl ValueState {
    pub fn new(rules: &ValueRules) -> ValueState {
        ValueState {
            piece: Vec::new(),
            states: vec![Some(ROOT)],
            missing_prefix: rules.missing.as_ref().map(|_| 0),
            cut: false,
        }
    }

    /// Takes in one byte; false when the value can no longer be anything the rules allow (the
    /// state is then not to be used).
    pub fn push(&mut self, index: &SourceIndex, rules: &ValueRules, byte: u8) -> bool {
        self.missing_prefix = match (self.missing_prefix, rules.missing.as_deref()) {
            (Some(n), Some(missing)) if missing.as_bytes().get(n) == Some(&byte) => Some(n + 1),
            _ => None,
        };
        let last = *self.states.last().expect("never empty");
        // A copy starts at a character's start, never inside one.
        let starts_inside_char = self.piece.is_empty() && (0x80..0xC0).contains(&byte);
        let next = last.filter(|_| !starts_inside_char).and_then(|s| index.step(s, byte));
        self.piece.push(byte);
        self.states.push(next);
        if let Some(separator) = rules.separator.as_deref().filter(|s| !s.is_empty())
            && self.piece.ends_with(separator.as_bytes())
        {
            // The parser splits at the first separator whatever is before it: the piece ends
            // here, and must be a copy with some text in it.
            let before = self.piece.len() - separator.len();
            let copied = &self.piece[..before];
            if self.states[before].is_none() || !has_text(copied) || !ends_on_char(copied) {
                return self.missing_prefix.is_some();
            }
            self.piece.clear();
            self.states.truncate(1);
            self.cut = true;
            return true;
        }
        self.viable(rules)
    }

    fn viable(&self, rules: &ValueRules) -> bool {
        if self.missing_prefix.is_some() {
            return true;
        }
        let n = self.piece.len();
        (n.saturating_sub(LONGEST_TAIL)..=n).rev().any(|j| {
            let copied = &self.piece[..j];
            self.states[j].is_some()
                && (j == n || ends_on_char(copied))
                && may_follow(&self.piece[j..], has_text(copied), self.cut, rules)
        })
    }

    /// Whether the value may end here.
    pub fn may_end(&self, rules: &ValueRules) -> bool {
        if let (Some(n), Some(missing)) = (self.missing_prefix, rules.missing.as_deref())
            && n == missing.len()
        {
            return true;
        }
        let n = self.piece.len();
        (n.saturating_sub(LONGEST_TAIL)..=n).rev().any(|j| {
            (!self.cut || has_text(&self.piece[..j]))
                && self.states[j].is_some()
                && ends_on_char(&self.piece[..j])
                && may_trail(&self.piece[j..], rules)
        })
    }

    /// The current piece (after the last separator), as written.
    #[cfg(test)]
    pub fn piece(&self) -> &[u8] {
        &self.piece
    }
}

/// Whether `tail` may come after a copied piece: nothing, or after a copy with text in it (or at
/// the very start, before any separator) the start of the separator (a whole one has cut the
/// piece), of an ender, or (with `trailing_space`) whitespace. The rest has no way to go on (an
/// empty piece cut off, a separator right after a separator) or would be trimmed into another
/// text.
fn may_follow(tail: &[u8], text: bool, cut: bool, rules: &ValueRules) -> bool {
    if tail.is_empty() {
        return true;
    }
    let starts = |text: &str| text.as_bytes().starts_with(tail);
    let separator_begun = rules
        .separator
        .as_deref()
        .is_some_and(|s| s.len() > tail.len() && starts(s));
    let ending =
        rules.enders.iter().any(|e| starts(e)) || (rules.trailing_space && tail.iter().all(u8::is_ascii_whitespace));
    (text && separator_begun) || ((text || !cut) && ending)
}

/// Whether the bytes hold something besides whitespace.
fn has_text(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| !b.is_ascii_whitespace())
}

/// Whether `tail` may be left after a piece when the value ends: nothing, or whitespace the
/// answer's trimming takes off (a separator or stop string begun and not finished stays in).
fn may_trail(tail: &[u8], rules: &ValueRules) -> bool {
    tail.is_empty() || (rules.trailing_space && tail.iter().all(u8::is_ascii_whitespace))
}

/// Whether a copy (which starts on a character's start) ends on a character's end: its last
/// lead byte is followed by as many bytes as it announces.
fn ends_on_char(copy: &[u8]) -> bool {
    let Some(lead) = copy.iter().rev().take(4).position(|b| !(0x80..0xC0).contains(b)) else {
        return copy.is_empty();
    };
    let width = match copy[copy.len() - 1 - lead] {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    lead + 1 == width
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(index: &SourceIndex, rules: &ValueRules, text: &str) -> Option<ValueState> {
        let mut state = ValueState::new(rules);
        for &b in text.as_bytes() {
            if !state.push(index, rules, b) {
                return None;
            }
        }
        Some(state)
    }

    fn ends(index: &SourceIndex, rules: &ValueRules, text: &str) -> bool {
        feed(index, rules, text).is_some_and(|s| s.may_end(rules))
    }

    #[test]
    fn a_value_is_a_copy_of_the_paragraph() {
        let index = SourceIndex::new("The α-Fe₂O₃ powder and CuSO₄");
        let rules = ValueRules::default();
        assert!(ends(&index, &rules, "α-Fe₂O₃"));
        assert!(ends(&index, &rules, ""));
        assert!(feed(&index, &rules, "Fe₂O₄").is_none());
        assert!(feed(&index, &rules, "cuso").is_none(), "case counts");
        // Half of ₂ is viable (the next byte may finish it) but may not end the value.
        let half = &"Fe₂".as_bytes()[..3];
        let mut state = ValueState::new(&rules);
        for &b in half {
            assert!(state.push(&index, &rules, b));
        }
        assert!(!state.may_end(&rules));
        // A copy never starts inside a character.
        let mut inside = ValueState::new(&rules);
        assert!(!inside.push(&index, &rules, "₂".as_bytes()[1]));
    }

    #[test]
    fn pieces_are_cut_at_the_separator() {
        let index = SourceIndex::new("ZnO and Al2O3 were mixed");
        let rules = ValueRules {
            separator: Some(" | ".into()),
            ..ValueRules::default()
        };
        assert!(ends(&index, &rules, "ZnO | Al2O3 | ZnO"));
        assert!(feed(&index, &rules, "ZnO | Al2O3").unwrap().piece() == b"Al2O3");
        assert!(!ends(&index, &rules, "ZnO | "), "a value does not end on its separator");
        assert!(feed(&index, &rules, " | ").is_none(), "nor starts with one");
        assert!(feed(&index, &rules, "ZnO |  |").is_none(), "no empty piece between two");
        // A partial separator may follow a piece, but the value may not end on it.
        assert!(feed(&index, &rules, "ZnO |").is_some());
        assert!(!ends(&index, &rules, "ZnO |"));
        assert!(feed(&index, &rules, "ZnO |x").is_none());
        assert!(feed(&index, &rules, "ZnO | MgO").is_none());
        // A piece that is not in the paragraph cannot be cut off by a separator.
        assert!(feed(&index, &rules, "MgO | ZnO").is_none());
    }

    #[test]
    fn the_missing_text_and_enders() {
        let index = SourceIndex::new("Cu and Zn");
        let rules = ValueRules {
            missing: Some("NaN".into()),
            enders: vec!["!!!".into()],
            ..ValueRules::default()
        };
        assert!(ends(&index, &rules, "NaN"));
        assert!(!ends(&index, &rules, "Na"));
        assert!(feed(&index, &rules, "NaNa").is_none());
        assert!(feed(&index, &rules, "Zn!!").is_some());
        assert!(feed(&index, &rules, "Zn!?").is_none());
        let trimmed = ValueRules {
            trailing_space: true,
            ..ValueRules::default()
        };
        assert!(ends(&index, &trimmed, "Cu\n"));
        assert!(!ends(&index, &rules, "Cu\n"));
    }
}
