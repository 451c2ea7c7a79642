# Sourced: what the whole test suite needs beyond the build, each from the system when it has it,
# otherwise installed without root under $retort_cache:
#   curl         (../shared/scripts/llama-server.sh asks the server's /health)
#   qemu-x86_64  (tests/it/slow/cpu_compat.rs runs the binary as a Haswell and a Nehalem CPU)
#   tmux         (tests/tmux_e2e.rs, tests/review_e2e.rs drive the real terminal UI)
#   ninja, cmake (../shared/scripts/llama-server.sh builds the test server with them)
#   Python `datasets` (tests/it/slow/export_styles.rs loads every export style as trainers do)
#   pandas, seqeval, textdistance, nltk, pinned (tests/it/slow/notebook_figures.rs runs the Chem.
#                Sci. notebooks' evaluation), in their own directory, named by RETORT_NOTEBOOK_PYTHONPATH
# qemu and tmux come from Debian's package registry: `apt-get download` with apt's lists kept in
# the cache (so no root), unpacked with `dpkg-deb -x` into $retort_cache/debian.
# shellcheck source=build-tools.sh
. "$(dirname "${BASH_SOURCE[0]}")/build-tools.sh"

debian_root="$retort_cache/debian"
python_dir="$retort_cache/python"
tools_bin="$retort_cache/bin"

apt_user() {
  apt-get -q -o Dir::State::Lists="$retort_cache/apt/lists" -o Dir::Cache="$retort_cache/apt/cache" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" "$@"
}

apt_lists_ready() {
  [ -f "$retort_cache/apt/lists/.complete" ] && return 0
  command -v apt-get >/dev/null 2>&1 || return 1
  mkdir -p "$retort_cache/apt/lists/partial" "$retort_cache/apt/cache/archives/partial"
  say "reading Debian's package lists into $retort_cache/apt (no root needed)"
  apt_user update >"$retort_cache/apt/update.log" 2>&1 || {
    tail -3 "$retort_cache/apt/update.log" >&2
    return 1
  }
  touch "$retort_cache/apt/lists/.complete"
}

# deb_install HINT PACKAGE...: downloads the Debian packages and the libraries they depend on that
# this system lacks, and unpacks them into $debian_root. Idempotent per package.
deb_install() {
  local hint="$1" pkg dep debs
  shift
  command -v apt-get >/dev/null 2>&1 ||
    die "not a Debian or Ubuntu system: install by hand: $hint"
  apt_lists_ready || die "could not read Debian's package lists (no network?); install by hand: $hint"
  debs="$retort_cache/apt/debs"
  mkdir -p "$debs" "$debian_root"
  for pkg in "$@"; do
    [ -f "$debian_root/.done-$pkg" ] && continue
    local wanted=("$pkg")
    for dep in $(apt-cache -o Dir::State::Lists="$retort_cache/apt/lists" -o Dir::Cache="$retort_cache/apt/cache" depends "$pkg" 2>/dev/null | sed -n 's/^ *Depends: \([a-z0-9.+-]*\)\( (.*)\)\{0,1\}$/\1/p'); do
      dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "ok installed" || wanted+=("$dep")
    done
    say "downloading Debian's ${wanted[*]} into $debian_root (no root needed)"
    (cd "$debs" && apt_user download "${wanted[@]}" >"$debs/$pkg.log" 2>&1) ||
      die "could not download ${wanted[*]} from Debian (see $debs/$pkg.log); install by hand: $hint"
    for dep in "${wanted[@]}"; do
      dpkg-deb -x "$(ls -t "$debs/${dep}"_*.deb | head -1)" "$debian_root"
    done
    touch "$debian_root/.done-$pkg"
  done
}

# A wrapper on $tools_bin that finds the unpacked libraries (tmux needs libevent).
wrap_debian_binary() {
  local name="$1" binary="$2"
  mkdir -p "$tools_bin"
  cat >"$tools_bin/$name" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$debian_root/usr/lib/$(uname -m)-linux-gnu:$debian_root/lib/$(uname -m)-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$binary" "\$@"
WRAP
  chmod +x "$tools_bin/$name"
}

setup_qemu() {
  command -v qemu-x86_64 >/dev/null 2>&1 && return
  local hint="qemu-user (apt-get install qemu-user)" found=""
  deb_install "$hint" qemu-user-static
  for found in "$debian_root"/usr/bin/qemu-x86_64-static "$debian_root"/usr/bin/qemu-x86_64; do
    [ -x "$found" ] && break
  done
  if [ ! -x "$found" ]; then # newer Debian: qemu-user-static is a transitional package
    deb_install "$hint" qemu-user
    found="$debian_root/usr/bin/qemu-x86_64"
  fi
  [ -x "$found" ] || die "no qemu-x86_64 in Debian's packages; install by hand: $hint"
  wrap_debian_binary qemu-x86_64 "$found"
}

setup_tmux() {
  command -v tmux >/dev/null 2>&1 && return
  deb_install "tmux (apt-get install tmux)" tmux
  wrap_debian_binary tmux "$debian_root/usr/bin/tmux"
}

setup_curl() {
  command -v curl >/dev/null 2>&1 && return
  deb_install "curl (apt-get install curl)" curl
  wrap_debian_binary curl "$debian_root/usr/bin/curl"
}

setup_python_datasets() {
  python3 -c "import datasets" >/dev/null 2>&1 && return
  pip_into "$python_dir" "Python's datasets (python3 -m pip install --user datasets)" datasets
  export PYTHONPATH="$python_dir${PYTHONPATH:+:$PYTHONPATH}"
}

# The versions tests/fixtures/chemsci/expected.json was computed with.
setup_python_notebooks() {
  local dir="$retort_cache/python-notebooks-1"
  pip_into "$dir" "pandas, seqeval, textdistance and nltk (python3 -m pip install --user ...)" \
    pandas==3.1.1 numpy==2.4.6 seqeval==1.2.2 scikit-learn==1.9.1 textdistance==4.6.3 nltk==3.10.4
  export RETORT_NOTEBOOK_PYTHONPATH="$dir"
}

setup_server_build_tools() {
  command -v ninja >/dev/null 2>&1 && command -v cmake >/dev/null 2>&1 && return
  install_build_tools "cmake and ninja (apt-get install cmake ninja-build)"
  export PATH="$build_tools_dir/path:$PATH"
}

setup_test_tools() {
  export PATH="$tools_bin:$PATH"
  setup_qemu
  setup_tmux
  setup_curl
  setup_server_build_tools
  setup_python_datasets
  setup_python_notebooks
  say "test tools: qemu-x86_64 $(command -v qemu-x86_64), tmux $(command -v tmux), cmake $(command -v cmake), ninja $(command -v ninja)"
}
