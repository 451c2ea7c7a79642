//! Where a paragraph sits in the document it was read from: the document, the kind of block,
//! the headings above it, its character offset in the document's text and its page. Carried
//! from the paper readers through extract's output lines to the review queue.

use serde::{Deserialize, Serialize};

/// What a block of a document is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, strum::Display, strum::EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum BlockKind {
    Title,
    Abstract,
    Heading,
    Paragraph,
    Caption,
    Table,
    Footnote,
    Claim,
    Reference,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// The document: its DOI, patent number or file name.
    pub doc: String,
    pub kind: BlockKind,
    /// The headings above the block, outermost first.
    #[serde(default)]
    pub section: Vec<String>,
    /// The block's offset in the document's text, in characters.
    pub offset: usize,
    /// The page it starts on (PDFs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl Place {
    /// The section path as one line (`Experimental › Example 3`).
    pub fn section_path(&self) -> String {
        self.section.join(" › ")
    }
}
