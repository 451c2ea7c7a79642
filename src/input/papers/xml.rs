//! What the XML readers share: finding the root element's name without parsing, parsing with a
//! DOCTYPE allowed, an element's text with some of its parts left out, and errors with their
//! line and column.

use super::ReadError;
use super::blocks::collapse;
use roxmltree::{Document, Node, ParsingOptions};

/// The name of the first element of an XML text (prolog, comments and DOCTYPE skipped), without
/// parsing the rest; `None` when the text is not XML.
pub fn root_name(head: &str) -> Option<&str> {
    let mut rest = head.trim_start_matches('\u{feff}').trim_start();
    loop {
        if !rest.starts_with('<') {
            return None;
        }
        let skip_to = |rest: &str, end: &str| rest.find(end).map(|at| at + end.len());
        let after = if rest.starts_with("<?") {
            skip_to(rest, "?>")?
        } else if rest.starts_with("<!--") {
            skip_to(rest, "-->")?
        } else if rest.starts_with("<!") {
            doctype_end(rest)?
        } else {
            let name = &rest[1..];
            let end = name.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            let name = &name[..end];
            // A namespace prefix (`<ns:article>`) does not change what the document is.
            return Some(name.rsplit(':').next().unwrap_or(name));
        };
        rest = rest[after..].trim_start();
    }
}

/// The end of `<!DOCTYPE … [ internal subset ]>`.
fn doctype_end(text: &str) -> Option<usize> {
    let mut depth = 0;
    for (at, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => return Some(at + 1),
            _ => {}
        }
    }
    None
}

pub fn parse(text: &str) -> Result<Document<'_>, ReadError> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options).map_err(|e| {
        let at = e.pos();
        ReadError {
            line: at.row as usize,
            message: format!("column {}: malformed XML: {e}", at.col),
        }
    })
}

/// The element's text, layout whitespace collapsed, leaving out the elements `skip` names.
pub fn text_without(node: Node, skip: &dyn Fn(&Node) -> bool) -> String {
    let mut raw = String::new();
    gather(node, skip, &mut raw);
    collapse(&raw)
}

fn gather(node: Node, skip: &dyn Fn(&Node) -> bool, out: &mut String) {
    for child in node.children() {
        if child.is_text() {
            out.push_str(child.text().unwrap_or(""));
        } else if child.is_element() && !skip(&child) {
            // Line breaks and table cells are separations in the text.
            let name = child.tag_name().name();
            if matches!(name, "br" | "td" | "th" | "entry") && !out.ends_with(' ') {
                out.push(' ');
            }
            gather(child, skip, out);
        }
    }
}

/// The element's whole text.
pub fn text(node: Node) -> String {
    text_without(node, &|_| false)
}

/// The element's text nodes joined by spaces (for structured records such as a reference, whose
/// parts are separate elements with nothing between them).
pub fn words(node: Node) -> String {
    let parts: Vec<&str> = node
        .descendants()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    collapse(&parts.join(" "))
}

/// The first child element named `name`.
pub fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|c| c.has_tag_name(name))
}

/// Descendant elements named `name`, in document order.
pub fn descendants<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.descendants().filter(move |d| d.has_tag_name(name))
}

/// A table's rows as lines, cells separated by ` | `.
pub fn table_rows(table: Node) -> String {
    let rows: Vec<String> = table
        .descendants()
        .filter(|d| d.has_tag_name("tr") || d.has_tag_name("row"))
        .map(|row| {
            let cells: Vec<String> = row
                .children()
                .filter(|c| c.has_tag_name("td") || c.has_tag_name("th") || c.has_tag_name("entry"))
                .map(text)
                .collect();
            cells.join(" | ")
        })
        .filter(|row| !row.trim().is_empty())
        .collect();
    rows.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_past_the_prolog() {
        let jats = "\u{feff}<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE article PUBLIC \"-//NLM//DTD JATS\" \"x.dtd\" [ <!ENTITY x \"y\"> ]>\n<article article-type=\"research-article\">";
        assert_eq!(root_name(jats), Some("article"));
        assert_eq!(root_name("<us-patent-grant lang=\"EN\">"), Some("us-patent-grant"));
        assert_eq!(root_name("<ns:article>"), Some("article"));
        assert_eq!(root_name("Ethanol <5 mL>"), None);
        assert_eq!(root_name("<?xml version=\"1.0\""), None);
    }
}
