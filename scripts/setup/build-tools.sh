# Sourced: makes sure the embedded llama.cpp engine can be built, and exports what cargo needs.
# Uses the system's libclang and cmake when it has them; otherwise the PyPI wheels `cmake`,
# `ninja` and `libclang` in $retort_cache/build-tools (bindgen then takes gcc's builtin headers,
# which the libclang wheel lacks). Also decides the cargo features: `cuda` on a GPU box (nvcc
# from the system or from PyPI; RETORT_CUDA=0 or 1 decides instead).
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

build_tools_dir="$retort_cache/build-tools"
build_tools_versions=(cmake==4.4.5 ninja==1.13.2 libclang==18.1.1)

has_system_libclang() {
  if [ -n "${LIBCLANG_PATH:-}" ]; then
    compgen -G "$LIBCLANG_PATH/libclang*.so*" >/dev/null
    return
  fi
  local dirs=(/usr/lib /usr/lib64 /usr/local/lib /usr/lib/*/ /usr/lib/llvm-*/lib /usr/local/llvm*/lib)
  command -v llvm-config >/dev/null 2>&1 && dirs+=("$(llvm-config --libdir 2>/dev/null)")
  local d
  for d in "${dirs[@]}"; do
    compgen -G "$d/libclang.so*" >/dev/null || compgen -G "$d/libclang-[0-9]*.so*" >/dev/null &&
      return 0
  done
  return 1
}

has_clang_headers() {
  compgen -G "/usr/lib/llvm-*/lib/clang/*/include/stddef.h" >/dev/null ||
    compgen -G "/usr/lib*/clang/*/include/stddef.h" >/dev/null
}

# cmake 3.14 or newer (llama.cpp's minimum).
has_system_cmake() {
  local version
  version=$(cmake --version 2>/dev/null | sed -n 's/^cmake version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$version" ] || return 1
  set -- $version
  [ "$1" -gt 3 ] || { [ "$1" -eq 3 ] && [ "$2" -ge 14 ]; }
}

# install_build_tools HINT: the PyPI wheels into $build_tools_dir, with cmake, ctest, cpack and
# ninja linked into $build_tools_dir/path (for PATH).
install_build_tools() {
  pip_into "$build_tools_dir" "$1" "${build_tools_versions[@]}"
  link_into "$build_tools_dir/path" "$build_tools_dir"/cmake/data/bin/{cmake,ctest,cpack} \
    "$build_tools_dir/bin/ninja"
}

setup_build_tools() {
  for tool in cc c++ make; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "no '$tool' found: Retort's embedded engine needs a C/C++ compiler and make (Debian/Ubuntu: gcc g++ make)"
  done
  local need_clang=1 need_cmake=1
  has_system_libclang && need_clang=0
  has_system_cmake && need_cmake=0
  if [ $need_clang = 0 ] && ! has_clang_headers; then
    # A libclang without its builtin headers (the runtime package alone) fails on stdbool.h.
    export BINDGEN_EXTRA_CLANG_ARGS="${BINDGEN_EXTRA_CLANG_ARGS:+$BINDGEN_EXTRA_CLANG_ARGS }-I$(cc -print-file-name=include)"
  fi
  if [ $need_clang = 0 ] && [ $need_cmake = 0 ]; then
    say "build tools: cmake $(command -v cmake), libclang ${LIBCLANG_PATH:-of the system}"
    write_cargo_env
    return
  fi
  install_build_tools "cmake and libclang (Debian/Ubuntu: apt-get install cmake libclang-dev)"
  if [ $need_cmake = 1 ]; then
    export PATH="$build_tools_dir/path:$PATH" CMAKE="$build_tools_dir/path/cmake"
  fi
  if [ $need_clang = 1 ]; then
    export LIBCLANG_PATH="$build_tools_dir/clang/native"
    export BINDGEN_EXTRA_CLANG_ARGS="${BINDGEN_EXTRA_CLANG_ARGS:+$BINDGEN_EXTRA_CLANG_ARGS }-I$(cc -print-file-name=include)"
  fi
  say "build tools: cmake $([ $need_cmake = 1 ] && echo "from $build_tools_dir" || echo "of the system"), libclang $([ $need_clang = 1 ] && echo "from $build_tools_dir" || echo "of the system")"
  write_cargo_env
}

# The checkout's cargo reads what the build needs from here (`include` in .cargo/config.toml),
# so that a plain `cargo build`, `cargo test` or `cargo clippy` after ./run.sh builds as it
# did, with nothing exported. Not committed: the paths are this machine's.
cargo_env_file="${RETORT_CARGO_ENV_FILE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.cargo/build-tools.toml}"

# A TOML basic string; paths with control characters are refused.
toml_string() {
  local text="$1"
  [[ "$text" =~ [[:cntrl:]] ]] && die "a build path holds a control character: $(printf '%q' "$text")"
  text="${text//\\/\\\\}"
  text="${text//\"/\\\"}"
  printf '"%s"' "$text"
}

write_cargo_env() {
  local tmp="$cargo_env_file.tmp.$$" name value lines=()
  for name in LIBCLANG_PATH BINDGEN_EXTRA_CLANG_ARGS CMAKE; do
    [ -n "${!name:-}" ] || continue
    value=$(toml_string "${!name}") || exit 1
    lines+=("$name = $value")
  done
  {
    echo "# Written by scripts/setup/build-tools.sh (./run.sh) for this machine; not committed."
    echo "# What cargo needs to build the embedded llama.cpp engine here."
    echo "[env]"
    [ ${#lines[@]} -eq 0 ] || printf '%s\n' "${lines[@]}"
  } >"$tmp"
  mv -f "$tmp" "$cargo_env_file"
}

# decide_features: sets `features` (cargo's flags) for this machine: `--features cuda` on a GPU
# box (nvidia-smi lists a GPU), with the system's nvcc or, without one, the CUDA toolkit from PyPI
# (scripts/setup/cuda.sh; no root). RETORT_CUDA=0 builds for the CPU only, RETORT_CUDA=1 builds
# the CUDA backend without a GPU here. Not in a subshell: the build's CUDA settings are exported.
decide_features() {
  features=()
  case "${RETORT_CUDA:-auto}" in
  0 | no | off) return ;;
  esac
  local gpu
  gpu=$(nvidia-smi -L 2>/dev/null | head -1 || true)
  [ -n "$gpu" ] || [ "${RETORT_CUDA:-auto}" = 1 ] || return 0
  # shellcheck source=cuda.sh
  . "$(dirname "${BASH_SOURCE[0]}")/cuda.sh"
  setup_cuda_build
  say "GPU box: ${gpu:-RETORT_CUDA=1}; building the cuda feature (the first build takes long: see README)"
  features=(--features cuda)
}
