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
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$stamp"
done
