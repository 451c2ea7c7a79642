# Shared by the set-up scripts (sourced, not run). Everything Retort installs for itself goes under
# one cache directory in the user's home, never into the system, and needs no root.
retort_cache="${RETORT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/retort}"
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf 'retort setup: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# pip_into DIR HINT PACKAGE...: installs PyPI wheels into DIR, once. A killed install leaves only
# DIR.partial, which the next call throws away and redoes; DIR/.complete marks a finished one.
# Two set-ups at once (CI's background server build and the tests) wait on DIR.lock.
pip_into() {
  local dir="$1" hint="$2" lock
  shift 2
  [ -f "$dir/.complete" ] && return 0
  command -v python3 >/dev/null 2>&1 ||
    die "python3 is needed to fetch $* from PyPI; install python3 with pip, or install by hand: $hint"
  python3 -m pip --version >/dev/null 2>&1 ||
    die "python3 has no pip to fetch $* from PyPI; install python3-pip, or install by hand: $hint"
  mkdir -p "$(dirname "$dir")"
  exec {lock}>"$dir.lock"
  flock "$lock"
  if [ ! -f "$dir/.complete" ]; then
    say "installing $* from PyPI into $dir (one time, no root needed)"
    rm -rf "$dir.partial"
    if ! python3 -m pip install --quiet --no-warn-script-location --target "$dir.partial" "$@" \
      >"$dir.pip.log" 2>&1; then
      say "could not install $* from PyPI; pip said:"
      grep -E "ERROR|error:" "$dir.pip.log" | head -5 >&2 || tail -5 "$dir.pip.log" >&2
      die "without PyPI, install by hand: $hint (full log: $dir.pip.log)"
    fi
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
    touch "$dir/.complete"
  fi
  exec {lock}>&-
}

# link_into DIR FILE...: puts FILEs (executables) on a directory meant for PATH.
link_into() {
  local dir="$1" file
  shift
  mkdir -p "$dir"
  for file in "$@"; do ln -sf "$file" "$dir/$(basename "$file")"; done
}
