#!/usr/bin/env bash
# The papers' claim, measured here: prompt-only against Retort's own trainer at several sizes, on
# the compound task (Paragraph2Compound). The base is the small GGUF the tests use (or the GGUF in
# $RETORT_BENCH_GGUF); examples come from the papers' training file (train_100.csv while the
# sizes fit it, else train_1000.csv; the first N of the export's training split, nested), and every model is measured on the first $TEST paragraphs of test_1000.csv, which no
# model trains on. Prints, per point, the minutes from `train start` to the registered adapter and
# the F1, precision and recall of `retort eval`, with the seconds per paragraph.
# Usage: scripts/bench-train.sh [SIZES] [TEST]   (default 10,50,100 and 40)
# Timings are for the machine it runs on: say its CPU with them (README, "Training here").
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-10,50,100}"
test_count="${2:-40}"
data=../shared/data/chemsci2024/compound
# shellcheck source=bench-base.sh
. scripts/bench-base.sh
python3 - "$data/test_1000.csv" "$work/test.csv" "$test_count" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as out:
    csv.writer(out).writerows(rows[: int(sys.argv[3]) + 1])
PY
# The papers' 100-example training file while the sizes fit it (what the README's table used).
largest=$(tr ',' '\n' <<<"$sizes" | sort -n | tail -1)
train_file="$data/train_100.csv"
[ "$largest" -le 100 ] || train_file="$data/train_1000.csv"
"$bin" import --task compound "$train_file" >/dev/null 2>&1

measure() { # measure PROFILE NAME
  local start=$SECONDS
  "$bin" extract --task compound --model "$1" --input "$work/test.csv" --output "$work/$2.jsonl" 2>"$work/$2.log" || true
  local seconds=$((SECONDS - start))
  local f1
  f1=$("$bin" eval --task compound --gold "$work/test.csv" --pred "$work/$2.jsonl" --format json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); t=next(iter(r["tables"].values()))["compound"]; print(" ".join(f"{k}={t[k]:.3f}" for k in ("f1", "precision", "recall") if t.get(k) is not None))' 2>/dev/null || echo "(not scored)")
  echo "$2: $f1; $(python3 -c "print(f'{$seconds / $test_count:.1f}')") s per paragraph; $(grep -o '[0-9]* incomplete' "$work/$2.log" | head -1)"
}

echo "base: $gguf; $test_count held-out paragraphs; CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
measure base prompt-only
IFS=, read -ra points <<<"$sizes"
for n in "${points[@]}"; do
  start=$SECONDS
  "$bin" train start --backend local --task compound --base-profile base --size "$n" \
    --epochs 2 --learning-rate 1e-3 --yes >"$work/train-$n.out" 2>"$work/train-$n.log"
  minutes=$(python3 -c "print(f'{($SECONDS - $start) / 60:.1f}')")
  profile=$(grep -o 'as the profile "[^"]*"' "$work/train-$n.log" | cut -d'"' -f2)
  echo "trained on $n examples in $minutes min (start to registered adapter)"
  measure "$profile" "fine-tuned-$n"
done
echo "files: $work"
