#!/usr/bin/env bash
# Publish benchmark: a folder of 2,000 small files (~20 MB) published into a new site, then
# re-published after changing 10 of them, by evermirror and by npm hyperdrive 9.14.2 (with a
# size+mtime diff as Dat's mirror-folder does), in the same run; prints seconds, bytes
# appended and the ratios.
#   bench/drive/run.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bench/lib.sh"
build="${1:-$root/build}"
"$root/tests/interop/setup.sh" >/dev/null
bench_build "$build" drive_bench
bench="$build/bench/drive/drive_bench"
dir="$(mktemp -d /tmp/evermirror-drive-bench.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
npm() { NODE_PATH="$root/tests/interop/npm/hyperdrive9/node_modules" node "$root/bench/drive/npm_publish.js" "$@"; }
field() { echo "$1" | sed -n "s/.*$2=\([0-9.]*\).*/\1/p"; }

"$bench" generate "$dir/site" 2000
size="$(du -sb "$dir/site" | cut -f1)"
ours1="$("$bench" publish "$dir/site" "$dir/ours")"
theirs1="$(npm "$dir/site" "$dir/npm")"
"$bench" modify "$dir/site" 10
ours2="$("$bench" publish "$dir/site" "$dir/ours")"
theirs2="$(npm "$dir/site" "$dir/npm")"

echo "folder: 2000 files, $size bytes"
printf '%-34s %10s %14s %8s\n' "" seconds "bytes appended" files
row() { printf '%-34s %10s %14s %8s\n' "$1" "$(field "$2" seconds)" "$(field "$2" bytes)" "$(field "$2" files)"; }
row "evermirror publish (new site)" "$ours1"
row "npm hyperdrive 9.14.2 publish" "$theirs1"
row "evermirror re-publish (10 changed)" "$ours2"
row "npm hyperdrive 9.14.2 re-publish" "$theirs2"
echo
awk -v a="$(field "$ours1" seconds)" -v b="$(field "$theirs1" seconds)" -v c="$(field "$ours2" seconds)" \
    -v d="$(field "$theirs2" seconds)" -v e="$(field "$ours1" bytes)" -v f="$(field "$theirs1" bytes)" \
    -v g="$(field "$ours2" bytes)" -v h="$(field "$theirs2" bytes)" 'BEGIN {
  printf "speed-up (npm seconds / evermirror seconds): publish %.1fx, re-publish %.1fx\n", b / a, d / c
  printf "bytes appended (evermirror / npm): publish %.3f, re-publish %.3f\n", e / f, g / h
}'
