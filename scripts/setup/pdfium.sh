# Sourced: PDFium, the PDF library Retort reads papers' PDFs with (`retort ingest paper.pdf`).
# Retort loads it at run time; it is not linked, so the build does not need it. It comes from
# PyPI's pypdfium2 wheel (a manylinux build of Chromium's PDFium, Apache-2.0/BSD), installed
# once without root into $retort_cache/pdfium; Retort looks there (and at $RETORT_PDFIUM, beside
# its binary, and on the system).
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pdfium_dir="$retort_cache/pdfium"

# setup_pdfium: installs the library unless one is already named or present. A machine without
# PyPI still builds and runs Retort; only reading PDFs then says what is missing.
setup_pdfium() {
  if [ -n "${RETORT_PDFIUM:-}" ] && [ -f "$RETORT_PDFIUM" ]; then
    return 0
  fi
  [ -f "$pdfium_dir/pypdfium2_raw/libpdfium.so" ] && return 0
  (pip_into "$pdfium_dir" "pip install --target $pdfium_dir pypdfium2" "pypdfium2==5.15.2" --no-deps) ||
    say "PDFium is not installed: Retort runs, but reading PDFs will ask for it"
}
