#!/usr/bin/env bash
# Runs a command as on a fresh machine: in a private mount namespace (needs root, or
# `unshare -r`), /usr/bin is replaced by links to everything in it except the tools a fresh
# Debian/Ubuntu box or a shared GPU server lacks (clang, cmake, ninja, qemu, tmux, poppler,
# llvm-config), libclang and cmake's modules are hidden, and HOME is a new empty directory, so
# nothing cached under ~/.cache or ~/.cargo/bin (but the Rust toolchain) is seen.
#   scripts/rehearse-fresh-machine.sh HOME_DIR COMMAND...
set -euo pipefail
home="$1"
shift
mkdir -p "$home"
exec unshare -m bash -s "$home" "$@" <<'INNER'
set -euo pipefail
home="$1"; shift
# The real /usr/bin stays reachable under /usr (gcc finds its own parts relative to its path, so
# it must stay one level below /usr): /usr/games, empty on Debian, is borrowed for it.
real=/usr/games; shadow=$(mktemp -d)
mount --bind /usr/bin "$real"
hidden='^(clang.*|cmake|ctest|cpack|ninja|qemu-.*|tmux|pdftoppm|pdftotext|pdfinfo|llvm-config.*)$'
for f in "$real"/*; do
  name=$(basename "$f")
  [[ "$name" =~ $hidden ]] || ln -s "$f" "$shadow/$name"
done
mount --bind "$shadow" /usr/bin
for lib in /usr/lib/llvm-* /usr/lib/x86_64-linux-gnu/libclang*; do
  [ -e "$lib" ] && mount --bind "$(mktemp -d)" "$lib" 2>/dev/null || true
done
rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"; cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="$rustup_home" HOME="$home" PATH="$cargo_home/bin:/usr/local/bin:/usr/bin:/bin"
export CARGO_HOME="$home/.cargo"
mkdir -p "$CARGO_HOME"
unset LIBCLANG_PATH BINDGEN_EXTRA_CLANG_ARGS CMAKE RETORT_TEST_LLAMA_URL PYTHONPATH
for t in clang cmake ninja qemu-x86_64 tmux pdftoppm llvm-config; do
  if command -v "$t" >/dev/null 2>&1; then echo "rehearsal: $t is still visible" >&2; exit 1; fi
done
echo "rehearsal: clang, cmake, ninja, qemu, tmux, poppler and libclang hidden; HOME=$HOME" >&2
exec "$@"
INNER
