#!/usr/bin/env bash
# The papers' claim, measured here with the command of docs/training.md: `retort train curve --backend
# local` on the compound task (Paragraph2Compound). The base is the small GGUF the tests use (or
# the GGUF in $RETORT_BENCH_GGUF), prompt-only as the baseline; the papers' 1,000 training
# examples are imported, a tenth is held out (seed 0) and every model is measured on the first
# $TEST of it; each size trains on the first N of the rest (nested), with the local backend's
# default recipe. Prints the curve's table, then per point the minutes from start to the
# registered adapter and the seconds per paragraph of its measure (wall, 4 in flight).
# Usage: scripts/bench-train.sh [SIZES] [TEST]   (default 10,50,100 and 50)
# Timings are for the machine it runs on: say its CPU with them (docs/training.md, "Training here").
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-10,50,100}"
test_count="${2:-50}"
data=../shared/data/chemsci2024/compound
# shellcheck source=bench-base.sh
. scripts/bench-base.sh
"$bin" import --task compound "$data/train_1000.csv" >/dev/null 2>&1
echo "base: $gguf; CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
# Each line of the experiment's log with the second it was written, for the measures' times.
"$bin" train curve --backend local --task compound --base-profile base --baseline base \
  --sizes "$sizes" --split train=0.9,test=0.1 --test-limit "$test_count" --yes --interval 5 \
  2> >(while IFS= read -r line; do printf '%s %s\n' "$(date +%s)" "$line"; done >"$work/curve.log")
wait
python3 - "$RETORT_DATA_DIR" "$work/curve.log" "$test_count" <<'PY'
import datetime, json, pathlib, sys
data, log, count = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
exp = json.loads((data / "experiments/compound-curve/experiment.json").read_text())
lines = [l.split(" ", 1) for l in open(log).read().splitlines() if " " in l]
def measuring(profile):  # seconds from "measuring PROFILE" to the next line of the log
    for i, (t, text) in enumerate(lines):
        if f"measuring {profile} " in text and i + 1 < len(lines):
            return (int(lines[i + 1][0]) - int(t)) / count
def stamp(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(f"prompt-only: {measuring(exp['baseline']) or float('nan'):.2f} s per paragraph")
for point in exp["points"]:
    run = json.loads((data / "runs" / point["run"] / "run.json").read_text())
    minutes = (stamp(run["finished_at"]) - stamp(run["created_at"])).total_seconds() / 60
    print(f"{point['size']} examples: trained in {minutes:.1f} min (start to registered adapter); "
          f"{measuring(point['profile']) or float('nan'):.2f} s per paragraph")
PY
echo "files: $work"
