#!/usr/bin/env bash
# Swarm figures: join -> first peer candidate over a 20-node local DHT (fresh and running
# process) and over the LAN (multicast DNS), and memory/CPU of evermirror-swarm idle with 100
# joined topics. Everything runs inside a private network namespace (needs root).
#   bench/swarm/run.sh [BUILD_DIR] [IDLE_SECONDS] [TRIALS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bench/lib.sh"
build="${1:-$root/build}"
idle="${2:-60}"
trials="${3:-7}"
bench_require_root bench/swarm/run.sh
bench_build "$build" swarm_bench evermirror-swarm  # NO_BUILD=1: use the binaries already built
exec "$build/bench/swarm/swarm_bench" --swarm="$build/services/swarm/evermirror-swarm" \
  --idle_seconds="$idle" --trials="$trials"
