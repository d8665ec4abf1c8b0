#!/usr/bin/env bash
# Issue 6's figures, end to end on real `evermirror up` hosts in network namespaces joined by a
# bridge (no route out): command latency laptop append -> box apply over the LAN (mDNS) and the
# DHT paths (median and p90 of ROUNDS, plus the receipt back on the laptop), `mirror add` -> a
# 20 MB site served over HTTP, and the box's four services' RSS mirroring 10 sites.
#   bench/e2e/run.sh [BUILD_DIR] [ROUNDS] [latency|served|memory]   (the last: only that figure)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
rounds="${2:-20}"
only="${3:-}"
if [ "$(id -u)" != 0 ]; then
  echo "bench/e2e/run.sh: needs root (network namespaces)" >&2
  exit 2
fi
if [ -z "${NO_BUILD:-}" ]; then  # NO_BUILD=1: use the binaries already built
  [ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target e2e_bench >/dev/null
fi
# A namespace of its own (holding only lo) around everything the bench creates.
exec "$root/tests/tools/netns_run.sh" "$build/bench/e2e/e2e_bench" "$rounds" $only
