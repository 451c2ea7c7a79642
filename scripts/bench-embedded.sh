#!/usr/bin/env bash
# The embedded engine beside llama.cpp's own llama-bench, same GGUF and thread count; prints both
# and the ratios (goal: >= 0.95 for prompt processing and generation).
# Usage: scripts/bench-embedded.sh [THREADS]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
model=$(../shared/scripts/fetch-model.sh)
bench=$(../shared/scripts/llama-server.sh bench-path)
echo "== llama-bench (-t $threads, pp512 / tg128, 3 repetitions)"
reference=$("$bench" -m "$model" -t "$threads" -p 512 -n 128 -r 3 -o jsonl 2>/dev/null)
rate() {
  python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if (r["n_prompt"], r["n_gen"]) == (int(sys.argv[1]), int(sys.argv[2])):
        print(r["avg_ts"])' "$1" "$2" <<<"$reference"
}
pp=$(rate 512 0)
tg=$(rate 0 128)
echo "prompt processing: $pp tok/s"
echo "generation: $tg tok/s"
echo "== retort embedded engine"
RETORT_TEST_GGUF="$model" RETORT_BENCH_REFERENCE="$pp $tg" cargo bench --quiet --bench embedded -- "$threads"
