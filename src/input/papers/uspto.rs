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

/// `US10123456B2`: the publication's country, number (without leading zeros) and kind.
fn number(patent: Node) -> Option<String> {
    let reference = descendants(patent, "publication-reference").next()?;
    let id = child(reference, "document-id")?;
    let part = |name: &str| child(id, name).map(xml::text).unwrap_or_default();
    // `08927118` is written `8927118`, as the older formats' readers write it: one patent, one id.
    let digits = part("doc-number");
    let digits = digits.trim().trim_start_matches('0');
    let number = format!("{}{digits}{}", part("country"), part("kind"));
    (!digits.is_empty()).then_some(number)
}

/// The description's headings, the example headings under them, and the paragraphs, in order.
/// `base` is the depth of the description's own heading.
fn describe(node: Node, blocks: &mut Blocks, base: usize) {
    let mut nesting = Nesting::new(base);
    for element in node.children().filter(Node::is_element) {
        match element.tag_name().name() {
            "heading" => {
                let level: usize = element.attribute("level").and_then(|l| l.parse().ok()).unwrap_or(1);
                let text = xml::text(element);
                blocks.heading(nesting.heading(&text, level), &text);
            }
            "p" => {
                let text = xml::text_without(element, &|n| {
                    matches!(n.tag_name().name(), "tables" | "img" | "ul" | "ol")
                });
                if is_example_heading(&text) {
                    blocks.heading(nesting.heading(&text, 1), &text);
                } else {
                    nesting.content();
                    blocks.push(BlockKind::Paragraph, &text);
                }
                // A list inside the paragraph: each item a paragraph of its own, after it.
                for item in element.descendants().filter(|d| d.has_tag_name("li")) {
                    let own = xml::text_without(item, &|n| matches!(n.tag_name().name(), "ul" | "ol" | "tables"));
                    blocks.push(BlockKind::Paragraph, &own);
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

/// How deep a patent's heading goes. Patents mark every heading `level="1"`, so the depth comes
/// from what the headings are: a heading in capitals (`EXAMPLES`) is a section of the
/// description; an example's heading (`Synthesis Example 3`) goes under it, and the other
/// headings inside an example under that (`(Synthesis of Compound No. 11)`, `(1) Synthesis of
/// Compound 5`); elsewhere a heading right after another heading is its subheading.
struct Nesting {
    base: usize,
    /// The depth of the last section heading in capitals.
    section: Option<usize>,
    /// The depth of the example being read.
    example: Option<usize>,
    /// The depth of the last heading, while no content followed it.
    just_headed: Option<usize>,
}

impl Nesting {
    fn new(base: usize) -> Nesting {
        Nesting {
            base,
            section: None,
            example: None,
            just_headed: None,
        }
    }

    fn heading(&mut self, text: &str, level: usize) -> usize {
        let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
        let capitals = letters.len() > 1 && letters.iter().all(|c| c.is_uppercase());
        let depth = if is_example_heading(text) {
            let depth = self.section.map_or(self.base, |s| s + 1);
            self.example = Some(depth);
            depth
        } else if capitals {
            self.example = None;
            let depth = self.base + level.saturating_sub(1);
            self.section = Some(depth);
            depth
        } else if let Some(example) = self.example {
            example + 1
        } else if let Some(above) = self.just_headed {
            above + 1
        } else {
            self.base + level.saturating_sub(1)
        };
        self.just_headed = Some(depth);
        depth
    }

    fn content(&mut self) {
        self.just_headed = None;
    }
}

/// A short line that heads a worked example: `Example 3`, `EXAMPLE 12A`, `Preparation 4:`,
/// `Reference Example 1`, `Intermediate 7`, `Step 2` — alone in its paragraph.
pub(super) fn is_example_heading(text: &str) -> bool {
    static HEADING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^((reference|comparative|synthesis|synthetic|working|production)\s+)?(example|preparation|intermediate|step|compound)s?\s+[0-9][0-9A-Za-z.\-]*(\s+(to|and|-|–)\s+[0-9][0-9A-Za-z.\-]*)?\s*[:.]?$",
        )
        .expect("the example heading pattern compiles")
    });
    text.chars().count() <= 40 && HEADING.is_match(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patents_flat_headings_nest_by_what_they_are() {
        // US 8,927,118 B2 marks every heading level 1.
        let mut nesting = Nesting::new(1);
        let mut at = |text: &str| nesting.heading(text, 1);
        assert_eq!(at("EXAMPLES"), 1);
        nesting.content();
        let mut at = |text: &str| nesting.heading(text, 1);
        assert_eq!(at("Synthesis Example 5"), 2);
        assert_eq!(at("(Synthesis of Compound No. 100)"), 3);
        nesting.content();
        assert_eq!(nesting.heading("(1) Synthesis of Compound 5", 1), 3);
        nesting.content();
        assert_eq!(nesting.heading("(2) Synthesis of Compound 6", 1), 3);
        nesting.content();
        assert_eq!(nesting.heading("Synthesis Example 6", 1), 2);
        nesting.content();
        assert_eq!(nesting.heading("INDUSTRIAL APPLICABILITY", 1), 1);
        nesting.content();
        assert_eq!(nesting.heading("Some heading", 1), 1);
        assert_eq!(nesting.heading("Right under it", 1), 2);
    }

    #[test]
    fn example_headings_are_short_lines_that_name_an_example() {
        for heading in [
            "Example 3",
            "EXAMPLE 12A",
            "Preparation 4:",
            "Reference Example 1",
            "Step 2.",
            "Examples 2 to 26",
            "Comparative Examples 12 and 13",
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
