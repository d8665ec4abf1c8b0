#!/usr/bin/env bash
# Issue 6's figures, end to end on real `evermirror up` hosts in network namespaces joined by a
# bridge (no route out): command latency laptop append -> box apply over the LAN (mDNS) and the
# DHT paths (median and p90 of ROUNDS, plus the receipt back on the laptop), `mirror add` -> a
# 20 MB site served over HTTP, and the box's four services' RSS mirroring 10 sites.
#   bench/e2e/run.sh [BUILD_DIR] [ROUNDS] [latency|served|memory]   (the last: only that figure)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bench/lib.sh"
build="${1:-$root/build}"
rounds="${2:-20}"
only="${3:-}"
bench_require_root bench/e2e/run.sh
bench_build "$build" e2e_bench  # NO_BUILD=1: use the binaries already built
# A namespace of its own (holding only lo) around everything the bench creates.
exec "$root/tests/tools/netns_run.sh" "$build/bench/e2e/e2e_bench" "$rounds" $only
