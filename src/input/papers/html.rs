//! Publisher HTML (article pages as saved from the browser or fetched): the title and DOI from
//! the `citation_*` / Dublin Core meta tags (what RSC, ACS, Elsevier, Springer and Wiley pages
//! carry), the abstract (an element whose id or class names it), headings `h1`–`h6` as
//! sections, paragraphs (`p`, and a `div` of prose, as ACS sets them), figure and table captions
//! (`figcaption`, a `div` classed as one), tables as rows, list items, and the references (an
//! element whose id or class names them). Navigation, headers, footers,
//! scripts and forms are left out.

use super::blocks::{Blocks, collapse};
use super::{Document, PaperFormat};
use crate::place::BlockKind;
use scraper::{ElementRef, Html, Node};

/// The deepest nesting of elements read (see `xml::MAX_DEPTH`); deeper elements are left out,
/// and the rest of the page is read.
const MAX_DEPTH: usize = super::xml::MAX_DEPTH;

/// The most open elements the HTML parser may walk past, summed over the start tags: its scope
/// checks look down the stack of open elements at each tag, so deep nesting costs the square of
/// its depth. Real pages stay below a thousandth of this; past it the page is refused.
const MAX_NESTING_WORK: u64 = 400_000_000;

pub fn read(text: &str, file_name: &str) -> Result<Document, super::ReadError> {
    if let Some(line) = nesting_too_costly(text) {
        return Err(super::ReadError {
            line,
            message: "elements nest so deep here that reading the page would take hours; not read".into(),
        });
    }
    let mut html = Html::parse_document(text);
    prune_deep(&mut html);
    let root = html.root_element();
    let mut blocks = Blocks::default();
    let title = meta(root, &["citation_title", "dc.title", "og:title"])
        .or_else(|| first(root, "h1").map(text_of))
        .or_else(|| first(root, "title").map(text_of))
        .unwrap_or_default();
    blocks.push(BlockKind::Title, &title);
    let content = ["article", "main"]
        .iter()
        .find_map(|name| first(root, name))
        .or_else(|| first(root, "body"))
        .unwrap_or(root);
    let mut reader = Reader {
        blocks,
        title: title.clone(),
        mode: Mode::Body,
    };
    reader.walk(content);
    let doi = meta(root, &["citation_doi", "dc.identifier", "prism.doi"])
        .map(|d| d.trim_start_matches("doi:").trim().to_string())
        .filter(|d| d.starts_with("10."));
    Ok(Document {
        doc: doi.unwrap_or_else(|| file_name.to_string()),
        format: PaperFormat::Html,
        blocks: reader.blocks.blocks,
    })
}

/// The line where the parser's work over open elements (an upper bound: every start tag that is
/// not a void element counted as open until its end tag) passes [`MAX_NESTING_WORK`].
fn nesting_too_costly(text: &str) -> Option<usize> {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "!",
    ];
    let (mut depth, mut work) = (0u64, 0u64);
    for (at, _) in text.match_indices('<') {
        let rest = &text[at + 1..];
        if rest.starts_with('/') {
            depth = depth.saturating_sub(1);
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() || VOID.iter().any(|v| name == *v || (*v == "!" && name.starts_with('!'))) {
            continue;
        }
        depth += 1;
        work += depth;
        if work > MAX_NESTING_WORK {
            return Some(text[..at].matches('\n').count() + 1);
        }
    }
    None
}

/// Detaches every node nested deeper than [`MAX_DEPTH`], without recursion (ego-tree's
/// traversal is a loop), so the readers' recursive walks stay shallow.
fn prune_deep(html: &mut Html) {
    use ego_tree::iter::Edge;
    let mut depth = 0usize;
    let mut deep = Vec::new();
    for edge in html.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                depth += 1;
                if depth == MAX_DEPTH + 1 {
                    deep.push(node.id());
                }
            }
            Edge::Close(_) => depth -= 1,
        }
    }
    for id in deep {
        if let Some(mut node) = html.tree.get_mut(id) {
            node.detach();
        }
    }
}

/// The first element named `name` under `node`.
fn first<'a>(node: ElementRef<'a>, name: &str) -> Option<ElementRef<'a>> {
    node.descendent_elements().find(|e| e.value().name() == name)
}

/// The content of the first meta tag with one of these names (case aside).
fn meta(root: ElementRef, names: &[&str]) -> Option<String> {
    names.iter().find_map(|wanted| {
        root.descendent_elements()
            .filter(|e| e.value().name() == "meta")
            .find(|e| {
                e.attr("name")
                    .or(e.attr("property"))
                    .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
            })
            .and_then(|e| e.attr("content"))
            .map(collapse)
            .filter(|c| !c.is_empty())
    })
}

/// Elements that are never the article's text.
fn left_out(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "nav"
            | "header"
            | "footer"
            | "aside"
            | "form"
            | "noscript"
            | "button"
            | "svg"
            | "template"
            | "iframe"
    )
}

/// An element's text, its layout whitespace collapsed, without what is left out.
fn text_of(element: ElementRef) -> String {
    let mut raw = String::new();
    gather(element, &mut raw, false);
    collapse(&raw)
}

/// A table cell's text, its lines (`br`, paragraphs, list items) kept apart.
fn cell_of(element: ElementRef) -> String {
    let mut raw = String::new();
    gather(element, &mut raw, true);
    super::blocks::cell_lines(&raw)
}

fn gather(element: ElementRef, out: &mut String, lines: bool) {
    for node in element.children() {
        match node.value() {
            Node::Text(text) => out.push_str(text),
            Node::Element(e) if left_out(e.name()) => {}
            Node::Element(e) => {
                let line = lines && matches!(e.name(), "br" | "p" | "li" | "div" | "ul" | "ol");
                if line {
                    out.push(super::blocks::CELL_LINE);
                } else if matches!(e.name(), "br" | "td" | "th" | "li") {
                    out.push(' ');
                }
                if let Some(child) = ElementRef::wrap(node) {
                    gather(child, out, lines);
                }
                if line {
                    out.push(super::blocks::CELL_LINE);
                }
            }
            _ => {}
        }
    }
}

/// What the elements being read are, from an ancestor's id or class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Body,
    Abstract,
    References,
}

struct Reader {
    blocks: Blocks,
    title: String,
    mode: Mode,
}

impl Reader {
    fn walk(&mut self, element: ElementRef) {
        for child in element.child_elements() {
            let name = child.value().name();
            if left_out(name) {
                continue;
            }
            let named = |word: &str| {
                child.attr("id").is_some_and(|v| v.to_ascii_lowercase().contains(word))
                    || child.value().classes().any(|c| c.to_ascii_lowercase().contains(word))
            };
            let mode = if named("abstract") {
                Mode::Abstract
            } else if named("references") || named("bibliography") || named("ref-list") || named("reflist") {
                Mode::References
            } else {
                self.mode
            };
            if mode != self.mode {
                self.within(child, mode);
                continue;
            }
            self.element(child, name);
        }
    }

    /// Reads an abstract or the references under their own top-level heading.
    fn within(&mut self, element: ElementRef, mode: Mode) {
        let heading = match mode {
            Mode::Abstract => "Abstract",
            Mode::References => "References",
            Mode::Body => "",
        };
        self.blocks.heading(0, heading);
        let outer = std::mem::replace(&mut self.mode, mode);
        self.walk(element);
        self.mode = outer;
        self.blocks.leave(0);
    }

    fn element(&mut self, element: ElementRef, name: &str) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let text = text_of(element);
                let abstract_heading = self.mode == Mode::Abstract && text.eq_ignore_ascii_case("abstract");
                let reference_heading = self.mode == Mode::References;
                if text != self.title && !abstract_heading && !reference_heading {
                    let level: usize = name[1..].parse().unwrap_or(2);
                    let base = usize::from(self.mode != Mode::Body);
                    self.blocks.heading(base + level.saturating_sub(2), &text);
                }
            }
            "p" | "li" | "dd" => {
                let kind = match self.mode {
                    Mode::Abstract => BlockKind::Abstract,
                    Mode::References => BlockKind::Reference,
                    Mode::Body => BlockKind::Paragraph,
                };
                if name == "li" && element.child_elements().any(|c| c.value().name() == "p") {
                    self.walk(element);
                } else {
                    self.blocks.push(kind, &text_of(element));
                }
            }
            "figcaption" => self.blocks.push(BlockKind::Caption, &text_of(element)),
            "div" if is_caption(element) => self.blocks.push(BlockKind::Caption, &text_of(element)),
            // A paragraph set as a `div` (ACS's `NLM_p`, and other publishers'): text of its
            // own and nothing block-like inside.
            "div" if holds_prose(element) => {
                let kind = match self.mode {
                    Mode::Abstract => BlockKind::Abstract,
                    Mode::References => BlockKind::Reference,
                    Mode::Body => BlockKind::Paragraph,
                };
                self.blocks.push(kind, &text_of(element));
            }
            "table" => {
                if let Some(caption) = element.child_elements().find(|c| c.value().name() == "caption") {
                    self.blocks.push(BlockKind::Caption, &text_of(caption));
                }
                self.blocks.push(BlockKind::Table, &rows(element));
            }
            _ => self.walk(element),
        }
    }
}

/// A `div` whose class says it is a figure's caption.
fn is_caption(element: ElementRef) -> bool {
    element
        .value()
        .classes()
        .any(|c| c.eq_ignore_ascii_case("caption") || c.ends_with("__caption"))
}

/// Whether a `div` is a paragraph: text directly in it, and no block-level element inside.
fn holds_prose(element: ElementRef) -> bool {
    let own_text = element
        .children()
        .any(|n| matches!(n.value(), Node::Text(t) if !t.trim().is_empty()));
    let block_inside = element.descendent_elements().skip(1).any(|e| {
        matches!(
            e.value().name(),
            "p" | "div" | "table" | "ul" | "ol" | "dl" | "figure" | "section" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
        )
    });
    own_text && !block_inside
}

/// A table's rows as lines, cells separated by ` | `.
fn rows(table: ElementRef) -> String {
    let rows: Vec<String> = table
        .descendent_elements()
        .filter(|e| e.value().name() == "tr")
        .map(|row| {
            let cells: Vec<String> = row
                .child_elements()
                .filter(|c| matches!(c.value().name(), "td" | "th"))
                .map(cell_of)
                .collect();
            cells.join(" | ")
        })
        .filter(|r| !r.trim().is_empty())
        .collect();
    rows.join("\n")
}
