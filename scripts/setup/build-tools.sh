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
  [ -n "${LIBCLANG_PATH:-}" ] && return 0
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
    return
  fi
  install_build_tools "cmake and libclang (Debian/Ubuntu: apt-get install cmake libclang-dev)"
  if [ $need_cmake = 1 ]; then
    export PATH="$build_tools_dir/path:$PATH"
  fi
  if [ $need_clang = 1 ]; then
    export LIBCLANG_PATH="$build_tools_dir/clang/native"
    export BINDGEN_EXTRA_CLANG_ARGS="${BINDGEN_EXTRA_CLANG_ARGS:+$BINDGEN_EXTRA_CLANG_ARGS }-I$(cc -print-file-name=include)"
  fi
  say "build tools: cmake $([ $need_cmake = 1 ] && echo "from $build_tools_dir" || echo "of the system"), libclang $([ $need_clang = 1 ] && echo "from $build_tools_dir" || echo "of the system")"
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
