//! JATS / NLM XML (PMC Open Access, Springer Nature, PLOS, eLife, MDPI…): the title, the
//! abstracts, the body's sections and paragraphs (figures and tables nested in a paragraph come
//! out as their own caption and table blocks), lists, then the back matter: acknowledgements,
//! appendices, footnotes and references, each apart.

use super::blocks::Blocks;
use super::xml::{self, child, descendants};
use super::{Document, PaperFormat, ReadError};
use crate::place::BlockKind;
use roxmltree::Node;

pub fn read(text: &str, file_name: &str) -> Result<Document, ReadError> {
    let parsed = xml::parse(text)?;
    let article = parsed.root_element();
    let mut blocks = Blocks::default();
    let meta = descendants(article, "article-meta").next();
    if let Some(title) = meta.and_then(|m| descendants(m, "article-title").next()) {
        blocks.push(BlockKind::Title, &xml::text(title));
    }
    for abstract_ in meta.into_iter().flat_map(|m| descendants(m, "abstract")) {
        read_abstract(abstract_, &mut blocks);
    }
    if let Some(body) = child(article, "body") {
        walk(body, &mut blocks);
    }
    if let Some(back) = child(article, "back") {
        walk(back, &mut blocks);
    }
    let doi = meta
        .into_iter()
        .flat_map(|m| descendants(m, "article-id"))
        .find(|id| id.attribute("pub-id-type") == Some("doi"))
        .map(xml::text)
        .filter(|doi| !doi.is_empty());
    Ok(Document {
        doc: doi.unwrap_or_else(|| file_name.to_string()),
        format: PaperFormat::Jats,
        blocks: blocks.blocks,
    })
}

fn read_abstract(abstract_: Node, blocks: &mut Blocks) {
    let depth = blocks.depth();
    let heading = child(abstract_, "title")
        .map(xml::text)
        .unwrap_or_else(|| "Abstract".into());
    blocks.heading(depth, &heading);
    for p in descendants(abstract_, "p") {
        blocks.push(BlockKind::Abstract, &paragraph_text(p));
    }
    blocks.leave(depth);
}

/// Elements whose text is not the paragraph's own: floats come out as their own blocks, and
/// formula sources and graphics are not prose.
fn not_prose(node: &Node) -> bool {
    matches!(
        node.tag_name().name(),
        "fig"
            | "fig-group"
            | "table-wrap"
            | "table-wrap-group"
            | "supplementary-material"
            | "tex-math"
            | "graphic"
            | "inline-graphic"
            | "media"
    )
}

/// A figure, a table or a piece of supplementary material: each is a caption block of its own,
/// wherever it is nested (eLife's figure supplements sit in their figure's group or inside the
/// figure, their source data inside a caption).
fn is_float(node: &Node) -> bool {
    matches!(node.tag_name().name(), "fig" | "table-wrap" | "supplementary-material")
}

fn paragraph_text(p: Node) -> String {
    xml::text_without(p, &not_prose)
}

/// A section's title, with its label (`2.1 Materials`).
fn title_of(section: Node) -> String {
    let label = child(section, "label").map(xml::text).unwrap_or_default();
    let title = child(section, "title").map(xml::text).unwrap_or_default();
    format!("{label} {title}").trim().to_string()
}

fn walk(node: Node, blocks: &mut Blocks) {
    for element in node.children().filter(Node::is_element) {
        match element.tag_name().name() {
            "sec" | "app" | "ack" | "app-group" | "glossary" | "notes" => section(element, blocks),
            "title" | "label" | "sec-meta" | "object-id" => {}
            "p" => {
                blocks.push(BlockKind::Paragraph, &paragraph_text(element));
                floats_in(element, blocks);
            }
            "fig" | "fig-group" | "table-wrap" | "table-wrap-group" | "supplementary-material" => {
                floats_under(element, blocks);
            }
            "ref-list" => references(element, blocks),
            "fn-group" | "fn" | "table-wrap-foot" => {
                for p in descendants(element, "p") {
                    blocks.push(BlockKind::Footnote, &xml::text(p));
                }
            }
            "disp-formula" => blocks.push(BlockKind::Paragraph, &xml::text_without(element, &not_prose)),
            _ => walk(element, blocks),
        }
    }
}

fn section(element: Node, blocks: &mut Blocks) {
    let depth = blocks.depth();
    let title = title_of(element);
    let title = match (title.is_empty(), element.tag_name().name()) {
        (false, _) => title,
        (true, "ack") => "Acknowledgements".into(),
        (true, "app" | "app-group") => "Appendix".into(),
        (true, _) => String::new(),
    };
    if !title.is_empty() {
        blocks.heading(depth, &title);
    }
    walk(element, blocks);
    blocks.leave(depth);
}

/// Figures and tables nested inside a paragraph, after it.
fn floats_in(p: Node, blocks: &mut Blocks) {
    for element in p.descendants().skip(1).filter(is_float) {
        float(element, blocks);
    }
}

/// Every float in `element` (itself included), in document order: a group's members, a figure's
/// supplements after the figure.
fn floats_under(element: Node, blocks: &mut Blocks) {
    for float_element in element.descendants().filter(is_float) {
        float(float_element, blocks);
    }
}

/// One float: its caption (label, title and paragraphs, the floats nested in it left to
/// their own blocks) as a caption block; a table's rows as a table block; a table's footnotes as
/// footnotes.
fn float(element: Node, blocks: &mut Blocks) {
    let label = child(element, "label").map(xml::text).unwrap_or_default();
    let caption = child(element, "caption").map(caption_text).unwrap_or_default();
    blocks.push(BlockKind::Caption, format!("{label} {caption}").trim());
    if let Some(table) =
        child(element, "table").or_else(|| child(element, "alternatives").and_then(|a| child(a, "table")))
    {
        blocks.push(BlockKind::Table, &xml::table_rows(table));
    }
    for foot in element.children().filter(|c| c.has_tag_name("table-wrap-foot")) {
        for p in descendants(foot, "p") {
            blocks.push(BlockKind::Footnote, &xml::text(p));
        }
    }
}

/// A caption's title and paragraphs, a space between each (their elements have none).
fn caption_text(caption: Node) -> String {
    let parts: Vec<String> = caption
        .children()
        .filter(Node::is_element)
        .map(|part| xml::text_without(part, &is_float))
        .filter(|text| !text.is_empty())
        .collect();
    parts.join(" ")
}

fn references(list: Node, blocks: &mut Blocks) {
    let depth = blocks.depth();
    let title = child(list, "title")
        .map(xml::text)
        .unwrap_or_else(|| "References".into());
    blocks.heading(depth, &title);
    for reference in list.children().filter(|c| c.has_tag_name("ref")) {
        let label = child(reference, "label").map(xml::text).unwrap_or_default();
        let citation = xml::text_without(reference, &|n| n.has_tag_name("label"));
        blocks.push(BlockKind::Reference, format!("{label} {citation}").trim());
    }
    for nested in list.children().filter(|c| c.has_tag_name("ref-list")) {
        references(nested, blocks);
    }
    blocks.leave(depth);
}
