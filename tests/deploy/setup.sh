#!/usr/bin/env bash
# Prepares this machine to build and run evermirror's containers the way TOOLCHAIN.md describes:
# podman (rootful, runc, cgroupfs) driven by docker-compose through podman's Docker-API socket,
# and a Debian bookworm base image made locally with debootstrap (no registry is reachable).
# Idempotent and cached: packages are installed once, containers.conf is written once, and the
# base image is kept in podman's storage (and as a tarball in $EVERMIRROR_DEPLOY_CACHE) between
# runs. Needs root. Only the Debian mirror configured for apt on this machine is contacted.
#   tests/deploy/setup.sh          # prints what it does; exit 0 when ready
set -euo pipefail

cache="${EVERMIRROR_DEPLOY_CACHE:-/var/cache/evermirror-deploy}"
base_image=localhost/debian:bookworm
pkgs=(podman runc fuse-overlayfs slirp4netns uidmap debootstrap docker-compose)

log() { echo "deploy setup: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "needs root (podman runs rootful here)"
  exit 77
fi

install_packages() {
  local need=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || need+=("$p")
  done
  [ "${#need[@]}" = 0 ] && return 0
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No daemon of these packages may start by itself: the test starts podman's service itself.
  local policy=/usr/sbin/policy-rc.d restore=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    restore=1
  fi
  local rc=0
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || rc=$?
  [ "$restore" = 1 ] && rm -f "$policy"
  return "$rc"
}

# crun refuses this host's hybrid cgroups, root cannot raise rlimits above 20000 open files,
# and without systemd podman must log events to a file.
write_containers_conf() {
  local conf=/etc/containers/containers.conf marker="# evermirror tests/deploy/setup.sh"
  if [ -f "$conf" ] && grep -qF "$marker" "$conf"; then return 0; fi
  if [ -f "$conf" ] && [ -s "$conf" ]; then
    cp -n "$conf" "$conf.before-evermirror"
    log "kept the previous $conf as $conf.before-evermirror"
  fi
  mkdir -p /etc/containers
  cat >"$conf" <<CONF
$marker
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  log "wrote $conf"
}

# The apt mirror this machine uses for bookworm (deb822 or one-line sources).
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u != "" {print u; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hE '^deb +(\[[^]]*\] +)?[a-z]+://[^ ]+ +bookworm +' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
          2>/dev/null | head -1 | sed -E 's/^deb +(\[[^]]*\] +)?([^ ]+).*/\2/' || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

make_base_image() {
  if podman image exists "$base_image"; then
    podman image exists docker.io/library/debian:bookworm || podman tag "$base_image" docker.io/library/debian:bookworm
    return 0
  fi
  mkdir -p "$cache"
  local tarball="$cache/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    local mirror dir
    mirror=$(debian_mirror)
    dir=$(mktemp -d /var/tmp/evermirror-debootstrap.XXXXXX)
    log "debootstrap --variant=minbase bookworm from $mirror (~1 min)"
    if ! debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1; then
      tail -20 "$cache/debootstrap.log" >&2
      rm -rf "$dir"
      return 1
    fi
    rm -f "$dir"/var/cache/apt/archives/*.deb
    rm -rf "$dir"/var/lib/apt/lists/*
    # The image's apt uses the same sources as this machine (bookworm, -updates, -security),
    # so the runtime libraries match what the binaries were built against.
    # Only Debian's own sources (signed by debian-archive-keyring, which the image has).
    local f copied=0
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      grep -qE '^Suites:.*bookworm' "$f" || continue
      grep -qE '^Signed-By:' "$f" && ! grep -qE '^Signed-By: */usr/share/keyrings/debian-archive-keyring.gpg' "$f" && continue
      cp "$f" "$dir/etc/apt/sources.list.d/"
      copied=1
    done
    [ "$copied" = 1 ] && rm -f "$dir/etc/apt/sources.list"
    tar -C "$dir" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
  fi
  log "importing $tarball as $base_image"
  podman import --quiet "$tarball" "$base_image" >/dev/null
  podman tag "$base_image" docker.io/library/debian:bookworm
}

install_packages
write_containers_conf
make_base_image
log "ready: podman $(podman --version | awk '{print $3}'), docker-compose $(docker-compose version --short 2>/dev/null)"
