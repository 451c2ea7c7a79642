//! Plain text and Markdown: paragraphs at blank lines (the lines of one paragraph joined by a
//! space), `#` headings by their number of `#`s.

use super::blocks::Blocks;
use super::{Document, PaperFormat};
use crate::place::BlockKind;

pub fn read(text: &str, file_name: &str) -> Document {
    let mut blocks = Blocks::default();
    let mut lines: Vec<&str> = Vec::new();
    let flush = |lines: &mut Vec<&str>, blocks: &mut Blocks| {
        if !lines.is_empty() {
            blocks.push(BlockKind::Paragraph, &lines.join(" "));
            lines.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            flush(&mut lines, &mut blocks);
            blocks.heading(hashes - 1, trimmed[hashes..].trim());
        } else if trimmed.is_empty() {
            flush(&mut lines, &mut blocks);
        } else {
            lines.push(trimmed);
        }
    }
    flush(&mut lines, &mut blocks);
    Document {
        doc: file_name.to_string(),
        format: PaperFormat::Text,
        blocks: blocks.blocks,
    }
}
