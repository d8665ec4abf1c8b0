#!/usr/bin/env bash
# Swarm figures: join -> first peer candidate over a 20-node local DHT (fresh and running
# process) and over the LAN (multicast DNS), and memory/CPU of evermirror-swarm idle with 100
# joined topics. Everything runs inside a private network namespace (needs root).
#   bench/swarm/run.sh [BUILD_DIR] [IDLE_SECONDS] [TRIALS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
idle="${2:-60}"
trials="${3:-7}"
if [ "$(id -u)" != 0 ]; then
  echo "bench/swarm/run.sh: needs root (network namespaces)" >&2
  exit 2
fi
if [ -z "${NO_BUILD:-}" ]; then  # NO_BUILD=1: use the binaries already built
  [ -f "$build/build.ninja" ] || cmake -S "$root" -B "$build" -G Ninja >/dev/null
  cmake --build "$build" --target swarm_bench evermirror-swarm >/dev/null
fi
exec "$build/bench/swarm/swarm_bench" --swarm="$build/services/swarm/evermirror-swarm" \
  --idle_seconds="$idle" --trials="$trials"
