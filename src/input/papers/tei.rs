//! GROBID's TEI (what GROBID makes of a PDF): the title and DOI from the header, the abstract,
//! the body's `div`s — each `head` a heading, its depth from GROBID's numbering (`n="2.1"`) —,
//! paragraphs, figures and tables as caption (and table) blocks, and the references.

use super::blocks::Blocks;
use super::xml::{self, child, descendants};
use super::{Document, PaperFormat, ReadError};
use crate::place::BlockKind;
use roxmltree::Node;

pub fn read(text: &str, file_name: &str) -> Result<Document, ReadError> {
    let parsed = xml::parse(text)?;
    let tei = parsed.root_element();
    let mut blocks = Blocks::default();
    let header = child(tei, "teiHeader");
    let title = header
        .and_then(|h| descendants(h, "titleStmt").next())
        .and_then(|t| child(t, "title"));
    if let Some(title) = title {
        blocks.push(BlockKind::Title, &xml::text(title));
    }
    if let Some(abstract_) = header.and_then(|h| descendants(h, "abstract").next()) {
        blocks.heading(0, "Abstract");
        for p in descendants(abstract_, "p") {
            blocks.push(BlockKind::Abstract, &xml::text(p));
        }
        blocks.leave(0);
    }
    let text_node = child(tei, "text");
    if let Some(body) = text_node.and_then(|t| child(t, "body")) {
        divs(body, &mut blocks);
    }
    if let Some(back) = text_node.and_then(|t| child(t, "back")) {
        back_matter(back, &mut blocks);
    }
    let doi = header
        .into_iter()
        .flat_map(|h| descendants(h, "idno"))
        .find(|i| i.attribute("type").is_some_and(|t| t.eq_ignore_ascii_case("doi")))
        .map(xml::text)
        .filter(|d| !d.is_empty());
    Ok(Document {
        doc: doi.unwrap_or_else(|| file_name.to_string()),
        format: PaperFormat::Tei,
        blocks: blocks.blocks,
    })
}

/// The depth of a numbered head (`2` → 0, `2.1` → 1); unnumbered heads are at the top.
fn depth_of(head: Node) -> usize {
    head.attribute("n")
        .map_or(0, |n| n.trim_end_matches('.').matches('.').count())
}

fn divs(node: Node, blocks: &mut Blocks) {
    for element in node.children().filter(Node::is_element) {
        match element.tag_name().name() {
            "div" => {
                if let Some(head) = child(element, "head") {
                    let number = head.attribute("n").unwrap_or("");
                    blocks.heading(depth_of(head), format!("{number} {}", xml::text(head)).trim());
                }
                divs(element, blocks);
            }
            "p" => blocks.push(
                BlockKind::Paragraph,
                &xml::text_without(element, &|n| n.has_tag_name("figure")),
            ),
            "formula" => blocks.push(BlockKind::Paragraph, &xml::text(element)),
            "figure" => figure(element, blocks),
            _ => {}
        }
    }
}

fn figure(figure: Node, blocks: &mut Blocks) {
    let head = child(figure, "head").map(xml::text).unwrap_or_default();
    let description = child(figure, "figDesc").map(xml::text).unwrap_or_default();
    blocks.push(BlockKind::Caption, format!("{head} {description}").trim());
    if let Some(table) = child(figure, "table") {
        blocks.push(BlockKind::Table, &xml::table_rows(table));
    }
}

fn back_matter(back: Node, blocks: &mut Blocks) {
    for div in back.children().filter(|c| c.has_tag_name("div")) {
        let kind = div.attribute("type").unwrap_or("");
        if kind == "references" {
            blocks.heading(0, "References");
            for reference in descendants(div, "biblStruct") {
                blocks.push(BlockKind::Reference, &xml::words(reference));
            }
        } else {
            // GROBID puts the head on an inner div at times; a default only when there is none.
            if descendants(div, "head").next().is_none() {
                let title = match kind {
                    "acknowledgement" => "Acknowledgements",
                    "annex" => "Appendix",
                    _ => "",
                };
                blocks.heading(0, title);
            }
            divs(div, blocks);
        }
        blocks.leave(0);
    }
}
