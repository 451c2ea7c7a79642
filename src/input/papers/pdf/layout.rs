//! From positioned characters to blocks: lines (PDFium's line ends; sub- and superscripts that
//! it split off put back in place), running headers, footers and page numbers dropped, the
//! columns of each page read left then right between full-width lines, and paragraphs found by
//! first-line indent, vertical gaps and headings (bold, or larger than the body text), joined
//! across column and page breaks. Line-end hyphens are undone unless they belong to the word.

use super::super::Block;
use super::super::blocks::Blocks;
use crate::place::BlockKind;

/// One character as PDFium gives it, in PDF points (y up).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub ch: char,
    /// Added by PDFium (spaces and line ends it inferred), not drawn.
    pub generated: bool,
    /// A hyphen PDFium found at a line end (the word goes on in the next line).
    pub hyphen: bool,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    pub size: f32,
    pub bold: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageGlyphs {
    pub width: f32,
    pub height: f32,
    pub glyphs: Vec<Glyph>,
}

#[derive(Debug, Clone)]
struct Line {
    page: usize,
    text: String,
    /// Where its first character starts (the first-line indent is seen here).
    start: f32,
    x0: f32,
    x1: f32,
    /// Top of its first character, bottom of its first and of its last (a line PDFium joined over
    /// a hyphen spans two printed lines).
    top: f32,
    first_bottom: f32,
    bottom: f32,
    size: f32,
    bold: bool,
}

impl Line {
    fn chars(&self) -> usize {
        self.text.chars().count()
    }
}

/// Characters accumulated into a line.
#[derive(Default)]
struct LineBuilder {
    text: String,
    start: Option<f32>,
    x0: f32,
    x1: f32,
    top: Option<f32>,
    first_bottom: Option<f32>,
    bottom: f32,
    sizes: Vec<(f32, usize)>,
    bold: usize,
    drawn: usize,
}

impl LineBuilder {
    fn push(&mut self, glyph: &Glyph) {
        expand_ligature(glyph.ch, &mut self.text);
        if glyph.generated || glyph.ch.is_whitespace() {
            return;
        }
        if self.drawn == 0 {
            self.x0 = glyph.x0;
            self.x1 = glyph.x1;
        }
        self.x0 = self.x0.min(glyph.x0);
        self.x1 = self.x1.max(glyph.x1);
        self.start.get_or_insert(glyph.x0);
        self.top.get_or_insert(glyph.y1);
        self.first_bottom.get_or_insert(glyph.y0);
        self.bottom = glyph.y0;
        let size = (glyph.size * 2.0).round() / 2.0;
        match self.sizes.iter_mut().find(|(s, _)| *s == size) {
            Some((_, n)) => *n += 1,
            None => self.sizes.push((size, 1)),
        }
        self.bold += usize::from(glyph.bold);
        self.drawn += 1;
    }

    /// A line-end hyphen: marked, and decided once the document's vocabulary is known
    /// (`hyphens::resolve`).
    fn hyphen(&mut self, glyph: &Glyph) {
        self.text.push(super::hyphens::LINE_END_HYPHEN);
        self.x1 = self.x1.max(glyph.x1);
    }

    fn finish(self, page: usize) -> Option<Line> {
        let text = self.text.trim().to_string();
        if text.is_empty() || self.drawn == 0 {
            return None;
        }
        let size = self.sizes.iter().max_by_key(|(_, n)| *n).map_or(0.0, |(s, _)| *s);
        Some(Line {
            page,
            text,
            start: self.start.unwrap_or(self.x0),
            x0: self.x0,
            x1: self.x1,
            top: self.top.unwrap_or(self.bottom),
            first_bottom: self.first_bottom.unwrap_or(self.bottom),
            bottom: self.bottom,
            size,
            bold: self.bold * 2 > self.drawn,
        })
    }
}

/// Ligatures as their letters (ﬁ → fi); nothing else is normalised.
fn expand_ligature(ch: char, out: &mut String) {
    match ch {
        '\u{FB00}' => out.push_str("ff"),
        '\u{FB01}' => out.push_str("fi"),
        '\u{FB02}' => out.push_str("fl"),
        '\u{FB03}' => out.push_str("ffi"),
        '\u{FB04}' => out.push_str("ffl"),
        '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
        '\r' | '\n' => {}
        c if c.is_control() => {}
        c => out.push(c),
    }
}

/// The lines of a page, in PDFium's order.
fn lines_of(page: &PageGlyphs, number: usize) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut current = LineBuilder::default();
    for glyph in &page.glyphs {
        if glyph.ch == '\n' {
            lines.extend(std::mem::take(&mut current).finish(number));
        } else if glyph.hyphen {
            current.hyphen(glyph);
        } else {
            current.push(glyph);
        }
    }
    lines.extend(current.finish(number));
    rejoin_scripts(lines)
}

/// PDFium ends a line at a raised or lowered piece (`m2 g` | `−1` | `, close to`): a piece that
/// starts where the line before ended, at its height, belongs to it.
fn rejoin_scripts(lines: Vec<Line>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for line in lines {
        if let Some(last) = out.last_mut() {
            let gap = line.x0 - last.x1;
            let size = last.size.max(line.size);
            let overlaps = line.bottom < last.bottom + size && line.top > last.bottom;
            if (-0.5..0.5 * size).contains(&gap) && overlaps {
                if gap > 0.2 * size {
                    last.text.push(' ');
                }
                last.text.push_str(&line.text);
                last.x1 = last.x1.max(line.x1);
                if line.size >= last.size {
                    last.bottom = last.bottom.min(line.bottom);
                }
                continue;
            }
        }
        out.push(line);
    }
    out
}

/// The size of the body text: the size most characters have.
fn body_size(lines: &[Line]) -> f32 {
    let mut sizes: Vec<(f32, usize)> = Vec::new();
    for line in lines {
        match sizes.iter_mut().find(|(s, _)| *s == line.size) {
            Some((_, n)) => *n += line.chars(),
            None => sizes.push((line.size, line.chars())),
        }
    }
    sizes.into_iter().max_by_key(|(_, n)| *n).map_or(10.0, |(s, _)| s)
}

/// Text with its digits as `#`, to see a running header or footer repeat across pages.
fn shape(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

/// Drops running headers, footers and page numbers: the lines at the very top or bottom of a
/// page, set apart from the rest by a blank line's worth of space, that are a page number, or
/// repeat on another page, or (a header after the first page) are plain body-size text.
/// Footnotes stay: they are neither numbers alone nor repeated.
fn drop_running_lines(pages: &[PageGlyphs], lines: Vec<Line>, body: f32) -> Vec<Line> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in &lines {
        *seen.entry(shape(&line.text)).or_default() += 1;
    }
    let mut drop = vec![false; lines.len()];
    for (number, page) in pages.iter().enumerate() {
        let on_page: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].page == number + 1).collect();
        for top in [true, false] {
            let edge = edge_lines(&lines, &on_page, top, body);
            let in_margin = edge.iter().all(|&i| {
                if top {
                    lines[i].bottom > page.height * 0.8
                } else {
                    lines[i].top < page.height * 0.2
                }
            });
            if edge.is_empty() || !in_margin {
                continue;
            }
            for i in edge {
                let line = &lines[i];
                let numeral = line
                    .text
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_whitespace() || "ivxlc".contains(c));
                let repeats = seen.get(&shape(&line.text)).is_some_and(|n| *n > 1);
                let header = top && line.page > 1 && line.size <= body * 1.05 && !line.bold;
                drop[i] = numeral || repeats || header;
            }
        }
    }
    lines
        .into_iter()
        .zip(drop)
        .filter(|(_, d)| !d)
        .map(|(l, _)| l)
        .collect()
}

/// The lines at a page's top (or bottom) edge, when a blank line's worth of space sets them
/// apart from the next line.
fn edge_lines(lines: &[Line], on_page: &[usize], top: bool, body: f32) -> Vec<usize> {
    let level = |i: usize| if top { lines[i].top } else { -lines[i].bottom };
    let Some(extreme) = on_page.iter().map(|&i| level(i)).max_by(f32::total_cmp) else {
        return Vec::new();
    };
    let (edge, rest): (Vec<usize>, Vec<usize>) = on_page.iter().partition(|&&i| level(i) > extreme - 2.0);
    let edge_far = edge
        .iter()
        .map(|&i| if top { lines[i].bottom } else { -lines[i].top })
        .fold(f32::INFINITY, f32::min);
    let next = rest.iter().map(|&i| level(i)).max_by(f32::total_cmp);
    match next {
        Some(next) if edge_far - next > body => edge,
        _ => Vec::new(),
    }
}

/// Where a line sits on its page: one column, or the left or right of two, or across both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Column {
    Left,
    Right,
    Across,
}

fn column_of(line: &Line, width: f32) -> Column {
    let mid = width / 2.0;
    let slack = width * 0.03;
    if line.x1 <= mid + slack && line.x0 < mid {
        Column::Left
    } else if line.x0 >= mid - slack && line.x1 > mid {
        Column::Right
    } else {
        Column::Across
    }
}

/// A page's lines in reading order: bands between full-width lines, each band's left column
/// then its right; a page with (almost) nothing on the right is read top to bottom.
fn reading_order(page: &PageGlyphs, lines: Vec<Line>) -> Vec<(Column, Line)> {
    let mut placed: Vec<(Column, Line)> = lines.into_iter().map(|l| (column_of(&l, page.width), l)).collect();
    let right = placed.iter().filter(|(c, _)| *c == Column::Right).count();
    if right < 3 {
        for (column, _) in &mut placed {
            *column = Column::Left;
        }
    }
    let mut across: Vec<f32> = placed
        .iter()
        .filter(|(c, _)| *c == Column::Across)
        .map(|(_, l)| l.top)
        .collect();
    across.sort_by(|a, b| b.total_cmp(a));
    let band = |top: f32| across.iter().filter(|&&t| t > top + 0.1).count();
    placed.sort_by(|(ca, a), (cb, b)| {
        let key = |c: Column, l: &Line| (band(l.top), if c == Column::Across { Column::Across } else { c });
        key(*ca, a).cmp(&key(*cb, b)).then(b.top.total_cmp(&a.top))
    });
    placed
}

/// The blocks of a PDF's pages.
pub fn blocks_of(pages: &[PageGlyphs]) -> Vec<Block> {
    let all: Vec<Line> = pages.iter().enumerate().flat_map(|(i, p)| lines_of(p, i + 1)).collect();
    let body = body_size(&all);
    let kept = drop_running_lines(pages, all, body);
    let mut ordered = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let on_page: Vec<Line> = kept.iter().filter(|l| l.page == i + 1).cloned().collect();
        ordered.extend(reading_order(page, on_page));
    }
    let mut blocks = Paragraphs::new(&ordered, body).build(&ordered);
    let vocabulary = super::hyphens::vocabulary(blocks.iter().map(|b| b.text.as_str()));
    for block in &mut blocks {
        block.text = super::hyphens::resolve(&block.text, &vocabulary);
        for heading in &mut block.section {
            *heading = super::hyphens::resolve(heading, &vocabulary);
        }
    }
    blocks
}

/// Paragraph finding over the ordered lines of a document.
struct Paragraphs {
    body: f32,
    title_size: f32,
    /// Heading sizes, largest first (a heading's depth is its size's place here).
    heading_sizes: Vec<f32>,
    /// The left edge of each (page, column): where unindented lines start.
    lefts: Vec<((usize, Column), f32)>,
    /// The usual distance between baselines of body lines.
    pitch: f32,
}

impl Paragraphs {
    fn new(lines: &[(Column, Line)], body: f32) -> Paragraphs {
        let title_size = lines
            .iter()
            .filter(|(_, l)| l.page == 1)
            .map(|(_, l)| l.size)
            .fold(0.0, f32::max);
        let title_size = if title_size >= body * 1.4 {
            title_size
        } else {
            f32::INFINITY
        };
        let mut heading_sizes: Vec<f32> = Vec::new();
        for (_, line) in lines {
            if is_heading(line, body) && line.size < title_size && !heading_sizes.contains(&line.size) {
                heading_sizes.push(line.size);
            }
        }
        heading_sizes.sort_by(|a, b| b.total_cmp(a));
        let lefts = left_edges(lines, body);
        let mut steps: Vec<f32> = lines
            .windows(2)
            .filter(|w| w[0].0 == w[1].0 && w[0].1.page == w[1].1.page)
            .map(|w| w[0].1.bottom - w[1].1.first_bottom)
            .filter(|d| *d > 0.0)
            .collect();
        steps.sort_by(f32::total_cmp);
        let pitch = steps.get(steps.len() / 2).copied().unwrap_or(body * 1.2);
        Paragraphs {
            body,
            title_size,
            heading_sizes,
            lefts,
            pitch,
        }
    }

    fn left(&self, page: usize, column: Column) -> Option<f32> {
        self.lefts.iter().find(|(k, _)| *k == (page, column)).map(|(_, l)| *l)
    }

    fn kind(&self, line: &Line) -> LineKind {
        if line.page == 1 && line.size >= self.title_size {
            LineKind::Title
        } else if is_heading(line, self.body) {
            let by_size = self.heading_sizes.iter().position(|s| *s == line.size).unwrap_or(0);
            LineKind::Heading(numbered_depth(&line.text).unwrap_or(by_size))
        } else {
            LineKind::Text
        }
    }

    /// Whether `line` starts a new paragraph after `previous` (both body text).
    fn starts_paragraph(&self, previous: &(Column, Line), line: &(Column, Line)) -> bool {
        let (column, line) = line;
        let indented = self
            .left(line.page, *column)
            .is_some_and(|left| line.start - left > 0.4 * self.body);
        let same_place = previous.0 == *column && previous.1.page == line.page;
        let gap = previous.1.bottom - line.first_bottom;
        let smaller = (line.size < self.body * 0.9) != (previous.1.size < self.body * 0.9);
        indented || smaller || (same_place && gap > self.pitch * 1.45)
    }

    fn build(&self, lines: &[(Column, Line)]) -> Vec<Block> {
        let mut blocks = Blocks::default();
        let mut paragraph: Option<(String, usize, bool)> = None;
        let mut title = String::new();
        let flush = |paragraph: &mut Option<(String, usize, bool)>, blocks: &mut Blocks| {
            if let Some((text, page, small)) = paragraph.take() {
                let kind = kind_of_text_block(&text, small);
                blocks.push(kind, &text);
                if let Some(block) = blocks.blocks.last_mut() {
                    block.page = Some(page as u32);
                }
            }
        };
        for (i, entry) in lines.iter().enumerate() {
            let line = &entry.1;
            match self.kind(line) {
                LineKind::Title => {
                    join(&mut title, &line.text);
                    continue;
                }
                LineKind::Heading(depth) => {
                    flush(&mut paragraph, &mut blocks);
                    push_title(&mut title, &mut blocks);
                    blocks.heading(depth, &line.text);
                    set_page(&mut blocks, line.page);
                    continue;
                }
                LineKind::Text => push_title(&mut title, &mut blocks),
            }
            let continues = i > 0
                && paragraph.is_some()
                && self.kind(&lines[i - 1].1) == LineKind::Text
                && !self.starts_paragraph(&lines[i - 1], entry);
            match (&mut paragraph, continues) {
                (Some((text, _, _)), true) => join(text, &line.text),
                _ => {
                    flush(&mut paragraph, &mut blocks);
                    paragraph = Some((line.text.clone(), line.page, line.size < self.body * 0.9));
                }
            }
        }
        flush(&mut paragraph, &mut blocks);
        push_title(&mut title, &mut blocks);
        blocks.blocks
    }
}

/// Where unindented body lines start in each (page, column): the most common left edge.
fn left_edges(lines: &[(Column, Line)], body: f32) -> Vec<((usize, Column), f32)> {
    let mut counts: Vec<((usize, Column), i32, usize)> = Vec::new();
    for (column, line) in lines.iter().filter(|(_, l)| (l.size - body).abs() < 0.6) {
        let key = (line.page, *column);
        let x = line.start.round() as i32;
        match counts.iter_mut().find(|(k, at, _)| *k == key && *at == x) {
            Some((_, _, n)) => *n += 1,
            None => counts.push((key, x, 1)),
        }
    }
    let mut lefts: Vec<((usize, Column), f32)> = Vec::new();
    for (key, _, _) in &counts {
        if lefts.iter().any(|(k, _)| k == key) {
            continue;
        }
        let best = counts
            .iter()
            .filter(|(k, _, _)| k == key)
            .max_by_key(|(_, at, n)| (*n, -at))
            .map_or(0.0, |(_, at, _)| *at as f32);
        lefts.push((*key, best));
    }
    lefts
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Title,
    Heading(usize),
    Text,
}

/// A numbered heading's depth from its number (`2` → 0, `2.1` → 1, `2.1.3.` → 2), which says
/// more than its size: many journals set two levels of heading in one size. `None` when the
/// heading has no number (`Acknowledgements`), or a year or a quantity begins it.
fn numbered_depth(text: &str) -> Option<usize> {
    let first = text.split_whitespace().next()?;
    let rest = text[first.len()..].trim_start();
    let number = first.strip_suffix('.').unwrap_or(first);
    let parts: Vec<&str> = number.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()));
    let worded = rest.chars().next().is_some_and(char::is_alphabetic);
    (numeric && worded && parts.len() <= 4).then(|| parts.len() - 1)
}

/// A heading: a short bold line at least the body's size, or a line well above it.
fn is_heading(line: &Line, body: f32) -> bool {
    let short = line.chars() < 100 && !line.text.ends_with('.');
    (line.bold && line.size >= body * 0.95 && short) || (line.size >= body * 1.3 && short)
}

/// A block of text lines: a caption when it opens with a figure's label set as a caption sets
/// it (`Figure 3.`, `Fig. 3:`, `Table 1 |`) or in small print (`Fig. 3 The cell…`); a body
/// sentence that names a figure (`Figure 3 shows…`) stays a paragraph; other small print is a
/// footnote.
fn kind_of_text_block(text: &str, small: bool) -> BlockKind {
    match caption_label(text) {
        Some(punctuated) if punctuated || small => BlockKind::Caption,
        _ if small => BlockKind::Footnote,
        _ => BlockKind::Paragraph,
    }
}

/// Whether the text opens with a figure's or table's label (`Figure 3`), and if so whether
/// the label is followed by a caption's punctuation (`.`, `:`, `|`).
fn caption_label(text: &str) -> Option<bool> {
    let mut words = text.splitn(3, ' ');
    let name = words.next()?;
    if !matches!(name, "Figure" | "Fig." | "Table" | "Scheme" | "Chart") {
        return None;
    }
    let number = words.next()?;
    if !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let after = words.next().unwrap_or("");
    let punctuated = number.ends_with(['.', ':', '|']) || after.starts_with(['|', ':', '—', '–']);
    Some(punctuated)
}

/// Joins a line to the text before it: a line that ends in a hyphen goes on without a space.
fn join(text: &mut String, line: &str) {
    if !text.is_empty() && !text.ends_with(['-', '‐', '/', super::hyphens::LINE_END_HYPHEN]) {
        text.push(' ');
    }
    text.push_str(line);
}

fn push_title(title: &mut String, blocks: &mut Blocks) {
    if !title.is_empty() {
        blocks.push(BlockKind::Title, title);
        set_page(blocks, 1);
        title.clear();
    }
}

fn set_page(blocks: &mut Blocks, page: usize) {
    if let Some(block) = blocks.blocks.last_mut() {
        block.page = Some(page as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::{BlockKind, kind_of_text_block, numbered_depth};

    #[test]
    fn a_caption_is_told_by_its_label_and_print_not_by_its_first_word() {
        assert_eq!(
            kind_of_text_block("Figure 3. The cell of the framework.", false),
            BlockKind::Caption
        );
        assert_eq!(
            kind_of_text_block("Fig. 2: Yields by solvent.", false),
            BlockKind::Caption
        );
        assert_eq!(kind_of_text_block("Table 1 | Conditions", false), BlockKind::Caption);
        assert_eq!(
            kind_of_text_block("Fig. 3 The cell of the framework.", true),
            BlockKind::Caption
        );
        assert_eq!(
            kind_of_text_block("Figure 3 shows the cell of the framework.", false),
            BlockKind::Paragraph
        );
        assert_eq!(
            kind_of_text_block("Table 2 lists the yields.", false),
            BlockKind::Paragraph
        );
        assert_eq!(kind_of_text_block("a Measured at 25 °C.", true), BlockKind::Footnote);
    }

    #[test]
    fn a_headings_number_gives_its_depth() {
        assert_eq!(numbered_depth("2 Experimental"), Some(0));
        assert_eq!(numbered_depth("2. Experimental"), Some(0));
        assert_eq!(numbered_depth("2.1 Synthesis of MOF-5"), Some(1));
        assert_eq!(numbered_depth("2.1.3. Powder X-ray diffraction"), Some(2));
        assert_eq!(numbered_depth("Acknowledgements"), None);
        assert_eq!(
            numbered_depth("2019 update"),
            None,
            "a year is not a number of a section"
        );
        assert_eq!(numbered_depth("4.5"), None);
    }
}
