#!/usr/bin/env bash
# Feed benchmark: evermirror's feed and npm hypercore 7.7.1 on the same workloads, same run,
# beside the libsodium bound; prints the ratio for every workload. evermirror's rows are the best of
# three runs; npm's are one run each (its 1 KiB single appends alone take ~80 s).
#   bench/hypercore/run.sh [BUILD_DIR]
#   FEED_BENCH_ONLY=NAME  only the workloads whose name contains NAME ("verify": the reader path only)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bench/lib.sh"
build="${1:-$root/build}"
"$root/tests/interop/setup.sh" >/dev/null
bench_build "$build" feed_bench
dir="$(mktemp -d /tmp/evermirror-feed-bench.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
ours="$("$build/bench/hypercore/feed_bench" --dir "$dir")"
npm="$(NODE_PATH="$root/tests/interop/npm/hypercore7/node_modules" node "$root/bench/hypercore/npm_append.js" "$dir")"
echo "$ours"
echo "$npm"
echo
echo "ratio (evermirror append / npm append, blocks/s):"
while read -r _ name1 name2 name3 _ _ rate _; do
  ours_rate="$(echo "$ours" | awk -v n="$name1 $name2 $name3" '$1=="append" && ($2" "$3" "$4)==n {print $7}')"
  awk -v a="$ours_rate" -v b="$rate" -v n="$name1 $name2 $name3" 'BEGIN { printf "  %-24s %8.1fx\n", n, a / b }'
done <<< "$npm"
