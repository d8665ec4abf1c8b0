# Shared by bench/*/run.sh, which set `root` (the source tree) and then source this file.

# bench_build BUILD_DIR TARGET...: builds the targets, first configuring an optimised build
# (RelWithDebInfo, as scripts/test.sh does) when BUILD_DIR has none. NO_BUILD=1 uses what is
# already built.
bench_build() {
  local build="$1"
  shift
  [ -z "${NO_BUILD:-}" ] || return 0
  [ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target "$@" >/dev/null
}

# bench_require_root NAME: exits 2 with a message unless root (network namespaces need it).
bench_require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "$1: needs root (network namespaces)" >&2
    exit 2
  fi
}
