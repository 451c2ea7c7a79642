//! USPTO full text, grant and application XML v4.x (2005 on): the number (country, number,
//! kind), the title, the abstract, the description with its headings as sections — and the short
//! paragraphs that head a worked example ("Example 3", "Preparation 12") as a section under the
//! heading they follow — tables apart, and each claim. A bulk file (`ipg…xml`) holds many
//! documents, each with its own XML declaration.

use super::blocks::Blocks;
use super::xml::{self, child, descendants};
use super::{Document, PaperFormat, ReadError};
use crate::place::BlockKind;
use regex::Regex;
use roxmltree::Node;
use std::sync::LazyLock;

/// Reads every document of a file (one, or a bulk file's many).
pub fn read_bulk(text: &str, file_name: &str) -> Result<Vec<Document>, ReadError> {
    let starts: Vec<usize> = text.match_indices("<?xml").map(|(at, _)| at).collect();
    if starts.len() <= 1 {
        return Ok(vec![read(text, file_name)?]);
    }
    let mut documents = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let line_before = text[..start].matches('\n').count();
        let document = read(&text[start..end], &format!("{file_name}-{}", i + 1)).map_err(|e| ReadError {
            line: e.line + line_before,
            message: e.message,
        })?;
        documents.push(document);
    }
    Ok(documents)
}

pub fn read(text: &str, file_name: &str) -> Result<Document, ReadError> {
    let parsed = xml::parse(text)?;
    let patent = parsed.root_element();
    let mut blocks = Blocks::default();
    if let Some(title) = descendants(patent, "invention-title").next() {
        blocks.push(BlockKind::Title, &xml::text(title));
    }
    if let Some(abstract_) = child(patent, "abstract") {
        blocks.heading(0, "Abstract");
        for p in descendants(abstract_, "p") {
            blocks.push(BlockKind::Abstract, &xml::text(p));
        }
        blocks.leave(0);
    }
    if let Some(description) = child(patent, "description") {
        blocks.heading(0, "Description");
        describe(description, &mut blocks, 1);
        blocks.leave(0);
    }
    if let Some(claims) = child(patent, "claims") {
        blocks.heading(0, "Claims");
        for claim in descendants(claims, "claim") {
            blocks.push(BlockKind::Claim, &xml::text(claim));
        }
    }
    Ok(Document {
        doc: number(patent).unwrap_or_else(|| file_name.to_string()),
        format: PaperFormat::UsptoXml,
        blocks: blocks.blocks,
    })
}

/// `US10123456B2`: the publication's country, number and kind.
fn number(patent: Node) -> Option<String> {
    let reference = descendants(patent, "publication-reference").next()?;
    let id = child(reference, "document-id")?;
    let part = |name: &str| child(id, name).map(xml::text).unwrap_or_default();
    let number = format!("{}{}{}", part("country"), part("doc-number"), part("kind"));
    (!part("doc-number").is_empty()).then_some(number)
}

/// The description's headings (by their `level`), the example headings under them, and the
/// paragraphs, in order. `base` is the depth of the description's own heading.
fn describe(node: Node, blocks: &mut Blocks, base: usize) {
    // Depth of the last real heading, so an example heading nests under it and the next
    // example replaces it.
    let mut heading_depth = base;
    for element in node.children().filter(Node::is_element) {
        match element.tag_name().name() {
            "heading" => {
                let level: usize = element.attribute("level").and_then(|l| l.parse().ok()).unwrap_or(1);
                let depth = base + level.saturating_sub(1);
                blocks.heading(depth, &xml::text(element));
                heading_depth = depth + 1;
            }
            "p" => {
                let text = xml::text_without(element, &|n| matches!(n.tag_name().name(), "tables" | "img"));
                if is_example_heading(&text) {
                    blocks.heading(heading_depth, &text);
                } else {
                    blocks.push(BlockKind::Paragraph, &text);
                }
                for table in descendants(element, "table") {
                    blocks.push(BlockKind::Table, &xml::table_rows(table));
                }
            }
            "description-of-drawings" | "brief-description-of-drawings" | "description-of-embodiments" => {
                describe(element, blocks, base)
            }
            _ => {}
        }
    }
}

/// A short line that heads a worked example: `Example 3`, `EXAMPLE 12A`, `Preparation 4:`,
/// `Reference Example 1`, `Intermediate 7`, `Step 2` — alone in its paragraph.
pub(super) fn is_example_heading(text: &str) -> bool {
    static HEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^((reference|comparative|synthesis|synthetic|working|production)\s+)?(example|preparation|intermediate|step|compound)s?\s+[0-9][0-9A-Za-z.\-]*\s*[:.]?$",
        )
        .expect("the example heading pattern compiles")
    });
    text.chars().count() <= 40 && HEADING.is_match(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_headings_are_short_lines_that_name_an_example() {
        for heading in [
            "Example 3",
            "EXAMPLE 12A",
            "Preparation 4:",
            "Reference Example 1",
            "Step 2.",
        ] {
            assert!(is_example_heading(heading), "{heading}");
        }
        for prose in [
            "Example 3 was repeated with THF.",
            "Examples",
            "The example",
            "Step two",
        ] {
            assert!(!is_example_heading(prose), "{prose}");
        }
    }
}
