#!/usr/bin/env bash
# Replication benchmark: evermirror-replicator -> evermirror-replicator beside npm hypercore
# 7.7.1 and 11 over loopback TCP, encryption on, with the machine's bounds and the load.
#   bench/replication/run.sh [BUILD_DIR] [replication_bench flags, e.g. --quick --workloads=1k]
# Runs inside a private network namespace (tests/tools/netns_run.sh) when root, else on the
# machine's loopback.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bench/lib.sh"
build="${1:-$root/build}"
shift || true
"$root/tests/interop/setup.sh" >/dev/null
bench_build "$build" replication_bench evermirror-replicator
work="$(mktemp -d /tmp/evermirror-replication-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "load before: $(uptime)"
runner=()
[ "$(id -u)" = 0 ] && runner=("$root/tests/tools/netns_run.sh")
"${runner[@]}" "$build/bench/replication/replication_bench" --source="$root" --work="$work" "$@"
echo "load after:  $(uptime)"
