#!/usr/bin/env bash
# Strict grounding against grounding off, measured: the share of verbatim values that are in their
# paragraph, the task's F1 and the seconds per paragraph, on the compound task (the first $TEST
# held-out paragraphs of test_1000.csv) with the small base model prompt-only and, when SIZE > 0,
# a model fine-tuned here on SIZE examples (Retort's own trainer); and on one NERRE task
# (general-materials, the first $NERRE abstracts of fold 0's held-out set) prompt-only.
# With SERVER (an OpenAI-compatible llama.cpp server's /v1 URL, e.g. one started by
# ../shared/scripts/llama-server.sh), both tasks run again against it, one request at a time: strict
# grounding then sends the copy rule as a grammar (for general-materials, the schema and the copy
# rule in one grammar), off sends the schema alone.
# Usage: scripts/bench-grounding.sh [TEST] [SIZE] [NERRE] [SERVER]   (default 50, 100, 10, none)
# Timings are for the machine it runs on: say its CPU with them (docs/models.md, "Grounded by construction").
set -euo pipefail
cd "$(dirname "$0")/.."
test_count="${1:-50}"
size="${2:-100}"
nerre_count="${3:-10}"
server="${4:-}"
data=../shared/data
# shellcheck source=bench-base.sh
. scripts/bench-base.sh
head -n "$((test_count + 1))" "$data/chemsci2024/compound/test_1000.csv" >"$work/test.csv"
python3 - "$data/natcomm2024/general/fold_0/val.jsonl" "$work/nerre.jsonl" "$nerre_count" <<'PY' 2>/dev/null || true
import sys
lines = open(sys.argv[1]).read().splitlines()[: int(sys.argv[3])]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY

# measure TASK PROFILE GROUNDING INPUT COUNT [EXTRACT FLAGS…]: one row of the table.
measure() {
  local task=$1 profile=$2 grounding=$3 input=$4 count=$5 name="$1-$2-$3" start=$SECONDS
  "$bin" extract --task "$task" --model "$profile" --grounding "$grounding" --input "$input" \
    --output "$work/$name.jsonl" "${@:6}" 2>"$work/$name.log" || true
  local seconds=$((SECONDS - start)) f1 share
  f1=$("$bin" eval --task "$task" --gold "$input" --pred "$work/$name.jsonl" --format json 2>/dev/null |
    python3 -c "$(cat <<'PY'
import json, sys
tables = json.load(sys.stdin)["tables"]
table = next(iter(tables.values()))
row = table.get("compound") or table.get("overall") or next(iter(table.values()))
print("%.3f" % row["f1"] if row.get("f1") is not None else "—")
PY
)" 2>/dev/null || echo "—")
  share=$(python3 - "$work/$name.jsonl" <<'PY'
import json, sys
found = total = 0
for line in open(sys.argv[1]):
    run = json.loads(line)
    extraction = run.get("extraction") or {}
    def values(records):
        for record in records:
            for field in record.get("fields", []):
                content = field.get("content", {})
                for value in content.get("values", []) if isinstance(content, dict) else []:
                    yield value
                for inner in content.get("records", []) if isinstance(content, dict) else []:
                    yield from values([inner])
    for value in values(extraction.get("records", [])):
        if value.get("alignment") == "not_applicable" or not value["text"].strip():
            continue
        total += 1
        found += value["text"] in run["input"]
print(f"{found}/{total} ({100 * found / total:.0f} %)" if total else "no values")
PY
)
  echo "| $task | $profile | $grounding | $share | $f1 | $(python3 -c "print(f'{$seconds / $count:.2f}')") |"
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; base $gguf"
echo "| task | model | grounding | verbatim values in the paragraph | F1 | s / paragraph |"
echo "|---|---|---|---|---|---|"
for g in strict off; do measure compound base "$g" "$work/test.csv" "$test_count"; done
if [ "$size" -gt 0 ]; then
  "$bin" import --task compound "$data/chemsci2024/compound/train_1000.csv" >/dev/null 2>&1
  "$bin" train start --backend local --task compound --base-profile base --size "$size" \
    --epochs 2 --learning-rate 1e-3 --yes >"$work/train.out" 2>"$work/train.log"
  tuned=$(grep -o 'as the profile "[^"]*"' "$work/train.log" | cut -d'"' -f2)
  for g in strict off; do measure compound "$tuned" "$g" "$work/test.csv" "$test_count"; done
fi
if [ -s "$work/nerre.jsonl" ]; then
  for g in strict off; do measure general-materials base "$g" "$work/nerre.jsonl" "$nerre_count"; done
fi
if [ -n "$server" ]; then
  cat >>"$RETORT_CONFIG_DIR/models.toml" <<TOML
[[model]]
name = "server"
engine = "openai"
base_url = "$server"
model = ""
mode = "few-shot"
structured = "llama-cpp"
max_tokens = 256
TOML
  for g in strict off; do measure compound server "$g" "$work/test.csv" "$test_count" --concurrency 1; done
  if [ -s "$work/nerre.jsonl" ]; then
    for g in strict off; do measure general-materials server "$g" "$work/nerre.jsonl" "$nerre_count" --concurrency 1; done
  fi
fi
echo "files: $work"
