# Sourced by the training and grounding benchmarks (scripts/bench-train.sh,
# scripts/bench-grounding.sh): builds the release binary and makes a scratch Retort home in
# $work whose one profile, "base", is the small GGUF the tests use (or $RETORT_BENCH_GGUF),
# few-shot, 256 tokens out. Sets `bin`, `gguf` and `work`.
cargo build --release --quiet
gguf="${RETORT_BENCH_GGUF:-$(../shared/scripts/fetch-model.sh)}"
work=$(mktemp -d)
# A copy: the benchmark keeps its binary while the tree is built again.
bin="$work/retort"
cp target/release/retort "$bin"
export RETORT_CONFIG_DIR="$work/config" RETORT_DATA_DIR="$work/data" RETORT_STATE_DIR="$work/state"
mkdir -p "$RETORT_CONFIG_DIR"
cat >"$RETORT_CONFIG_DIR/models.toml" <<TOML
[[model]]
name = "base"
engine = "embedded"
path = "$gguf"
mode = "few-shot"
max_tokens = 256
TOML
