//! USPTO full text before the v4 XML: the 2001–2004 formats (grants as SGML-style `PATDOC` XML
//! with ISO character entities; applications as `patent-application-publication`) and the
//! 1976–2000 APS text format (four-letter field names, continuation lines indented). Each gives
//! the number, title, abstract, description under its headings (worked examples as sections,
//! as in v4) and the claims.

use super::blocks::Blocks;
use super::xml::{self, child, descendants};
use super::{Document, PaperFormat, ReadError};
use crate::place::BlockKind;
use roxmltree::Node;

/// A 2001–2004 document (grant or application).
pub fn read_sgml(text: &str, file_name: &str) -> Result<Document, ReadError> {
    let text = super::entities::replace_named(text);
    let parsed = xml::parse(&text)?;
    let root = parsed.root_element();
    let grant = root.has_tag_name("PATDOC");
    let mut blocks = Blocks::default();
    let title = if grant {
        descendants(root, "B540").next()
    } else {
        descendants(root, "title-of-invention").next()
    };
    if let Some(title) = title {
        blocks.push(BlockKind::Title, &xml::text(title));
    }
    let (abstract_, description, claims) = if grant {
        ("SDOAB", "SDODE", "SDOCL")
    } else {
        ("subdoc-abstract", "subdoc-description", "subdoc-claims")
    };
    if let Some(node) = descendants(root, abstract_).next() {
        blocks.heading(0, "Abstract");
        for paragraph in node.descendants().filter(is_paragraph) {
            blocks.push(BlockKind::Abstract, &paragraph_text(paragraph));
        }
        blocks.leave(0);
    }
    if let Some(node) = descendants(root, description).next() {
        blocks.heading(0, "Description");
        let mut heading_depth = 1;
        describe(node, &mut blocks, &mut heading_depth);
        blocks.leave(0);
    }
    if let Some(node) = descendants(root, claims).next() {
        blocks.heading(0, "Claims");
        let claim_name = if grant { "CLM" } else { "claim" };
        for claim in descendants(node, claim_name) {
            blocks.push(BlockKind::Claim, &xml::text(claim));
        }
    }
    Ok(Document {
        doc: sgml_number(root, grant).unwrap_or_else(|| file_name.to_string()),
        format: PaperFormat::UsptoSgml,
        blocks: blocks.blocks,
    })
}

fn is_paragraph(node: &Node) -> bool {
    node.has_tag_name("PARA") || node.has_tag_name("paragraph")
}

/// A paragraph without its `[0012]` number.
fn paragraph_text(node: Node) -> String {
    xml::text_without(node, &|n| n.has_tag_name("number"))
}

fn sgml_number(root: Node, grant: bool) -> Option<String> {
    let (number, kind) = if grant {
        let number = descendants(root, "B110").next().map(xml::text)?;
        (
            number,
            descendants(root, "B130").next().map(xml::text).unwrap_or_default(),
        )
    } else {
        let id = descendants(root, "document-id").next()?;
        let number = child(id, "doc-number").map(xml::text)?;
        (number, child(id, "kind-code").map(xml::text).unwrap_or_default())
    };
    let number = number.trim().trim_start_matches('0');
    (!number.is_empty()).then(|| format!("US{number}{}", kind.trim()))
}

fn describe(node: Node, blocks: &mut Blocks, heading_depth: &mut usize) {
    for element in node.children().filter(Node::is_element) {
        let name = element.tag_name().name();
        if name == "H" || name == "heading" {
            let level: usize = element
                .attribute("LVL")
                .or(element.attribute("lvl"))
                .and_then(|l| l.parse().ok())
                .unwrap_or(1);
            let depth = level.max(1);
            blocks.heading(depth, &xml::text(element));
            *heading_depth = depth + 1;
        } else if is_paragraph(&element) {
            let text = paragraph_text(element);
            if super::uspto::is_example_heading(&text) {
                blocks.heading(*heading_depth, &text);
            } else {
                blocks.push(BlockKind::Paragraph, &text);
            }
        } else {
            describe(element, blocks, heading_depth);
        }
    }
}

/// The documents of an APS text file (1976–2000): one per `PATN` record.
pub fn read_aps(text: &str, file_name: &str) -> Vec<Document> {
    let fields = aps_fields(text);
    let mut documents = Vec::new();
    let mut start = 0;
    for (i, (name, _)) in fields.iter().enumerate().skip(1) {
        if name == "PATN" {
            documents.push(aps_document(&fields[start..i], file_name, documents.len()));
            start = i;
        }
    }
    if !fields.is_empty() {
        documents.push(aps_document(&fields[start..], file_name, documents.len()));
    }
    documents
}

/// (field, value) pairs: a line starting with a four-character name opens a field, a line
/// starting with spaces continues the one before.
fn aps_fields(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with("HHHHHT") {
            continue;
        }
        if line.starts_with(' ') {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        let name: String = line.chars().take(4).collect::<String>().trim().to_string();
        let value = line.chars().skip(4).collect::<String>().trim().to_string();
        fields.push((name, value));
    }
    for (_, value) in &mut fields {
        *value = aps_characters(value);
    }
    fields
}

/// The APS text's spelled-out characters (`.degree.`, `.mu.`, `.+-.`) as the characters.
fn aps_characters(value: &str) -> String {
    const SPELLED: &[(&str, &str)] = &[
        (".degree.", "°"),
        (".alpha.", "α"),
        (".beta.", "β"),
        (".gamma.", "γ"),
        (".delta.", "δ"),
        (".epsilon.", "ε"),
        (".lambda.", "λ"),
        (".mu.", "μ"),
        (".pi.", "π"),
        (".sigma.", "σ"),
        (".omega.", "ω"),
        (".+-.", "±"),
        (".ltoreq.", "≤"),
        (".gtoreq.", "≥"),
        (".times.", "×"),
        (".about.", "∼"),
        (".fwdarw.", "→"),
        (".revreaction.", "⇄"),
        (".angstrom.", "Å"),
    ];
    if !value.contains('.') {
        return value.to_string();
    }
    let mut out = value.to_string();
    for (spelled, character) in SPELLED {
        out = out.replace(spelled, character);
    }
    out
}

/// One patent's fields as blocks. Segments (`ABST`, `BSUM`, `DETD`, `DRWD`, `CLMS`) are named
/// by a field without a value.
fn aps_document(fields: &[(String, String)], file_name: &str, index: usize) -> Document {
    let mut blocks = Blocks::default();
    let mut segment = "";
    let mut number = None;
    let mut heading_depth = 2;
    let mut claim = String::new();
    let push_claim = |claim: &mut String, blocks: &mut Blocks| {
        if !claim.is_empty() {
            blocks.push(BlockKind::Claim, claim);
            claim.clear();
        }
    };
    for (name, value) in fields {
        if value.is_empty() {
            push_claim(&mut claim, &mut blocks);
            segment = match name.as_str() {
                "ABST" => {
                    blocks.heading(0, "Abstract");
                    "ABST"
                }
                "BSUM" | "DETD" | "DRWD" => {
                    if !blocks
                        .blocks
                        .iter()
                        .any(|b| b.text == "Description" && b.kind == BlockKind::Heading)
                    {
                        blocks.heading(0, "Description");
                    }
                    blocks.leave(1);
                    "DESC"
                }
                "CLMS" => {
                    blocks.heading(0, "Claims");
                    "CLMS"
                }
                _ => "",
            };
            continue;
        }
        match (segment, name.as_str()) {
            (_, "WKU") => number = Some(aps_number(value)),
            ("", "TTL") => blocks.push(BlockKind::Title, value),
            ("ABST", "PAR" | "PAL") => blocks.push(BlockKind::Abstract, value),
            ("DESC", "PAC") => {
                blocks.heading(1, value);
                heading_depth = 2;
            }
            ("DESC", "PAR" | "PA1" | "PA2" | "PA3" | "PAL") if super::uspto::is_example_heading(value) => {
                blocks.heading(heading_depth, value)
            }
            ("DESC", "PAR" | "PA1" | "PA2" | "PA3" | "PAL") => blocks.push(BlockKind::Paragraph, value),
            ("DESC", "TBL") => blocks.push(BlockKind::Table, value),
            ("CLMS", "NUM") => push_claim(&mut claim, &mut blocks),
            ("CLMS", "PAR" | "PA1" | "PA2" | "PA3" | "PAL") => {
                if !claim.is_empty() {
                    claim.push(' ');
                }
                claim.push_str(value);
            }
            _ => {}
        }
    }
    push_claim(&mut claim, &mut blocks);
    let fallback = if index == 0 {
        file_name.to_string()
    } else {
        format!("{file_name}-{}", index + 1)
    };
    Document {
        doc: number.unwrap_or(fallback),
        format: PaperFormat::UsptoAps,
        blocks: blocks.blocks,
    }
}

/// `039305465` (a type digit, seven digits, a check digit) → `US3930546`; design and reissue
/// numbers (`D0245678`, `RE0312345`) keep their letters.
fn aps_number(wku: &str) -> String {
    let wku = wku.trim();
    if wku.len() == 9 && wku.chars().all(|c| c.is_ascii_digit()) {
        return format!("US{}", wku[..8].trim_start_matches('0'));
    }
    let letters: String = wku.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let digits = wku[letters.len()..].trim_start_matches('0');
    format!("US{letters}{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aps_numbers_drop_the_check_digit_and_the_padding() {
        assert_eq!(aps_number("039305465"), "US3930546");
        assert_eq!(aps_number("RE0312345"), "USRE312345");
    }
}
