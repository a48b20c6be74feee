# Shared by the benchmarks' run.sh scripts (sourced, not run).

log() { printf '== %s\n' "$*" >&2; }

# Installs with apt-get the Debian packages of the arguments that are not installed yet.
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# Configures and builds the release preset's targets given as arguments, from the source
# root (the current folder), unless BENCH_SKIP_BUILD is set; BENCH_CONFIGURE_ARGS adds
# arguments to `cmake --preset release`.
build_release() {
  [ -z "${BENCH_SKIP_BUILD:-}" ] || return 0
  log "configuring and building the release preset"
  # shellcheck disable=SC2086  # BENCH_CONFIGURE_ARGS is a list of words
  cmake --preset release ${BENCH_CONFIGURE_ARGS:-} >/dev/null
  cmake --build build/release -j2 --target "$@" >&2
}
