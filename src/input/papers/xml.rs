//! What the XML readers share: finding the root element's name without parsing, parsing with a
//! DOCTYPE allowed, an element's text with some of its parts left out, and errors with their
//! line and column.

use super::ReadError;
use super::blocks::collapse;
use roxmltree::{Document, Node, ParsingOptions};

/// The name of the first element of an XML text (prolog, comments and DOCTYPE skipped), without
/// parsing the rest; `None` when the text is not XML.
pub fn root_name(head: &str) -> Option<&str> {
    let tag = root_tag(head)?;
    let name = &tag[1..];
    let end = name.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
    let name = &name[..end];
    // A namespace prefix (`<ns:article>`) does not change what the document is.
    Some(name.rsplit(':').next().unwrap_or(name))
}

/// The namespace of the first element: its prefix's `xmlns:p`, or the default `xmlns`, as its
/// start tag declares it (the only place a root's namespace can be declared).
pub fn root_namespace(head: &str) -> Option<&str> {
    let tag = root_tag(head)?;
    let name = tag[1..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .next()?;
    let attribute = match name.split_once(':') {
        Some((prefix, _)) => format!("xmlns:{prefix}="),
        None => "xmlns=".to_string(),
    };
    let mut rest = tag;
    while let Some(at) = rest.find(&attribute) {
        // Only a whole attribute name: preceded by whitespace.
        let before = rest[..at].chars().next_back();
        let value = &rest[at + attribute.len()..];
        if before.is_some_and(char::is_whitespace) {
            let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            let value = &value[1..];
            return value.find(quote).map(|end| &value[..end]);
        }
        rest = value;
    }
    None
}

/// The first element's start tag, `<` to `>`, of an XML text (see [`root_name`]).
fn root_tag(head: &str) -> Option<&str> {
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
            let end = rest.find('>')?;
            return Some(&rest[..=end]);
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

/// The deepest nesting of elements read. Papers and patents nest a few dozen deep; the readers
/// walk sections and gather text by recursion, so a deeper document (crafted, or broken) is
/// refused before any of that runs.
pub const MAX_DEPTH: usize = 256;

pub fn parse(text: &str) -> Result<Document<'_>, ReadError> {
    if let Some(expanded) = entities_expand_past(text, MAX_EXPANSION.max(text.len())) {
        return Err(ReadError {
            line: 1,
            message: format!(
                "its entities expand to more than {expanded} bytes of text, more than the file itself; not read"
            ),
        });
    }
    // Checked on the text first: the parser itself recurses as deep as the elements nest.
    if let Some(at) = nests_too_deep(text) {
        return Err(ReadError {
            line: text[..at].matches('\n').count() + 1,
            message: format!("elements nest deeper than {MAX_DEPTH} here; not read (no paper nests so deep)"),
        });
    }
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(text, options).map_err(|e| {
        let at = e.pos();
        ReadError {
            line: at.row as usize,
            message: format!("column {}: malformed XML: {e}", at.col),
        }
    })?;
    if let Some(deep) = too_deep(&document) {
        let line = document.text_pos_at(deep.range().start).row as usize;
        return Err(ReadError {
            line,
            message: format!("elements nest deeper than {MAX_DEPTH} here; not read (no paper nests so deep)"),
        });
    }
    Ok(document)
}

/// The most text that a document's own entities may add. Papers declare entities for a character
/// or a phrase; the parser's cost grows faster than the text it expands to.
pub const MAX_EXPANSION: usize = 1 << 20;

/// The bytes the internal subset's entities add, when past `limit`: each `<!ENTITY name "value">`
/// counted once per `&name;` in the text, an entity inside a value expanded to its own size
/// (ten levels, the parser's own bound).
fn entities_expand_past(text: &str, limit: usize) -> Option<usize> {
    let start = text.find("<!DOCTYPE")?;
    let subset = &text[start..start + doctype_end(&text[start..]).unwrap_or(text.len() - start)];
    let declaration = regex::Regex::new(r#"<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"]*)"|'([^']*)')"#).ok()?;
    let values: Vec<(String, String)> = declaration
        .captures_iter(subset)
        .map(|c| {
            let value = c.get(2).or(c.get(3)).map_or("", |m| m.as_str());
            (c[1].to_string(), value.to_string())
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    // Each entity's size once expanded, nested references resolved level by level.
    let mut sizes: Vec<usize> = values.iter().map(|(_, v)| v.len()).collect();
    for _ in 0..10 {
        sizes = values
            .iter()
            .map(|(_, value)| {
                values.iter().zip(&sizes).fold(value.len(), |size, ((name, _), inner)| {
                    let uses = value.matches(&format!("&{name};")).count();
                    size.saturating_add(uses.saturating_mul(*inner))
                })
            })
            .collect();
    }
    let body = &text[start + subset.len()..];
    let expanded = values.iter().zip(&sizes).fold(0usize, |total, ((name, _), size)| {
        total.saturating_add(body.matches(&format!("&{name};")).count().saturating_mul(*size))
    });
    (expanded > limit).then_some(expanded)
}

/// Where an element opens deeper than [`MAX_DEPTH`] in the text, by a linear scan of its tags
/// (comments, CDATA, processing instructions and declarations passed over).
fn nests_too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(found) = text[at..].find('<') {
        let start = at + found;
        let rest = &text[start..];
        let skip_to = |end: &str| rest.find(end).map_or(text.len(), |e| start + e + end.len());
        at = if rest.starts_with("<!--") {
            skip_to("-->")
        } else if rest.starts_with("<![CDATA[") {
            skip_to("]]>")
        } else if rest.starts_with("<?") {
            skip_to("?>")
        } else if rest.starts_with("<!") {
            doctype_end(rest).map_or(text.len(), |e| start + e)
        } else if rest.starts_with("</") {
            depth = depth.saturating_sub(1);
            skip_to(">")
        } else {
            let end = skip_to(">");
            if !text[..end].ends_with("/>") {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(start);
                }
            }
            end
        };
    }
    None
}

/// The first element nested deeper than [`MAX_DEPTH`], found without recursion: each node's
/// depth is its parent's plus one, and a parent comes before its children in document order.
fn too_deep<'a, 'input>(document: &'a Document<'input>) -> Option<Node<'a, 'input>> {
    let mut depth: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for node in document.root().descendants().skip(1) {
        let parent = node
            .parent()
            .and_then(|p| depth.get(&p.id().get()).copied())
            .unwrap_or(0);
        let own = parent + usize::from(node.is_element());
        depth.insert(node.id().get(), own);
        if own > MAX_DEPTH {
            return Some(node);
        }
    }
    None
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

/// A table cell's text: its lines (`break`, `br`, paragraphs, list items) joined by
/// `blocks::CELL_LINE_SEPARATOR`, so that `200–600<break/>1116` does not become `200–6001116`.
pub fn cell_text(cell: Node) -> String {
    let mut raw = String::new();
    // Without recursion: the cell's nodes in document order, a line mark where an element that
    // is a line of its own opens, and where it closes (the first node not inside it).
    let mut open: Vec<Node> = Vec::new();
    for node in cell.descendants().skip(1) {
        while open.last().is_some_and(|line| !node.ancestors().any(|a| a == *line)) {
            open.pop();
            raw.push(super::blocks::CELL_LINE);
        }
        if node.is_text() {
            raw.push_str(node.text().unwrap_or(""));
        } else if starts_a_line(&node) {
            raw.push(super::blocks::CELL_LINE);
            open.push(node);
        }
    }
    super::blocks::cell_lines(&raw)
}

fn starts_a_line(node: &Node) -> bool {
    node.is_element()
        && matches!(
            node.tag_name().name(),
            "break" | "br" | "p" | "para" | "simple-para" | "list-item" | "li" | "list" | "ul" | "ol" | "div"
        )
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
                .map(cell_text)
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

    #[test]
    fn the_root_namespace_comes_from_its_own_start_tag() {
        let elsevier =
            "<?xml version=\"1.0\"?><article xmlns=\"http://www.elsevier.com/xml/ja/dtd\" docsubtype=\"fla\">";
        assert_eq!(root_namespace(elsevier), Some("http://www.elsevier.com/xml/ja/dtd"));
        let prefixed = "<ja:article xmlns:ce='http://x/common' xmlns:ja=\"http://www.elsevier.com/xml/ja/dtd\">";
        assert_eq!(root_namespace(prefixed), Some("http://www.elsevier.com/xml/ja/dtd"));
        let jats =
            "<article article-type=\"research-article\" data-xmlns=\"x\"><p>see http://www.elsevier.com/xml/</p>";
        assert_eq!(root_namespace(jats), None);
    }
}
