//! Grounding: locate each extracted value in the source text.
//!
//! Tried in order: exact, case-insensitive, normalised (whitespace runs, dashes, invisible
//! characters such as the soft hyphen U+00AD, NFKC), then fuzzy over word windows with a score.
//! A value found nowhere is marked [`Alignment::Unaligned`]. Spans are byte ranges on char
//! boundaries of the original text with char ranges derived; a value repeated in the extraction
//! takes successive occurrences in the source.

use crate::extraction::{Alignment, Extraction, Span, Value};
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// Lowest normalised Levenshtein similarity accepted as a fuzzy match.
pub const FUZZY_THRESHOLD: f64 = 0.8;
/// Shorter values are never matched fuzzily: too many false hits.
const FUZZY_MIN_CHARS: usize = 4;

/// Grounds every value of `extraction` in `source`. `verbatim(field)` says whether a field's
/// values are meant to appear in the source; the others are marked `NotApplicable`.
pub fn ground(extraction: &mut Extraction, source: &str, verbatim: &dyn Fn(&str) -> bool) {
    let keep_parsed_spans = extraction.annotated_text.as_deref() == Some(source);
    let mut grounder = Grounder::new(source);
    for (field, value) in extraction.values_mut() {
        if keep_parsed_spans && value.span.is_some() {
            continue;
        }
        if !verbatim(&field) {
            value.span = None;
            value.alignment = Alignment::NotApplicable;
            continue;
        }
        grounder.ground_value(value);
    }
}

/// Locates values in one source text, remembering where each repeated value was last found.
pub struct Grounder<'a> {
    source: &'a str,
    lowered: Option<FoldedText>,
    normalized: Option<FoldedText>,
    cursors: HashMap<String, usize>,
}

impl<'a> Grounder<'a> {
    pub fn new(source: &'a str) -> Grounder<'a> {
        Grounder {
            source,
            lowered: None,
            normalized: None,
            cursors: HashMap::new(),
        }
    }

    pub fn ground_value(&mut self, value: &mut Value) {
        let (span, alignment) = match self.locate(&value.text) {
            Some((bytes, alignment)) => (Some(Span::from_bytes(self.source, bytes)), alignment),
            None => (None, Alignment::Unaligned),
        };
        value.span = span;
        value.alignment = alignment;
    }

    /// The byte range and alignment status of `text`, or `None` when it is not in the source.
    pub fn locate(&mut self, text: &str) -> Option<(std::ops::Range<usize>, Alignment)> {
        if text.trim().is_empty() {
            return None;
        }
        let from = self.cursors.get(text).copied().unwrap_or(0);
        let found = self.find_folded(text, from);
        if let Some((range, _)) = &found {
            self.cursors.insert(text.to_string(), range.end);
        }
        found
    }

    fn find_folded(&mut self, text: &str, from: usize) -> Option<(std::ops::Range<usize>, Alignment)> {
        if let Some(range) = find_from(self.source, text, from) {
            return Some((range, Alignment::Exact));
        }
        let source = self.source;
        let lowered = self
            .lowered
            .get_or_insert_with(|| FoldedText::new(source, Fold::Lowercase));
        if let Some(range) = lowered.find(&fold(text, Fold::Lowercase), from) {
            return Some((range, Alignment::CaseInsensitive));
        }
        let normalized = self
            .normalized
            .get_or_insert_with(|| FoldedText::new(source, Fold::Normalize));
        let needle = fold(text, Fold::Normalize);
        let needle = needle.trim();
        if needle.is_empty() {
            return None;
        }
        if let Some(range) = normalized.find(needle, from) {
            return Some((range, Alignment::Normalized));
        }
        normalized
            .fuzzy_find(needle)
            .map(|(range, score)| (range, Alignment::Fuzzy { score }))
    }
}

/// Finds `needle` at or after byte `from`, else anywhere (a repeated value with no further
/// occurrence points at the first one).
fn find_from(haystack: &str, needle: &str, from: usize) -> Option<std::ops::Range<usize>> {
    if needle.is_empty() {
        return None;
    }
    let start = haystack
        .get(from..)
        .and_then(|rest| rest.find(needle))
        .map(|i| i + from);
    let start = start.or_else(|| haystack.find(needle))?;
    Some(start..start + needle.len())
}

#[derive(Clone, Copy)]
enum Fold {
    Lowercase,
    Normalize,
}

/// A folded copy of a text with, for every folded byte, the original char it came from.
struct FoldedText {
    text: String,
    origin: Vec<(usize, usize)>,
}

impl FoldedText {
    fn new(source: &str, how: Fold) -> FoldedText {
        let mut text = String::with_capacity(source.len());
        let mut origin = Vec::with_capacity(source.len());
        for (start, c) in source.char_indices() {
            let end = start + c.len_utf8();
            let before = text.len();
            push_folded(&mut text, c, how);
            origin.extend(std::iter::repeat_n((start, end), text.len() - before));
        }
        FoldedText { text, origin }
    }

    fn original(&self, folded: std::ops::Range<usize>) -> std::ops::Range<usize> {
        self.origin[folded.start].0..self.origin[folded.end - 1].1
    }

    fn find(&self, needle: &str, from: usize) -> Option<std::ops::Range<usize>> {
        if needle.is_empty() {
            return None;
        }
        let mut first = None;
        for (i, _) in self.text.match_indices(needle) {
            let range = self.original(i..i + needle.len());
            if range.start >= from {
                return Some(range);
            }
            first.get_or_insert(range);
        }
        first
    }

    /// The best window of whole words whose similarity to `needle` passes the threshold.
    fn fuzzy_find(&self, needle: &str) -> Option<(std::ops::Range<usize>, f64)> {
        if needle.chars().count() < FUZZY_MIN_CHARS {
            return None;
        }
        let words = word_ranges(&self.text);
        let needle_words = needle.split(' ').count();
        let mut best: Option<(std::ops::Range<usize>, f64)> = None;
        for width in needle_words.saturating_sub(1).max(1)..=needle_words + 1 {
            for window in words.windows(width.min(words.len()).max(1)) {
                let range = window[0].start..window[window.len() - 1].end;
                let score = strsim::normalized_levenshtein(&self.text[range.clone()], needle);
                if score >= FUZZY_THRESHOLD && best.as_ref().is_none_or(|(_, s)| score > *s) {
                    best = Some((range, score));
                }
            }
        }
        best.map(|(range, score)| (self.original(range), score))
    }
}

fn word_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c == ' ', start) {
            (true, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

/// Every place `needle` occurs in `source` as grounding compares text (case, soft hyphens,
/// dashes and runs of spaces folded), as byte ranges of the source, in order.
pub fn occurrences(source: &str, needle: &str) -> Vec<std::ops::Range<usize>> {
    let needle = normalize(needle);
    if needle.is_empty() {
        return Vec::new();
    }
    let folded = FoldedText::new(source, Fold::Normalize);
    folded
        .text
        .match_indices(needle.as_str())
        .map(|(i, _)| folded.original(i..i + needle.len()))
        .collect()
}

/// `text` as grounding compares it: NFKC, lowercase, whitespace runs as one space, dashes as
/// `-`, invisible characters dropped, trimmed.
pub fn normalize(text: &str) -> String {
    fold(text, Fold::Normalize).trim().to_string()
}

fn fold(text: &str, how: Fold) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_folded(&mut out, c, how);
    }
    out
}

fn push_folded(out: &mut String, c: char, how: Fold) {
    match how {
        Fold::Lowercase => out.extend(c.to_lowercase()),
        Fold::Normalize => {
            if is_invisible(c) {
                return;
            }
            if c.is_whitespace() {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
                return;
            }
            if is_dash(c) {
                out.push('-');
                return;
            }
            for n in std::iter::once(c).nfkc() {
                out.extend(n.to_lowercase());
            }
        }
    }
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate(source: &str, text: &str) -> Option<(String, Alignment)> {
        Grounder::new(source)
            .locate(text)
            .map(|(r, a)| (source[r].to_string(), a))
    }

    #[test]
    fn exact_then_case_then_normalised() {
        let source = "Stirred in THF at 25 °C; bis\u{00AD}(tri\u{00AD}fluoro) 600\u{2005}MHz – done";
        assert_eq!(locate(source, "THF"), Some(("THF".into(), Alignment::Exact)));
        assert_eq!(locate(source, "thf"), Some(("THF".into(), Alignment::CaseInsensitive)));
        assert_eq!(
            locate(source, "bis(trifluoro)"),
            Some(("bis\u{00AD}(tri\u{00AD}fluoro)".into(), Alignment::Normalized))
        );
        assert_eq!(
            locate(source, "600 MHz"),
            Some(("600\u{2005}MHz".into(), Alignment::Normalized))
        );
    }

    #[test]
    fn fuzzy_has_a_score_and_unknown_is_none() {
        let source = "The mixture of copper nitrate trihydrate was heated.";
        let (text, alignment) = locate(source, "copper nitrat trihydrate").unwrap();
        assert_eq!(text, "copper nitrate trihydrate");
        assert!(matches!(alignment, Alignment::Fuzzy { score } if score > 0.9 && score < 1.0));
        assert_eq!(locate(source, "palladium acetate"), None);
    }

    #[test]
    fn repeated_values_take_successive_occurrences() {
        let source = "ethanol, then water, then ethanol again";
        let mut grounder = Grounder::new(source);
        let first = grounder.locate("ethanol").unwrap().0;
        let second = grounder.locate("ethanol").unwrap().0;
        assert_eq!(first, 0..7);
        assert_eq!(second, 26..33);
    }
}
