#!/bin/sh
# Runs a private avahi-daemon (with its own system D-Bus) and `avahi-browse -rp _http._tcp` until
# killed (-k: service types stay _http._tcp). Start it inside the test's peer network namespace; it makes its own mount namespace so
# /run is a private tmpfs (PROTOCOLS.md §4). Usage: avahi_peer.sh INTERFACE WORKDIR [PUBLISH_NAME]
# With PUBLISH_NAME, avahi also publishes an _http._tcp service of that name (for conflict tests).
set -eu
if [ -z "${EM_AVAHI_PRIVATE:-}" ]; then
  EM_AVAHI_PRIVATE=1 exec unshare --mount --propagation private "$0" "$@"
fi
iface="$1"; work="$2"; publish="${3:-}"
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/dbus /run/avahi-daemon
chown avahi:avahi /run/avahi-daemon
cat > "$work/avahi-daemon.conf" <<CONF
[server]
host-name=avahi-peer
use-ipv4=yes
use-ipv6=no
allow-interfaces=$iface
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
CONF
dbus-daemon --system --nofork --nopidfile &
i=0
while [ ! -S /run/dbus/system_bus_socket ]; do i=$((i+1)); [ $i -lt 200 ] || exit 3; sleep 0.05; done
avahi-daemon --no-chroot --no-rlimits --no-drop-root -f "$work/avahi-daemon.conf" &
i=0
until avahi-browse -at >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 200 ] || exit 4; sleep 0.05; done
echo "avahi-ready"
if [ -n "$publish" ]; then
  avahi-publish -s "$publish" _http._tcp 9999 "path=/other" >"$work/publish.log" 2>&1 &
fi
exec avahi-browse -rpk _http._tcp
