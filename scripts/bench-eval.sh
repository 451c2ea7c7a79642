#!/usr/bin/env bash
# Times `retort eval` end to end (process start to exit) on the papers' files and reports wall time
# (median of N runs) and peak RSS. Usage: scripts/bench-eval.sh [RUNS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
data=../shared/data
cargo build --release --quiet
bin=target/release/retort
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# compound test_1000 has no recorded predictions: score the gold against itself with the last
# item of every answer dropped, in Retort's prediction JSONL.
python3 - "$data/chemsci2024/compound/test_1000.csv" "$tmp/compound-pred.jsonl" <<'PY'
import csv, json, sys
with open(sys.argv[2], "w") as out:
    for row in csv.DictReader(open(sys.argv[1])):
        items = row["Compound"].split(" | ")
        out.write(json.dumps({"id": row["documentId"], "raw": " | ".join(items[:-1] or items)}) + "\n")
PY

measure() {
  local name="$1"; shift
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$bin" "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local rss
  rss=$( { /usr/bin/time -f '%M' "$bin" "$@" >/dev/null; } 2>&1 | tail -1 )
  printf '%-28s median %8.1f ms   peak RSS %6.1f MB   (%s runs)\n' "$name" "$(echo "$median / 1000" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$runs"
}

measure "doping-json (77 sentences)" eval --task doping-json --gold "$data/natcomm2024/doping/test.json" \
  --pred "$data/natcomm2024/doping/predictions/gpt3/inference_decoded_json.json"
measure "doping-eng (77 sentences)" eval --task doping-eng --gold "$data/natcomm2024/doping/test.json" \
  --pred "$data/natcomm2024/doping/predictions/gpt3/inference_decoded_eng.json"
measure "general run 0 (62 abstracts)" eval --task general-materials --pred "$data/natcomm2024/general/predictions_gpt3_run_0.jsonl"
measure "compound test_1000" eval --task compound --gold "$data/chemsci2024/compound/test_1000.csv" --pred "$tmp/compound-pred.jsonl"
