# Sourced: the CUDA toolkit for building llama.cpp's CUDA backend, without root and without a
# system toolkit. NVIDIA's PyPI wheels for CUDA 13 (nvcc, the runtime, CCCL's headers, cuBLAS)
# install into one tree, $retort_cache/cuda/nvidia/cu13, laid out as a toolkit (bin/nvcc,
# include/, lib/); the links a build expects (libcudart.so → libcudart.so.13, lib64 → lib) are
# added. A system toolkit (nvcc on PATH or in /usr/local/cuda) is used instead when there is one.
# At run time Retort finds cuBLAS and the runtime in the same cache (see
# src/llm/embedded/gpu.rs); the NVIDIA driver (libcuda.so.1) must come from the system.
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cuda_dir="$retort_cache/cuda"
cuda_root="$cuda_dir/nvidia/cu13"
# CUDA 13 splits the compiler: nvcc, its device front end (nvvm: cicc, libdevice) and the C
# runtime headers (crt/) are three wheels.
cuda_versions=(nvidia-cuda-nvcc==13.5.37 nvidia-nvvm==13.5.37 nvidia-cuda-crt==13.5.37
  nvidia-cuda-runtime==13.5.37 nvidia-cuda-cccl==13.3.5.0.6 nvidia-cublas==13.10.0.20)
# A100 (sm_80), A10 / RTX 3090 (sm_86), L4 / RTX 4090 (sm_89), H100 (sm_90).
cuda_default_archs="80;86;89;90"

system_nvcc() {
  command -v nvcc 2>/dev/null && return 0
  [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc
}

# install_cuda_toolkit: the wheels into $cuda_dir (about 500 MB, once), with the toolkit links.
install_cuda_toolkit() {
  # Another list of wheels than the cache holds: install afresh.
  if [ -f "$cuda_dir/.complete" ] && [ "$(cat "$cuda_dir/.versions" 2>/dev/null)" != "${cuda_versions[*]}" ]; then
    say "the CUDA wheels in $cuda_dir are not the ones this checkout uses; installing them again"
    rm -rf "$cuda_dir"
  fi
  pip_into "$cuda_dir" "install the CUDA toolkit (https://developer.nvidia.com/cuda-downloads) and put nvcc on PATH" \
    --no-deps "${cuda_versions[@]}"
  local lib="$cuda_root/lib" name
  for name in cudart cublas cublasLt; do
    [ -e "$lib/lib$name.so" ] || ln -s "lib$name.so.13" "$lib/lib$name.so"
  done
  [ -e "$cuda_root/lib64" ] || ln -s lib "$cuda_root/lib64"
  echo "${cuda_versions[*]}" >"$cuda_dir/.versions"
  "$cuda_root/bin/nvcc" --version >/dev/null 2>&1 || die "the nvcc from PyPI does not run here: $cuda_root/bin/nvcc --version"
}

# setup_cuda_build: exports what llama-cpp-sys-2's CMake build needs to compile the CUDA backend
# for RETORT_CUDA_ARCHS (default: A100, A10/3090, L4/4090, H100).
setup_cuda_build() {
  local nvcc
  nvcc=$(system_nvcc || true)
  if [ -z "$nvcc" ] || [ "${RETORT_CUDA_TOOLKIT:-}" = pypi ]; then
    install_cuda_toolkit
    nvcc="$cuda_root/bin/nvcc"
    export CUDAToolkit_ROOT="$cuda_root" CUDA_PATH="$cuda_root"
    export PATH="$cuda_root/bin:$PATH"
  fi
  export CMAKE_CUDA_COMPILER="$nvcc"
  export CMAKE_CUDA_ARCHITECTURES="${RETORT_CUDA_ARCHS:-$cuda_default_archs}"
  say "CUDA: $("$nvcc" --version | tail -1) from $(dirname "$nvcc"), for sm_${CMAKE_CUDA_ARCHITECTURES//;/, sm_}"
}
