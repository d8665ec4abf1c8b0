#!/usr/bin/env bash
# Installs the npm reference peers used by the interop tests, each in its own directory
# (two hypercore majors in one node_modules crash). Idempotent: skips a directory whose
# node_modules matches its package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/npm"
for dir in */; do
  dir="${dir%/}"
  [ -f "$dir/package.json" ] || continue
  stamp="$dir/node_modules/.evermirror-installed"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ] && [ "$stamp" -nt "$dir/package.json" ]; then
    continue
  fi
  echo "interop setup: npm ci in tests/interop/npm/$dir"
  # npm ci refuses lockfiles that omit other platforms' optional packages (as npm 11 writes
  # them for packages with per-platform binaries); npm install then resolves the same pins.
  if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
    echo "interop setup: npm ci refused the lockfile, using npm install in tests/interop/npm/$dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  touch "$stamp"
done
