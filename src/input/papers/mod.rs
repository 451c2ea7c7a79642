//! Papers and patents in: each reader turns one format into a `Document` (its blocks in reading
//! order, each with its kind, the headings above it and its page), and `Document::paragraphs`
//! numbers them and places them in the document's text. `retort ingest` writes them; extract,
//! review and the workbench read them as paragraphs with their `Place`.

mod blocks;
mod elsevier;
mod entities;
mod html;
mod jats;
pub mod pdf;
mod tei;
mod text;
mod uspto;
mod uspto_older;
mod xml;

pub use blocks::{Block, Blocks};

use super::Paragraph;
use crate::dataset::table::InputError;
use crate::place::{BlockKind, Place};
use std::path::Path;

/// The document formats read by content. Each has one row in [`FORMATS`] and one reader in
/// [`read_text`] (or `read_pdf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::IntoStaticStr, strum::EnumIter)]
pub enum PaperFormat {
    /// JATS / NLM XML (PMC, Springer Nature, PLOS, eLife, MDPI…).
    #[strum(to_string = "JATS XML")]
    Jats,
    /// USPTO full text, grant and application XML v4.x (2005 on); bulk files hold many.
    #[strum(to_string = "USPTO patent XML")]
    UsptoXml,
    /// USPTO 2001–2004 full text (`PATDOC` grants, `patent-application-publication`), with ISO
    /// character entities.
    #[strum(to_string = "USPTO 2001–2004 XML")]
    UsptoSgml,
    /// USPTO 1976–2000 APS text (four-letter fields).
    #[strum(to_string = "USPTO APS text")]
    UsptoAps,
    /// Elsevier full-text XML (`ce:` elements).
    #[strum(to_string = "Elsevier XML")]
    Elsevier,
    /// GROBID's TEI XML.
    #[strum(to_string = "GROBID TEI")]
    Tei,
    /// Publisher HTML (article pages).
    #[strum(to_string = "HTML")]
    Html,
    /// PDF with a text layer (read through PDFium).
    #[strum(to_string = "PDF")]
    Pdf,
    /// Plain text or Markdown: paragraphs at blank lines, `#` headings.
    #[strum(to_string = "text")]
    Text,
}

/// What Retort says of a format and how it tells one: the XML root elements that are it
/// (formats told otherwise have none: PDF by `%PDF-`, APS text by its `PATN` record, text by
/// being nothing else).
#[derive(Debug)]
pub struct FormatRow {
    pub format: PaperFormat,
    pub xml_roots: &'static [&'static str],
    /// What `retort ingest --help` says of it.
    pub help: &'static str,
}

/// Every paper format, one row each (a test holds it to the enum): adding a format is a
/// variant, a row and its reader's arm in `read_text`, which the compiler asks for.
pub const FORMATS: &[FormatRow] = &[
    FormatRow {
        format: PaperFormat::Jats,
        xml_roots: &["article"],
        help: "JATS / NLM XML (PMC, Springer Nature, PLOS, eLife, MDPI)",
    },
    FormatRow {
        format: PaperFormat::UsptoXml,
        xml_roots: &["us-patent-grant", "us-patent-application"],
        help: "USPTO full-text patent XML v4 (2005 on; bulk files hold many)",
    },
    FormatRow {
        format: PaperFormat::UsptoSgml,
        xml_roots: &["PATDOC", "patent-application-publication"],
        help: "USPTO 2001–2004 patent XML",
    },
    FormatRow {
        format: PaperFormat::UsptoAps,
        xml_roots: &[],
        help: "USPTO 1976–2000 APS text",
    },
    FormatRow {
        format: PaperFormat::Elsevier,
        xml_roots: &["full-text-retrieval-response"],
        help: "Elsevier full-text XML",
    },
    FormatRow {
        format: PaperFormat::Tei,
        xml_roots: &["TEI"],
        help: "GROBID TEI XML",
    },
    FormatRow {
        format: PaperFormat::Html,
        xml_roots: &["html"],
        help: "publisher HTML pages",
    },
    FormatRow {
        format: PaperFormat::Pdf,
        xml_roots: &[],
        help: "PDF with a text layer",
    },
    FormatRow {
        format: PaperFormat::Text,
        xml_roots: &[],
        help: "plain text and Markdown",
    },
];

/// The XML formats Retort reads, named for an error about one it does not.
pub fn xml_formats() -> String {
    let names: Vec<String> = FORMATS
        .iter()
        .filter(|row| !row.xml_roots.is_empty() && row.format != PaperFormat::Html)
        .map(|row| row.format.to_string())
        .collect();
    names.join(", ")
}

/// `retort ingest --help`'s list of the formats.
pub fn formats_help() -> String {
    let rows: Vec<String> = FORMATS
        .iter()
        .map(|row| format!("  {}: {}", row.format, row.help))
        .collect();
    format!("Formats, each told by its content:\n{}", rows.join("\n"))
}

/// One document as read: where it came from and its blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The DOI, the patent number, or the file name.
    pub doc: String,
    pub format: PaperFormat,
    pub blocks: Vec<Block>,
}

/// Blocks of a document joined into its text with this between them (offsets count it).
const BLOCK_SEPARATOR: &str = "\n\n";

impl Document {
    /// The blocks as paragraphs: ids `<doc>#<n>` (from 1, in reading order), each placed in the
    /// document's text (its blocks joined by a blank line).
    pub fn paragraphs(&self) -> Vec<Paragraph> {
        let mut offset = 0;
        let mut out = Vec::with_capacity(self.blocks.len());
        for (n, block) in self.blocks.iter().enumerate() {
            out.push(Paragraph {
                id: format!("{}#{}", self.doc, n + 1),
                text: block.text.clone(),
                place: Some(Place {
                    doc: self.doc.clone(),
                    kind: block.kind,
                    section: block.section.clone(),
                    offset,
                    page: block.page,
                }),
            });
            offset += block.text.chars().count() + BLOCK_SEPARATOR.chars().count();
        }
        out
    }

    /// The document's text, as offsets count it.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.blocks.iter().map(|b| b.text.as_str()).collect();
        texts.join(BLOCK_SEPARATOR)
    }

    /// How many blocks of each kind, for the summary.
    pub fn counts(&self) -> Vec<(BlockKind, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for block in &self.blocks {
            *counts.entry(block.kind).or_insert(0) += 1;
        }
        counts.into_iter().collect()
    }
}

/// The document names taken so far in one read (an ingest, a directory): a second document of
/// a name already taken (`x.pdf` beside `x.tex`, one paper in two formats) is `x~2`, so that
/// paragraph ids stay unique.
#[derive(Debug, Default)]
pub struct DocNames {
    taken: std::collections::HashSet<String>,
}

impl DocNames {
    /// `name` when it is free, else the first free `name~n`; the name returned is taken.
    pub fn claim(&mut self, name: &str) -> String {
        let mut candidate = name.to_string();
        let mut n = 1;
        while !self.taken.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{name}~{n}");
        }
        candidate
    }

    /// Renames `document` to a free name; returns the name it had when that was taken.
    pub fn rename(&mut self, document: &mut Document) -> Option<String> {
        let name = self.claim(&document.doc);
        (name != document.doc).then(|| std::mem::replace(&mut document.doc, name))
    }
}

/// Reads the documents of `path`, a file of `format` (a USPTO bulk file holds several).
pub fn read(path: &Path, format: PaperFormat) -> Result<Vec<Document>, InputError> {
    if format == PaperFormat::Pdf {
        return read_pdf(path);
    }
    let bytes = std::fs::read(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        InputError::new(path, line, not_utf8(e.as_bytes()))
    })?;
    if text.trim().is_empty() {
        return Err(InputError::new(path, 0, "the file is empty"));
    }
    read_text(&text, format, &file_stem(path)).map_err(|e| e.at(path))
}

/// What to say of a paper that is not UTF-8: the encoding its XML declaration names, if any,
/// and how to convert it.
fn not_utf8(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    let declared = regex::Regex::new(r#"encoding\s*=\s*["']([A-Za-z0-9._-]+)["']"#)
        .ok()
        .and_then(|re| re.captures(&head).map(|c| c[1].to_string()));
    match declared {
        Some(encoding) => format!(
            "not UTF-8 text: it declares encoding {encoding}, which Retort does not read; convert it first, e.g. `iconv -f {encoding} -t UTF-8 in.xml > out.xml`"
        ),
        None => "not UTF-8 text; convert it to UTF-8 first (e.g. `iconv -f LATIN1 -t UTF-8 in > out`)".into(),
    }
}

/// Reads a PDF file (binary: not through `read_text`).
fn read_pdf(path: &Path) -> Result<Vec<Document>, InputError> {
    Ok(vec![pdf::read(path, &file_stem(path)).map_err(|e| e.at(path))?])
}

/// Reads the documents of a text in `format`; `name` names a document that names nothing
/// better. Never panics, whatever the text.
pub fn read_text(text: &str, format: PaperFormat, name: &str) -> Result<Vec<Document>, ReadError> {
    Ok(match format {
        PaperFormat::Jats => vec![jats::read(text, name)?],
        PaperFormat::UsptoSgml => vec![uspto_older::read_sgml(text, name)?],
        PaperFormat::UsptoAps => uspto_older::read_aps(text, name),
        PaperFormat::Elsevier => vec![elsevier::read(text, name)?],
        PaperFormat::Tei => vec![tei::read(text, name)?],
        PaperFormat::Html => vec![html::read(text, name)?],
        PaperFormat::UsptoXml => uspto::read_bulk(text, name)?,
        PaperFormat::Text => vec![text::read(text, name)],
        PaperFormat::Pdf => {
            return Err(ReadError {
                line: 0,
                message: "a PDF is read from its file".into(),
            });
        }
    })
}

/// What a document is called when it names nothing better: its file name without extension.
fn file_stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document")
        .to_string()
}

/// The format of a file that begins with `head`, when it is a paper (XML by its root element).
pub fn format_of(head: &str) -> Option<PaperFormat> {
    // By the root's own namespace: a JATS article may well mention Elsevier's URL in its text.
    let elsevier = xml::root_namespace(head).is_some_and(|ns| ns.starts_with("http://www.elsevier.com/xml/"));
    let root = xml::root_name(head)?;
    if root == "article" && elsevier {
        return Some(PaperFormat::Elsevier);
    }
    // HTML's element names are not case-sensitive; XML's are.
    let names = |row: &FormatRow, root: &str| match row.format {
        PaperFormat::Html => row.xml_roots.iter().any(|r| r.eq_ignore_ascii_case(root)),
        _ => row.xml_roots.contains(&root),
    };
    FORMATS.iter().find(|row| names(row, root)).map(|row| row.format)
}

/// Whether a text is the USPTO's 1976–2000 APS format (its first record is `PATN`, after the
/// bulk file's `HHHHHT` header line if there is one).
pub fn is_aps(head: &str) -> bool {
    let mut lines = head.lines().map(str::trim_end).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let first = if first.starts_with("HHHHHT") {
        lines.next().unwrap_or("")
    } else {
        first
    };
    first == "PATN"
}

/// Whether a text starts as XML does (a declaration or an element).
pub fn looks_like_xml(head: &str) -> bool {
    xml::root_name(head).is_some() || head.trim_start_matches('\u{feff}').trim_start().starts_with("<?xml")
}

/// A reader's error before it knows the file's name.
#[derive(Debug)]
pub struct ReadError {
    pub line: usize,
    pub message: String,
}

impl ReadError {
    fn at(self, path: &Path) -> InputError {
        InputError::new(path, self.line, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_format_has_one_row() {
        for format in PaperFormat::iter() {
            assert_eq!(FORMATS.iter().filter(|row| row.format == format).count(), 1, "{format}");
        }
        assert!(
            formats_help().contains("GROBID TEI: GROBID TEI XML"),
            "{}",
            formats_help()
        );
        assert_eq!(
            xml_formats(),
            "JATS XML, USPTO patent XML, USPTO 2001–2004 XML, Elsevier XML, GROBID TEI"
        );
    }

    #[test]
    fn roots_name_their_format() {
        let root = |xml: &str| format_of(xml);
        assert_eq!(root("<article><front/></article>"), Some(PaperFormat::Jats));
        assert_eq!(
            root("<article xmlns=\"http://www.elsevier.com/xml/svapi/article/dtd\"/>"),
            Some(PaperFormat::Elsevier)
        );
        assert_eq!(root("<HTML><body/></HTML>"), Some(PaperFormat::Html));
        assert_eq!(root("<tei/>"), None, "XML names are case-sensitive");
        assert_eq!(root("<PATDOC/>"), Some(PaperFormat::UsptoSgml));
        assert_eq!(root("<us-patent-grant/>"), Some(PaperFormat::UsptoXml));
        assert_eq!(root("<rss/>"), None);
    }
}
