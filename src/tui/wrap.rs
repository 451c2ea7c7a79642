//! Word wrapping with byte offsets kept, so that a span in the text maps to rows on screen.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::ops::Range;
use unicode_width::UnicodeWidthChar;

/// Rows of `text` at `width` columns, each a byte range of the text (newlines excluded).
pub fn rows(text: &str, width: usize) -> Vec<Range<usize>> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split('\n') {
        wrap_line(line, line_start, width, &mut out);
        line_start += line.len() + 1;
    }
    out
}

fn wrap_line(line: &str, offset: usize, width: usize, out: &mut Vec<Range<usize>>) {
    let mut start = 0;
    let mut used = 0;
    let mut last_space: Option<usize> = None;
    for (i, c) in line.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width && i > start {
            let cut = last_space.filter(|s| *s > start).unwrap_or(i);
            out.push(offset + start..offset + cut);
            start = cut;
            used = line[start..i].chars().map(|c| c.width().unwrap_or(0)).sum();
            last_space = None;
        }
        used += w;
        if c == ' ' {
            last_space = Some(i + 1);
        }
    }
    out.push(offset + start..offset + line.len());
}

/// The row holding byte `at`.
/// `text` cut to `width` columns at a word boundary, with `…` where it was cut (a deliberate
/// abbreviation instead of a cut mid-word at the edge of the screen).
pub fn abbreviate(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut fitted = String::new();
    let mut used = 0;
    for ch in text.chars() {
        used += ch.width().unwrap_or(0);
        if used > width - 1 {
            break;
        }
        fitted.push(ch);
    }
    let cut = match fitted.rfind(' ') {
        Some(at) if at > fitted.len() / 2 => &fitted[..at],
        _ => fitted.as_str(),
    };
    format!("{}…", cut.trim_end())
}

pub fn row_of(rows: &[Range<usize>], at: usize) -> usize {
    rows.iter()
        .position(|r| at < r.end || (at == r.end && r.is_empty()))
        .unwrap_or(rows.len().saturating_sub(1))
}

/// The byte offset of the character drawn `column` columns into `row` (the row's last
/// character when the column is past its end).
pub fn byte_at(text: &str, row: Range<usize>, column: usize) -> usize {
    let mut used = 0;
    let mut last = row.start;
    for (i, c) in text[row.clone()].char_indices() {
        let w = c.width().unwrap_or(0);
        last = row.start + i;
        if column < used + w.max(1) {
            return last;
        }
        used += w;
    }
    last
}

/// One row as a line, with `marks` (byte range, style; sorted, not overlapping) applied.
pub fn styled_row<'a>(text: &'a str, row: &Range<usize>, marks: &[(Range<usize>, Style)], base: Style) -> Line<'a> {
    let mut spans = Vec::new();
    let mut at = row.start;
    for (range, style) in marks.iter().filter(|(r, _)| r.start < row.end && r.end > row.start) {
        let start = range.start.max(row.start);
        let end = range.end.min(row.end);
        if start > at {
            spans.push(Span::styled(&text[at..start], base));
        }
        if end > start.max(at) {
            spans.push(Span::styled(&text[start.max(at)..end], *style));
        }
        at = at.max(end);
    }
    if at < row.end {
        spans.push(Span::styled(&text[at..row.end], base));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_finds_its_character_across_wide_and_multibyte_ones() {
        let text = "µL of 漢字 here";
        let row = 0..text.len();
        assert_eq!(byte_at(text, row.clone(), 0), 0);
        assert_eq!(&text[byte_at(text, row.clone(), 1)..][..1], "L");
        // 漢 takes columns 6 and 7.
        assert_eq!(&text[byte_at(text, row.clone(), 7)..][..3], "漢");
        assert_eq!(&text[byte_at(text, row.clone(), 8)..][..3], "字");
        assert_eq!(&text[byte_at(text, row.clone(), 99)..], "e");
    }

    #[test]
    fn abbreviations_end_at_a_word_with_an_ellipsis() {
        assert_eq!(abbreviate("run the extraction", 40), "run the extraction");
        assert_eq!(
            abbreviate("copy the canonical text (OSC 52)", 20),
            "copy the canonical…"
        );
        assert!(abbreviate("copy the canonical text (OSC 52)", 20).chars().count() <= 20);
        assert_eq!(abbreviate("abcdefghij", 5), "abcd…");
        assert_eq!(abbreviate("abc", 0), "");
    }

    #[test]
    fn wraps_at_spaces_and_keeps_offsets() {
        let text = "alpha beta gamma\ndelta";
        let rows = rows(text, 11);
        let pieces: Vec<&str> = rows.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(pieces, vec!["alpha beta ", "gamma", "delta"]);
        assert_eq!(row_of(&rows, text.find("gamma").unwrap()), 1);
        assert_eq!(row_of(&rows, text.find("delta").unwrap()), 2);
    }

    #[test]
    fn wide_and_long_words_break_hard() {
        let text = "µµµµµµ 加加加";
        let rows = rows(text, 4);
        assert!(
            rows.iter()
                .all(|r| text.is_char_boundary(r.start) && text.is_char_boundary(r.end))
        );
        assert_eq!(rows.iter().map(|r| &text[r.clone()]).collect::<String>(), text);
    }
}
