#!/usr/bin/env bash
# Papers in, per format, on this machine: JATS files per second over 1000 articles of about
# 58 KiB, PDF pages per second over 100 pages set by pdflatex (`cargo bench --bench ingest`),
# then `retort ingest` end to end (process start to exit) over the openly licensed real papers
# and patents in tests/fixtures/papers/real/. Goals: >= 50 JATS files/s, >= 10 PDF pages/s.
# Usage: scripts/bench-ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench ingest --quiet 2>/dev/null | grep -E '^(JATS|PDF):'
cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
started=$(date +%s.%N)
target/release/retort ingest tests/fixtures/papers/real --output "$tmp/real.jsonl" 2>"$tmp/err"
ended=$(date +%s.%N)
files=$(grep -c ': .* blocks' "$tmp/err" || true)
blocks=$(wc -l <"$tmp/real.jsonl")
printf "retort ingest of the real fixtures: %s documents, %s blocks in %.3f s\n" "$files" "$blocks" "$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')"
