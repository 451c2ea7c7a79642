//! The copy rule as a llama.cpp grammar (GBNF), for servers: one rule per state of the
//! paragraph's automaton, so a value can only be a substring of the paragraph. Grammars match
//! characters, the automaton bytes: only states that lie between whole characters get a rule,
//! and each of their transitions is walked through a character's bytes.

use super::answer::Shape;
use super::index::{ROOT, SourceIndex, State};
use super::value::ValueRules;
use crate::task::CopyWhitespace;
use serde_json::Value as Json;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

/// The grammar for an answer about `source` in `shape`: a delimited answer's one value, or the
/// task's JSON Schema (`schema`) with its verbatim strings held to copies. `None` where no
/// grammar is made here (JSON without a schema, or with parts `json` does not write): the
/// values are then checked afterwards.
pub fn grammar(shape: &Shape, schema: Option<&Json>, source: &str, whitespace: CopyWhitespace) -> Option<String> {
    match shape {
        Shape::Delimited(rules) => Some(delimited(rules, source, whitespace)),
        Shape::Json(fields) => super::json_gbnf::grammar(schema?, fields, source, whitespace),
    }
}

fn delimited(rules: &ValueRules, source: &str, whitespace: CopyWhitespace) -> String {
    let index = SourceIndex::with_whitespace(source, whitespace);
    let mut out = String::new();
    let value = "s0";
    match rules.separator.as_deref() {
        Some(separator) => {
            let _ = writeln!(out, "root ::= {value} ({} {value})*", literal(separator));
        }
        None => {
            let _ = writeln!(out, "root ::= {value}");
        }
    }
    write_states(&index, Writing::Plain, &mut out);
    out
}

/// Where the copied characters are written: as they are, or inside a JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Writing {
    Plain,
    JsonString,
}

/// One rule per reachable state between characters: `sN ::= ("a" sM | "b")?`. Rule `s0` is a
/// whole copy (possibly empty).
pub(super) fn write_states(index: &SourceIndex, writing: Writing, out: &mut String) {
    let mut names: BTreeMap<State, usize> = BTreeMap::from([(ROOT, 0)]);
    let mut queue = VecDeque::from([ROOT]);
    while let Some(state) = queue.pop_front() {
        let mut alternatives = Vec::new();
        for (c, to) in char_steps(index, state) {
            let ends = index.transitions(to).is_empty();
            let written = written(c, index.any_run(), writing);
            if ends {
                alternatives.push(written);
                continue;
            }
            let next = names.len();
            let name = *names.entry(to).or_insert_with(|| {
                queue.push_back(to);
                next
            });
            alternatives.push(format!("{written} s{name}"));
        }
        let name = names[&state];
        if alternatives.is_empty() {
            let _ = writeln!(out, "s{name} ::= \"\"");
        } else {
            let _ = writeln!(out, "s{name} ::= ({})?", alternatives.join(" | "));
        }
    }
}

/// How the paragraph's character `c` may be written. Under `any-run` the paragraph's one space
/// is any run of whitespace. Inside a JSON string a quote, a backslash and control characters
/// are escaped, and a character past ASCII may also be its `\uXXXX` escape (Python's
/// `ensure_ascii`).
fn written(c: char, any_run: bool, writing: Writing) -> String {
    match (writing, c) {
        (Writing::Plain, ' ') if any_run => "[ \\t\\n\\r]+".to_string(),
        (Writing::Plain, _) => literal(&c.to_string()),
        (Writing::JsonString, ' ') if any_run => r#"(" " | "\\t" | "\\n" | "\\r")+"#.to_string(),
        (Writing::JsonString, _) => {
            let escaped = json_escaped(&c.to_string());
            if c.is_ascii() {
                return literal(&escaped);
            }
            let mut units = [0u16; 2];
            let code: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("\\u{u:04x}"))
                .collect();
            format!("({} | {})", literal(&escaped), literal(&code))
        }
    }
}

/// `text` as it is written between a JSON string's quotes.
pub(super) fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
    quoted[1..quoted.len() - 1].to_string()
}

/// The characters that may follow `state`, with the state after each: every path of bytes
/// that spells one whole UTF-8 character.
fn char_steps(index: &SourceIndex, state: State) -> Vec<(char, State)> {
    let mut steps = Vec::new();
    for &(first, after_first) in index.transitions(state) {
        let width = match first {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => continue,
        };
        let mut paths = vec![(vec![first], after_first)];
        for _ in 1..width {
            paths = paths
                .into_iter()
                .flat_map(|(bytes, at)| {
                    index.transitions(at).iter().map(move |&(b, to)| {
                        let mut longer = bytes.clone();
                        longer.push(b);
                        (longer, to)
                    })
                })
                .collect();
        }
        for (bytes, to) in paths {
            if let Some(c) = std::str::from_utf8(&bytes).ok().and_then(|s| s.chars().next()) {
                steps.push((c, to));
            }
        }
    }
    steps
}

/// A GBNF string literal: printable ASCII as itself, everything else as a `\U` escape.
pub(super) fn literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::grounding::ValueRules;

    #[test]
    fn the_grammar_has_a_rule_per_state_between_characters() {
        let shape = Shape::Delimited(ValueRules {
            separator: Some(" | ".into()),
            ..ValueRules::default()
        });
        let grammar = grammar(&shape, None, "aé\"b", CopyWhitespace::Exact).unwrap();
        assert!(grammar.starts_with("root ::= s0 (\" | \" s0)*\n"), "{grammar}");
        // é is one character of two bytes: its transition is one literal.
        assert!(grammar.contains("\"\\U000000E9\" s"), "{grammar}");
        assert!(grammar.contains("\"\\\"\""), "a quote is escaped: {grammar}");
        // Four characters, all distinct: the root has four ways out, each state one.
        let root = grammar.lines().find(|l| l.starts_with("s0 ::=")).unwrap();
        assert_eq!(root.matches(" | ").count(), 3, "{root}");
        assert!(grammar.lines().count() <= 2 + 5);
    }

    #[test]
    fn json_without_a_schema_goes_without_a_grammar() {
        assert!(grammar(&Shape::Json(Vec::new()), None, "x", CopyWhitespace::Exact).is_none());
    }

    #[test]
    fn under_any_run_a_space_is_any_run_of_whitespace() {
        let shape = Shape::Delimited(ValueRules::default());
        let folded = grammar(&shape, None, "a \n b", CopyWhitespace::AnyRun).unwrap();
        assert!(
            folded.contains("\"a\" s") && folded.contains("[ \\t\\n\\r]+ s"),
            "{folded}"
        );
        let exact = grammar(&shape, None, "a \n b", CopyWhitespace::Exact).unwrap();
        assert!(!exact.contains("[ \\t"), "{exact}");
    }
}
