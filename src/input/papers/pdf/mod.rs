//! PDFs with a text layer: PDFium (loaded at run time, see `library`) gives each page's
//! characters with their boxes, sizes and fonts; `layout` turns them into blocks in reading
//! order. A PDF without text (a scan) is refused with what to do.

mod hyphens;
mod layout;
mod library;

pub use layout::{Glyph, PageGlyphs, blocks_of};
pub use library::pdfium_status;

use super::{Document, PaperFormat, ReadError};
use pdfium_render::prelude::*;
use std::path::Path;

/// Reads a PDF file into one document named `name`.
pub fn read(path: &Path, name: &str) -> Result<Document, ReadError> {
    let pdfium = library::pdfium().map_err(|e| ReadError {
        line: 0,
        message: e.to_string(),
    })?;
    let document = pdfium.load_pdf_from_file(path, None).map_err(|e| ReadError {
        line: 0,
        message: open_error(&e),
    })?;
    let mut pages = Vec::new();
    for page in document.pages().iter() {
        pages.push(page_glyphs(&page).map_err(|e| ReadError {
            line: 0,
            message: format!("page {}: PDFium could not read its text: {e}", pages.len() + 1),
        })?);
    }
    if pages.is_empty() {
        return Err(ReadError {
            line: 0,
            message: "has no pages: a broken or cut-off PDF; save or download it again".into(),
        });
    }
    if pages
        .iter()
        .all(|p| p.glyphs.iter().all(|g| g.generated || g.ch.is_whitespace()))
    {
        return Err(ReadError {
            line: 0,
            message: format!(
                "no text layer in its {} page(s) (a scan?): make one with OCR first, e.g. `ocrmypdf in.pdf out.pdf`, then read out.pdf",
                pages.len()
            ),
        });
    }
    Ok(Document {
        doc: name.to_string(),
        format: PaperFormat::Pdf,
        blocks: blocks_of(&pages),
    })
}

fn open_error(error: &PdfiumError) -> String {
    match error {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            "the PDF is encrypted with a password; decrypt it first (e.g. `qpdf --decrypt`)".into()
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::FormatError) => {
            "not a readable PDF (the file is broken or truncated)".into()
        }
        other => format!("PDFium could not open it: {other}"),
    }
}

fn page_glyphs(page: &PdfPage) -> Result<PageGlyphs, PdfiumError> {
    let text = page.text()?;
    let mut glyphs = Vec::new();
    for c in text.chars().iter() {
        let Some(ch) = c.unicode_char() else { continue };
        let bounds = c.loose_bounds().or_else(|_| c.tight_bounds());
        let (x0, y0, x1, y1) = bounds.map_or((0.0, 0.0, 0.0, 0.0), |b| {
            (b.left().value, b.bottom().value, b.right().value, b.top().value)
        });
        let name = c.font_name();
        let heavy = c.font_weight().is_some_and(|w| match w {
            PdfFontWeight::Weight600
            | PdfFontWeight::Weight700Bold
            | PdfFontWeight::Weight800
            | PdfFontWeight::Weight900 => true,
            PdfFontWeight::Custom(n) => n >= 600,
            _ => false,
        });
        glyphs.push(Glyph {
            ch,
            generated: c.is_generated().unwrap_or(false),
            hyphen: c.is_hyphen().unwrap_or(false),
            x0,
            y0,
            x1,
            y1,
            size: c.scaled_font_size().value,
            bold: heavy || is_bold_name(&name),
        });
    }
    Ok(PageGlyphs {
        width: page.width().value,
        height: page.height().value,
        glyphs,
    })
}

/// Bold by the font's name when the PDF gives no weight (TeX's CMBX, "Times-Bold").
fn is_bold_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit('+').next().unwrap_or(&lower);
    base.contains("bold") || base.contains("black") || base.contains("heavy") || base.starts_with("cmbx")
}
