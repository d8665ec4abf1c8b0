#!/usr/bin/env bash
# The main job: installs whatever is missing, builds, and runs the demo.
# For now the demo creates a feed, appends every file of a folder (default: the bundled
# example site) and prints the feed's key, length and discovery key.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${JOBS:-$(nproc)}" --target evermirror
folder="${1:-examples/site}"
data="${EVERMIRROR_DEMO_DIR:-$(mktemp -d /tmp/evermirror-demo.XXXXXX)}"
exec build/services/cli/evermirror feed demo "$folder" --storage "$data/feed"
