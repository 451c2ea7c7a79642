#!/usr/bin/env bash
# cargo's rustc wrapper for this checkout (build.rustc-wrapper in .cargo/config.toml): runs rustc
# as given. Only when cargo compiles `clang-sys`, which only the embedded engine's bindings need,
# it first checks that libclang and cmake are there, and if not stops the build at once, naming
# the command that sets them up, instead of letting llama-cpp-sys-2's build script die in bindgen
# minutes later. It runs before that build script because bindgen, which the script needs, needs
# clang-sys. (A RUSTC_WRAPPER in the environment, e.g. sccache, replaces this one.)
case " $* " in
*" --crate-name clang_sys "*)
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  # shellcheck source=../scripts/setup/build-tools.sh
  . "$here/../scripts/setup/build-tools.sh"
  missing=()
  has_system_libclang || missing+=(libclang)
  [ -n "${CMAKE:-}" ] || has_system_cmake || missing+=(cmake)
  if [ ${#missing[@]} -gt 0 ]; then
    cat >&2 <<MESSAGE

Retort's embedded llama.cpp engine cannot be built here: $(IFS=,; echo "${missing[*]}" | sed "s/,/ and /") not found.

Run ./run.sh in $(dirname "$here") instead of cargo. It fetches cmake and libclang from PyPI into
$build_tools_dir (no root needed), builds, and opens the workbench;
./run.sh --install installs the binary instead of cargo install.
Or install them yourself (Debian/Ubuntu: apt-get install libclang-dev cmake; or set LIBCLANG_PATH
and CMAKE), or build without the embedded engine: cargo build --release --no-default-features.

MESSAGE
    exit 1
  fi
  ;;
esac
exec "$@"
