#!/usr/bin/env bash
# Typesets the test PDFs in tests/fixtures/papers/pdf/ from their .tex sources with pdflatex.
# The PDFs are committed, so the tests never need TeX; run this after changing a .tex file.
# Uses the system's pdflatex, else Debian's TeX Live packages unpacked without root into
# ~/.cache/retort/debian (about 37 MB), with a pdflatex format and font map made here.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/test-tools.sh

tex_dir="$retort_cache/tex"

# find_pdflatex: sets `pdflatex` to the command that runs it (and TeX's variables), setting up
# the user-space TeX if needed.
find_pdflatex() {
  if command -v pdflatex >/dev/null 2>&1; then
    pdflatex=(pdflatex)
    return
  fi
  deb_install "apt install texlive-latex-base" texlive-binaries texlive-base texlive-latex-base
  local r="$debian_root" lib="$debian_root/usr/lib/$(uname -m)-linux-gnu"
  export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export TEXMFCNF="$r/usr/share/texmf/web2c" TEXMFROOT="$r/usr/share/texlive"
  export TEXMFDIST="$r/usr/share/texlive/texmf-dist" TEXMFDEBIAN="$r/usr/share/texmf"
  export TEXMFSYSCONFIG="$r/etc/texmf" TEXMFSYSVAR="$tex_dir/var" TEXMFVAR="$tex_dir/var"
  export TEXMFLOCAL="$tex_dir/none" TEXMFDBS=""
  export TEXMF="{$tex_dir/var,$r/usr/share/texmf,$r/usr/share/texlive/texmf-dist}"
  if [ ! -f "$tex_dir/pdflatex.fmt" ]; then
    say "making the pdflatex format in $tex_dir"
    mkdir -p "$tex_dir/var/fonts/map/pdftex/updmap"
    # Debian makes this map at install time; the Computer Modern fonts are all the tests use.
    cat "$TEXMFDIST"/fonts/map/dvips/amsfonts/{cm,cmextra,symbols,latxfont}.map \
      >"$tex_dir/var/fonts/map/pdftex/updmap/pdftex.map"
    (cd "$tex_dir" && "$r/usr/bin/pdftex" -ini -jobname=pdflatex -progname=pdflatex -etex pdflatex.ini \
      >"$tex_dir/format.log" 2>&1) || die "making the pdflatex format failed; see $tex_dir/format.log"
  fi
  pdflatex=("$r/usr/bin/pdftex" "-fmt=$tex_dir/pdflatex.fmt" -progname=pdflatex)
}

find_pdflatex
cd tests/fixtures/papers/pdf
for tex in *.tex; do
  "${pdflatex[@]}" -interaction=nonstopmode "$tex" >/dev/null || die "pdflatex failed on $tex (see ${tex%.tex}.log)"
  rm -f "${tex%.tex}.aux" "${tex%.tex}.log"
  say "typeset ${tex%.tex}.pdf"
done
# A PDF cut short, for the broken-file test.
head -c 600 two-column.pdf >truncated.pdf
