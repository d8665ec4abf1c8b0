#!/usr/bin/env bash
# Installs whatever is missing, builds everything and runs every test; ctest's summary is last.
#   EVERMIRROR_SANITIZE=1  build with ASan/UBSan into build-asan/
#   JOBS=N                 parallel build and test jobs (default: number of cores)
#   CTEST_ARGS="-L unit"   extra ctest arguments (e.g. a label or -R regex)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
tests/interop/setup.sh
jobs="${JOBS:-$(nproc)}"
build=build
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVERMIRROR_WERROR=ON)
if [ "${EVERMIRROR_SANITIZE:-0}" = 1 ]; then
  build=build-asan
  cmake_args+=(-DEVERMIRROR_SANITIZE=ON -DEVERMIRROR_BUILD_BENCH=OFF)
fi
cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
cd "$build"
# shellcheck disable=SC2086
exec ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-}
