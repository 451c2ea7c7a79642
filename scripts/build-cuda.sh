#!/usr/bin/env bash
# Builds Retort with llama.cpp's CUDA backend, without root and without a system CUDA toolkit:
#   scripts/build-cuda.sh            CUDA 13 from PyPI into ~/.cache/retort/cuda (or the system's
#                                    nvcc), then `cargo build --release --features cuda`
#   RETORT_CUDA_ARCHS="80;90"        the GPU architectures (default 80;86;89;90: A100, A10/3090,
#                                    L4/4090, H100); one is much faster to build
#   RETORT_CUDA_TOOLKIT=pypi         the PyPI toolkit even where the system has nvcc
# No GPU is needed to build. The CUDA code is a module (libggml-cuda.so) beside the CPU modules:
# the same binary runs on the CPU where there is no GPU or no driver, and `retort models` says why.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/build-tools.sh
. scripts/setup/cuda.sh
. scripts/setup/pdfium.sh

command -v cargo >/dev/null 2>&1 || die "no cargo found: install the Rust toolchain (https://rustup.rs) as your user"
setup_build_tools
setup_pdfium
setup_cuda_build
# A configure that failed (a toolkit missing a part, say) leaves a CMake cache that llama-cpp-sys-2
# takes as configured and never configures again: start those over.
for cache in target/cuda/release/build/llama-cpp-sys-2-*/out/build/CMakeCache.txt; do
  build=$(dirname "$cache")
  [ -f "$build/Makefile" ] || [ -f "$build/build.ninja" ] || rm -rf "$build"
done
started=$(date +%s)
cargo build --release --locked --features cuda --target-dir target/cuda >&2
module=$(find target/cuda/release/build -name "libggml-cuda.so" -print -quit 2>/dev/null || true)
say "built in $(($(date +%s) - started)) s${module:+; $(du -h "$module" | cut -f1) $module}"
echo "$PWD/target/cuda/release/retort"
