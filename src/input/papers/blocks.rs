//! What readers build: blocks in reading order under a stack of headings.

use crate::place::BlockKind;

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    /// The headings above the block, outermost first.
    pub section: Vec<String>,
    pub text: String,
    pub page: Option<u32>,
}

/// Blocks as a reader finds them, and the headings it is under.
#[derive(Debug, Default)]
pub struct Blocks {
    pub blocks: Vec<Block>,
    section: Vec<String>,
}

impl Blocks {
    /// A block under the current headings; empty text is no block.
    pub fn push(&mut self, kind: BlockKind, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.blocks.push(Block {
            kind,
            section: self.section.clone(),
            text: text.to_string(),
            page: None,
        });
    }

    /// A heading at `depth` (0 the outermost): a block under the headings above it, then the
    /// heading of what follows.
    pub fn heading(&mut self, depth: usize, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.section.truncate(depth);
        self.push(BlockKind::Heading, text);
        self.section.push(text.to_string());
    }

    /// How many headings the blocks are under now.
    pub fn depth(&self) -> usize {
        self.section.len()
    }

    /// Leaves the headings deeper than `depth` (a section ended).
    pub fn leave(&mut self, depth: usize) {
        self.section.truncate(depth);
    }
}

/// Stands for a line broken inside a table cell until the cell's text is collapsed.
pub const CELL_LINE: char = '\u{E000}';

/// What a cell's lines are joined with: a cell of several lines (`<break/>`, paragraphs, list
/// items) keeps them apart, in every reader that makes table blocks.
pub const CELL_LINE_SEPARATOR: &str = "; ";

/// A cell's raw text, its lines marked with [`CELL_LINE`]: collapsed, the lines joined by
/// [`CELL_LINE_SEPARATOR`].
pub fn cell_lines(raw: &str) -> String {
    collapse(raw)
        .split(CELL_LINE)
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(CELL_LINE_SEPARATOR)
}

/// Runs of XML layout whitespace (spaces, tabs, line ends) become one space; other spaces (no-break,
/// thin) are text and stay.
pub fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_whitespace_collapses_and_other_spaces_stay() {
        assert_eq!(collapse("  5\u{a0}mL of\n   THF\t(2 h) "), "5\u{a0}mL of THF (2 h)");
    }

    #[test]
    fn headings_nest_by_depth() {
        let mut blocks = Blocks::default();
        blocks.heading(0, "Experimental");
        blocks.heading(1, "Example 1");
        blocks.push(BlockKind::Paragraph, "A");
        blocks.heading(1, "Example 2");
        blocks.push(BlockKind::Paragraph, "B");
        blocks.heading(0, "Claims");
        blocks.push(BlockKind::Claim, "C");
        let joined: Vec<(String, String)> = blocks
            .blocks
            .iter()
            .map(|b| (b.text.clone(), b.section.join("/")))
            .collect();
        let sections: Vec<(&str, &str)> = joined.iter().map(|(t, s)| (t.as_str(), s.as_str())).collect();
        assert_eq!(
            sections,
            [
                ("Experimental", ""),
                ("Example 1", "Experimental"),
                ("A", "Experimental/Example 1"),
                ("Example 2", "Experimental"),
                ("B", "Experimental/Example 2"),
                ("Claims", ""),
                ("C", "Claims")
            ]
        );
    }
}
