#!/usr/bin/env bash
# Installs whatever evermirror needs to build, run and test, idempotently.
# Works as root (or with sudo) on a fresh Debian 12 machine that reaches only apt and npm.
# Usage: scripts/install-deps.sh [build|test|bench]
#   test adds the reference peers' tooling; bench adds wrk and nginx as well.
set -euo pipefail
mode="${1:-build}"

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libsodium-dev libabsl-dev prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  libmicrohttpd-dev libtomlplusplus-dev
)
test_pkgs=(
  nodejs npm iproute2 procps curl clang libclang-rt-14-dev python3-libtorrent
  avahi-daemon avahi-utils dbus prometheus chromium fonts-dejavu-core
)
bench_pkgs=(
  wrk nginx-light
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing() {
  local out=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
      out+=("$p")
    fi
  done
  echo "${out[@]:-}"
}

pkgs=("${build_pkgs[@]}")
case "$mode" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "install-deps: unknown mode '$mode' (build|test|bench)" >&2; exit 2 ;;
esac

# nodejs/npm may already be present outside dpkg (e.g. a preinstalled Node); don't fight it.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${pkgs[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  pkgs=("${filtered[@]}")
fi

need=$(missing "${pkgs[@]}")
if [ -n "$need" ]; then
  echo "install-deps: installing: $need"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # shellcheck disable=SC2086
  # Packages that ship daemons (prometheus, nginx, avahi) must not be started by apt: tests and
  # benchmarks start their own instances on loopback or inside network namespaces.
  policy=/usr/sbin/policy-rc.d
  restore_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod +x "$policy"
    restore_policy=1
    trap '[ "$restore_policy" = 1 ] && "${sudo_cmd[@]}" rm -f "$policy"' EXIT
  fi
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends $need
else
  echo "install-deps: all ${#pkgs[@]} packages present"
fi
