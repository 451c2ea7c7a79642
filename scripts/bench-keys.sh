#!/usr/bin/env bash
# Keys per value: the fewest keys the field editor needs to take each gold value of the compound
# test set (1000 paragraphs) and the MOF synthesis set (329 paragraphs) from its paragraph, filling
# the fields in order. Every key sequence is pressed on the real workbench and must set the gold
# value (tests/it/fast/keys_per_value.rs, which CI runs with the goal of at most 6 keys).
# Prints the median, 90th percentile and worst per task, and how many values take each count.
# Usage: scripts/bench-keys.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --quiet --test it fast::keys_per_value -- --nocapture 2>&1 |
  grep -E '^(compound|mof-synthesis):|test result'
