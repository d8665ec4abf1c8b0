#!/usr/bin/env bash
# Runs a command inside a fresh network namespace holding only `lo` (up, multicast-capable,
# with a multicast route), so no test traffic can leave the machine; removes the namespace
# afterwards, also on failure or interrupt. Needs root; exits 77 (CTest: skipped) without it.
#   netns_run.sh COMMAND [ARGS...]
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "netns_run.sh: needs root for ip netns; skipping" >&2
  exit 77
fi
ns="em-test-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
cleanup() {
  # Only processes inside our own namespace: whatever the test left running there.
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip link set lo multicast on
ip netns exec "$ns" ip route add 224.0.0.0/4 dev lo src 127.0.0.1 2>/dev/null || true
ip netns exec "$ns" "$@"
