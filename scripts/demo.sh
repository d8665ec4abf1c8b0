#!/usr/bin/env bash
# The main job: installs whatever is missing, builds, and runs `evermirror up`: the four
# services on loopback, supervised, with the bundled example site (examples/site) published
# and served at the printed http://127.0.0.1:8080/... URL. Ctrl-C stops everything.
#   EVERMIRROR_HOME=DIR   data directory (default ~/.evermirror; kept across runs)
#   JOBS=N                parallel build jobs (default: number of cores)
#   extra arguments go to `evermirror up` (e.g. --http-port 8081, --demo-site DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${JOBS:-$(nproc)}" --target evermirror evermirror-replicator evermirror-swarm \
  evermirror-ingest evermirror-gateway
exec build/services/cli/evermirror up "$@"
