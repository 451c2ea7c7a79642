#!/usr/bin/env bash
# The one command to test Retort: ./test.sh [--fast] [extra cargo test arguments…]
#
#   ./test.sh          the whole suite, as CI runs it: sets up without root what the tests need
#                      (build tools, qemu-user, tmux, Python's datasets, the small GGUF model, a
#                      llama.cpp server built from source; see scripts/setup/), starts the server on
#                      loopback port 18080 (or uses RETORT_TEST_LLAMA_URL), and runs `cargo test`
#   ./test.sh --fast   the fast tier (`cargo test-fast`, .cargo/config.toml): the library's own
#                      tests and the integration suites that need no server, qemu, tmux or network
set -euo pipefail
cd "$(dirname "$0")"
. scripts/setup/build-tools.sh
. scripts/setup/test-tools.sh
. scripts/setup/pdfium.sh
shared=../shared/scripts

command -v cargo >/dev/null 2>&1 || die "no cargo found: install the Rust toolchain (https://rustup.rs) as your user"
[ -d ../shared/data ] || die "the papers' data is not at ../shared/data (beside the checkout); the tests read it"
setup_build_tools
# PDFium: the papers tests read PDFs with it (both tiers).
setup_pdfium

if [ "${1:-}" = "--fast" ]; then
  shift
  exec cargo test-fast "$@"
fi

setup_test_tools
"$shared/fetch-model.sh" >/dev/null
if [ -z "${RETORT_TEST_LLAMA_URL:-}" ]; then
  # The server's one-time build (several minutes) runs beside the Rust build.
  server_log="$retort_cache/llama-server-build.log"
  "$shared/llama-server.sh" build >"$server_log" 2>&1 &
  server_build=$!
  cargo test --locked --no-run "$@"
  wait "$server_build" || {
    cat "$server_log" >&2
    die "the test server (llama.cpp) did not build; its log is above"
  }
  port="${RETORT_TEST_PORT:-18080}"
  "$shared/llama-server.sh" start "$port" >/dev/null
  trap '"$shared/llama-server.sh" stop "$port"' EXIT
  export RETORT_TEST_LLAMA_URL="http://127.0.0.1:$port/v1"
fi
cargo test --locked "$@"
