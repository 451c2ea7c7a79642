//! Finding PDFium: `$RETORT_PDFIUM`, beside Retort's binary, in Retort's cache (where
//! `scripts/setup/pdfium.sh` puts PyPI's pypdfium2 build), then the system's library path. It is
//! bound once per process (PDFium's own rule).

use pdfium_render::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

static PDFIUM: OnceLock<Result<Pdfium, NoPdfium>> = OnceLock::new();

/// PDFium is not on this machine (or none found loads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "reading PDFs needs PDFium, which was not found: run ./run.sh once (it installs it from PyPI's pypdfium2 wheel into ~/.cache/retort/pdfium, no root needed), or set RETORT_PDFIUM to a libpdfium.so"
)]
pub struct NoPdfium;

pub fn pdfium() -> Result<&'static Pdfium, NoPdfium> {
    PDFIUM.get_or_init(bind).as_ref().map_err(|e| *e)
}

/// Where PDFium was found, or why reading PDFs is not possible (for `retort models`).
pub fn pdfium_status() -> Result<String, NoPdfium> {
    pdfium()?;
    Ok(candidates()
        .into_iter()
        .find(|p| p.is_file())
        .map_or("the system's libpdfium".into(), |p| p.display().to_string()))
}

fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(named) = std::env::var_os("RETORT_PDFIUM") {
        out.push(PathBuf::from(named));
    }
    if let Some(dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(PathBuf::from)) {
        out.push(dir.join("libpdfium.so"));
    }
    if let Some(cache) = crate::config::cache_dir() {
        out.push(cache.join("pdfium/pypdfium2_raw/libpdfium.so"));
    }
    out
}

fn bind() -> Result<Pdfium, NoPdfium> {
    for path in candidates().into_iter().filter(|p| p.is_file()) {
        match Pdfium::bind_to_library(&path) {
            Ok(bindings) => return Ok(Pdfium::new(bindings)),
            Err(e) => tracing::warn!("PDFium at {} could not be loaded: {e}", path.display()),
        }
    }
    Pdfium::bind_to_system_library().map(Pdfium::new).map_err(|_| NoPdfium)
}
