#!/usr/bin/env bash
# The one command to build and open Retort: ./run.sh [retort arguments…]
#
# Sets up what the build needs without root (cmake and libclang from PyPI into
# ~/.cache/retort/build-tools when the system has none; see scripts/setup/), builds the release
# binary (with the `cuda` feature on a machine with a GPU: scripts/setup/cuda.sh), then runs it with the given
# arguments: none opens the workbench, `./run.sh eval …` runs a command.
#   ./run.sh --install [cargo install flags…]   install the binary (cargo install --path .) instead
#   ./run.sh --build                           only build; print the binary's path
# A second run does no set-up work: it checks, finds everything, and starts in seconds.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/setup/build-tools.sh
. scripts/setup/pdfium.sh

command -v cargo >/dev/null 2>&1 || die "no cargo found: install the Rust toolchain (https://rustup.rs) as your user"
setup_build_tools
setup_pdfium
decide_features

case "${1:-}" in
--install)
  shift
  exec cargo install --locked --path . "${features[@]}" "$@"
  ;;
--build)
  cargo build --release --locked "${features[@]}" >&2
  echo "$PWD/target/release/retort"
  ;;
*)
  if [ ! -x target/release/retort ]; then
    say "building Retort (release; one time, about 6 minutes on 2 cores)"
  fi
  cargo build --release --locked "${features[@]}"
  exec target/release/retort "$@"
  ;;
esac
