#!/usr/bin/env bash
# The embedded engine beside llama.cpp's own llama-bench, same GGUF and thread count.
# Usage: scripts/bench-embedded.sh [THREADS]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
model=$(../shared/scripts/fetch-model.sh)
bench=$(../shared/scripts/llama-server.sh bench-path)
echo "== llama-bench (-t $threads, pp512 / tg128)"
"$bench" -m "$model" -t "$threads" -p 512 -n 128 -r 3 -o md 2>/dev/null | grep -E "pp512|tg128|model"
echo "== retort embedded engine"
RETORT_TEST_GGUF="$model" cargo bench --quiet --bench embedded -- "$threads"
