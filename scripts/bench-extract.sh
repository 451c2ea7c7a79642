#!/usr/bin/env bash
# Throughput of `retort extract` against a loopback llama.cpp server at concurrency 1, 4 and 8,
# beside a Python AsyncOpenAI client sending the same requests at the same concurrency.
# Usage: scripts/bench-extract.sh [PARAGRAPHS]   (default 32; needs python3 with `openai` for the
# comparison: a venv is made under $RETORT_TEST_CACHE the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-32}"
port=18431
cache="${RETORT_TEST_CACHE:-$HOME/.cache/retort-test}"
tmp=$(mktemp -d)
cargo build --release --quiet
LLAMA_SERVER_ARGS="--parallel 8 -c 16384" ../shared/scripts/llama-server.sh start "$port" >/dev/null
trap '../shared/scripts/llama-server.sh stop "$port"; rm -rf "$tmp"' EXIT
url="http://127.0.0.1:$port/v1"

if [ ! -x "$cache/bench-venv/bin/python" ]; then
  python3 -m venv "$cache/bench-venv" && "$cache/bench-venv/bin/pip" install -q openai
fi

python3 - "$n" "$tmp/input.jsonl" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open("../shared/data/chemsci2024/compound/test_1000.csv")))[: int(sys.argv[1])]
with open(sys.argv[2], "w") as f:
    for r in rows:
        f.write(json.dumps({"id": r["documentId"], "text": r["Paragraph"]}) + "\n")
PY
mkdir -p "$tmp/config"
cat >"$tmp/config/models.toml" <<TOML
[[model]]
name = "bench"
engine = "openai"
base_url = "$url"
mode = "zero-shot"
max_tokens = 48
TOML
export RETORT_CONFIG_DIR="$tmp/config" RETORT_DATA_DIR="$tmp/data" RETORT_STATE_DIR="$tmp/state"

# Warm the server once.
target/release/retort extract --task compound --model bench --input "$tmp/input.jsonl" --output "$tmp/warm.jsonl" --concurrency 8 2>/dev/null

for c in 1 4 8; do
  start=$(date +%s%N)
  target/release/retort extract --task compound --model bench --input "$tmp/input.jsonl" --output "$tmp/out-$c.jsonl" --concurrency "$c" 2>/dev/null
  end=$(date +%s%N)
  python3 - "$tmp/out-$c.jsonl" "$start" "$end" "$c" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
secs = (int(sys.argv[3]) - int(sys.argv[2])) / 1e9
tokens = sum(l["completion_tokens"] or 0 for l in lines)
print(f"retort extract  c={sys.argv[4]}: {len(lines)/secs:6.2f} req/s  {tokens/secs:7.1f} tok/s  ({len(lines)} requests, {secs:.2f} s)")
PY
  # The same requests (the prompts Retort sent) from Python's AsyncOpenAI.
  "$cache/bench-venv/bin/python" - "$tmp/out-$c.jsonl" "$url" "$c" "$tmp/state" <<'PY'
import asyncio, json, sys, time, glob
from openai import AsyncOpenAI
lines = [json.loads(l) for l in open(sys.argv[1])]
client = AsyncOpenAI(base_url=sys.argv[2], api_key="none")
sem = asyncio.Semaphore(int(sys.argv[3]))
prompts = [l["prompt"]["messages"] for l in lines]
async def one(text):
    async with sem:
        r = await client.chat.completions.create(model=lines[0]["model"], temperature=0, max_tokens=48,
            messages=text)
        return r.usage.completion_tokens if r.usage else 0
async def main():
    t = time.perf_counter()
    tokens = await asyncio.gather(*(one(p) for p in prompts))
    secs = time.perf_counter() - t
    print(f"python openai   c={sys.argv[3]}: {len(prompts)/secs:6.2f} req/s  {sum(tokens)/secs:7.1f} tok/s")
asyncio.run(main())
PY
done
