//! Elsevier full-text XML (the Article Retrieval API's `full-text-retrieval-response`, or a
//! bare `ja:article`): the title, the abstract, the body's `ce:section`s with their labels and
//! titles, paragraphs, figures and tables as caption and table blocks, and the bibliography.
//! Elements are matched by their local names (`ce:para` → `para`).

use super::blocks::Blocks;
use super::xml::{self, child, descendants};
use super::{Document, PaperFormat, ReadError};
use crate::place::BlockKind;
use roxmltree::Node;

pub fn read(text: &str, file_name: &str) -> Result<Document, ReadError> {
    let parsed = xml::parse(text)?;
    let root = parsed.root_element();
    let article = descendants(root, "article").next().unwrap_or(root);
    let mut blocks = Blocks::default();
    let title = descendants(article, "head")
        .next()
        .and_then(|head| child(head, "title"))
        .or_else(|| descendants(root, "title").next());
    if let Some(title) = title {
        blocks.push(BlockKind::Title, &xml::text(title));
    }
    for abstract_ in descendants(article, "abstract").filter(|a| a.attribute("class") != Some("graphical")) {
        blocks.heading(0, "Abstract");
        for para in abstract_.descendants().filter(|d| is_para(d)) {
            blocks.push(BlockKind::Abstract, &prose(para));
        }
        blocks.leave(0);
    }
    if let Some(body) = descendants(article, "body").next() {
        walk(body, &mut blocks);
    }
    for bibliography in descendants(article, "bibliography") {
        blocks.heading(0, "References");
        for reference in descendants(bibliography, "bib-reference") {
            let label = child(reference, "label").map(xml::text).unwrap_or_default();
            let citation = xml::text_without(reference, &|n| n.has_tag_name("label"));
            blocks.push(BlockKind::Reference, format!("{label} {citation}").trim());
        }
        blocks.leave(0);
    }
    let doi = descendants(root, "doi").next().map(xml::text).filter(|d| !d.is_empty());
    Ok(Document {
        doc: doi.unwrap_or_else(|| file_name.to_string()),
        format: PaperFormat::Elsevier,
        blocks: blocks.blocks,
    })
}

fn is_para(node: &Node) -> bool {
    matches!(node.tag_name().name(), "para" | "simple-para")
}

/// A paragraph's own text: floats come out as their own blocks.
fn prose(para: Node) -> String {
    xml::text_without(para, &|n| {
        matches!(
            n.tag_name().name(),
            "figure" | "table" | "float-anchor" | "display" | "cross-refs-anchor"
        )
    })
}

fn walk(node: Node, blocks: &mut Blocks) {
    for element in node.children().filter(Node::is_element) {
        match element.tag_name().name() {
            "section" => {
                let depth = blocks.depth();
                let label = child(element, "label").map(xml::text).unwrap_or_default();
                let title = child(element, "section-title").map(xml::text).unwrap_or_default();
                blocks.heading(depth, format!("{label} {title}").trim());
                walk(element, blocks);
                blocks.leave(depth);
            }
            "para" | "simple-para" => {
                blocks.push(BlockKind::Paragraph, &prose(element));
                for float in element
                    .descendants()
                    .filter(|d| matches!(d.tag_name().name(), "figure" | "table"))
                {
                    float_block(float, blocks);
                }
            }
            "figure" | "table" => float_block(element, blocks),
            "label" | "section-title" => {}
            _ => walk(element, blocks),
        }
    }
}

fn float_block(element: Node, blocks: &mut Blocks) {
    let label = child(element, "label").map(xml::text).unwrap_or_default();
    let caption = child(element, "caption").map(xml::text).unwrap_or_default();
    blocks.push(BlockKind::Caption, format!("{label} {caption}").trim());
    if element.has_tag_name("table") {
        blocks.push(BlockKind::Table, &xml::table_rows(element));
    }
}
