//! Every substring of a paragraph, as a suffix automaton over its UTF-8 bytes: whether a text
//! is part of the paragraph is a walk of one step per byte, and a value being written can be
//! checked one byte at a time. Built once per request, in time and space linear in the
//! paragraph (at most 2n states, 3n transitions).

use crate::task::CopyWhitespace;

/// The text with each run of whitespace (any Unicode whitespace) as one space.
fn fold_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_whitespace() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out
}

/// A state of the automaton; `ROOT` stands for the empty text.
pub type State = u32;

pub const ROOT: State = 0;

const NO_LINK: u32 = u32::MAX;

struct Node {
    /// The length of the longest text that ends in this state.
    len: u32,
    /// The byte every text of this state ends with (0 for the root).
    last: u8,
    link: u32,
    /// Outgoing transitions, sorted by byte.
    next: Vec<(u8, State)>,
}

impl Node {
    fn get(&self, byte: u8) -> Option<State> {
        self.next
            .binary_search_by_key(&byte, |(b, _)| *b)
            .ok()
            .map(|i| self.next[i].1)
    }

    fn set(&mut self, byte: u8, to: State) {
        match self.next.binary_search_by_key(&byte, |(b, _)| *b) {
            Ok(i) => self.next[i].1 = to,
            Err(i) => self.next.insert(i, (byte, to)),
        }
    }
}

/// The substrings of one text.
pub struct SourceIndex {
    nodes: Vec<Node>,
    /// The distinct characters of the text (what a JSON `\u` escape may stand for).
    chars: Vec<char>,
    /// Whitespace runs are one space in the automaton, and any run of ASCII whitespace written
    /// walks it (`CopyWhitespace::AnyRun`).
    any_run: bool,
}

impl SourceIndex {
    pub fn new(text: &str) -> SourceIndex {
        SourceIndex::with_whitespace(text, CopyWhitespace::Exact)
    }

    /// The index of `text` under the task's whitespace rule.
    pub fn with_whitespace(text: &str, whitespace: CopyWhitespace) -> SourceIndex {
        let any_run = whitespace == CopyWhitespace::AnyRun;
        let folded;
        let text = if any_run {
            folded = fold_whitespace(text);
            folded.as_str()
        } else {
            text
        };
        let mut index = SourceIndex {
            nodes: vec![Node {
                len: 0,
                last: 0,
                link: NO_LINK,
                next: Vec::new(),
            }],
            chars: Vec::new(),
            any_run,
        };
        let mut last = ROOT;
        for &byte in text.as_bytes() {
            last = index.extend(last, byte);
        }
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        index.chars = chars;
        index
    }

    /// The classic online construction: appends one byte to the text the automaton holds.
    fn extend(&mut self, last: State, byte: u8) -> State {
        let current = self.nodes.len() as State;
        self.nodes.push(Node {
            len: self.nodes[last as usize].len + 1,
            last: byte,
            link: ROOT,
            next: Vec::new(),
        });
        let mut p = last;
        while p != NO_LINK && self.nodes[p as usize].get(byte).is_none() {
            self.nodes[p as usize].set(byte, current);
            p = self.nodes[p as usize].link;
        }
        if p == NO_LINK {
            return current;
        }
        let q = self.nodes[p as usize].get(byte).expect("the loop stopped on it");
        if self.nodes[p as usize].len + 1 == self.nodes[q as usize].len {
            self.nodes[current as usize].link = q;
            return current;
        }
        let clone = self.nodes.len() as State;
        let copied = Node {
            len: self.nodes[p as usize].len + 1,
            last: byte,
            link: self.nodes[q as usize].link,
            next: self.nodes[q as usize].next.clone(),
        };
        self.nodes.push(copied);
        while p != NO_LINK && self.nodes[p as usize].get(byte) == Some(q) {
            self.nodes[p as usize].set(byte, clone);
            p = self.nodes[p as usize].link;
        }
        self.nodes[q as usize].link = clone;
        self.nodes[current as usize].link = clone;
        current
    }

    /// The state after `byte` from `state`: `None` when the text so far followed by `byte` is
    /// not in the paragraph.
    pub fn step(&self, state: State, byte: u8) -> Option<State> {
        let node = self.nodes.get(state as usize)?;
        if self.any_run && byte.is_ascii_whitespace() {
            // A run goes on where it is; its first byte walks the paragraph's one space.
            return if state != ROOT && node.last == b' ' {
                Some(state)
            } else {
                node.get(b' ')
            };
        }
        node.get(byte)
    }

    /// Whether whitespace runs are folded (the grammar then lets any run through).
    pub(super) fn any_run(&self) -> bool {
        self.any_run
    }

    pub fn contains(&self, text: &[u8]) -> bool {
        text.iter().try_fold(ROOT, |state, &b| self.step(state, b)).is_some()
    }

    /// The distinct characters of the paragraph, sorted.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The transitions out of `state`, sorted by byte.
    pub(super) fn transitions(&self, state: State) -> &[(u8, State)] {
        self.nodes.get(state as usize).map_or(&[], |n| n.next.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_substrings(text: &str) -> std::collections::BTreeSet<Vec<u8>> {
        let b = text.as_bytes();
        let mut set = std::collections::BTreeSet::new();
        for i in 0..=b.len() {
            for j in i..=b.len() {
                set.insert(b[i..j].to_vec());
            }
        }
        set
    }

    #[test]
    fn it_holds_exactly_the_substrings() {
        for text in [
            "",
            "a",
            "abcbc",
            "aaaa",
            "abab|ab",
            "Cu(OAc)₂·H₂O in α-MnO₂",
            "mississippi",
        ] {
            let index = SourceIndex::new(text);
            let substrings = all_substrings(text);
            for s in &substrings {
                assert!(index.contains(s), "{text:?} lacks {:?}", String::from_utf8_lossy(s));
            }
            // Every one-byte extension that is not a substring is refused.
            for s in &substrings {
                for extra in [b'a', b'b', b'c', b'|', b' ', 0xE2] {
                    let mut longer = s.clone();
                    longer.push(extra);
                    assert_eq!(index.contains(&longer), substrings.contains(&longer));
                }
            }
            assert!(index.nodes.len() <= 2 * text.len().max(1));
        }
    }

    #[test]
    fn any_run_of_whitespace_stands_for_any_other_and_nothing_else_differs() {
        let index = SourceIndex::with_whitespace("ethyl\n  acetate and\u{2005}NaH/THF", CopyWhitespace::AnyRun);
        for written in [
            "ethyl acetate",
            "ethyl\nacetate",
            "ethyl \t\n acetate",
            "and NaH",
            "and\n\nNaH/THF",
        ] {
            assert!(index.contains(written.as_bytes()), "{written:?}");
        }
        for refused in ["ethylacetate", "ethyl  acetatE", "NaH / THF", " and x"] {
            assert!(!index.contains(refused.as_bytes()), "{refused:?}");
        }
        let exact = SourceIndex::new("ethyl\n  acetate");
        assert!(exact.contains(b"ethyl\n  acetate"));
        assert!(
            !exact.contains(b"ethyl acetate"),
            "exact copies keep the paragraph's whitespace"
        );
    }

    #[test]
    fn it_knows_the_characters() {
        let index = SourceIndex::new("β-NaYF₄ βb");
        assert_eq!(index.chars(), &[' ', '-', 'F', 'N', 'Y', 'a', 'b', 'β', '₄']);
    }
}
