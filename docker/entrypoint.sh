#!/bin/sh
# evermirror-entrypoint: the image's ENTRYPOINT. The first argument chooses what runs; the rest
# is passed on unchanged.
#   replicator|swarm|ingest|gateway [ARGS]   exec evermirror-<service> ARGS
#   evermirror|cli [ARGS]                     the CLI (e.g. `evermirror trust KEY`)
#   health [SERVICE]                          gRPC health check of SERVICE, by default the one
#                                             this container runs (PID 1); exit 0 when SERVING
#   help                                      this text
#   anything else                             exec'd as given (e.g. sh)
set -eu

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "$0"
}

# The admin address of SERVICE: EVERMIRROR_<SERVICE>_ADMIN_ADDRESS (or _ADMIN_SOCKET) when the
# container sets it, else the service name, which evermirror-health maps to the box default
# (127.0.0.1:7401..7404). A file-only change of admin_address needs the health command changed.
health_target() {
  upper=$(printf '%s' "$1" | tr 'a-z' 'A-Z')
  address=$(printenv "EVERMIRROR_${upper}_ADMIN_ADDRESS" 2>/dev/null || true)
  socket=$(printenv "EVERMIRROR_${upper}_ADMIN_SOCKET" 2>/dev/null || true)
  if [ -n "$address" ]; then
    printf '%s' "$address"
  elif [ -n "$socket" ]; then
    printf 'unix:%s' "$socket"
  else
    printf '%s' "$1"
  fi
}

command=${1:-help}
case "$command" in
  replicator|swarm|ingest|gateway)
    shift
    exec "/usr/local/bin/evermirror-$command" "$@"
    ;;
  evermirror|cli)
    shift
    exec /usr/local/bin/evermirror "$@"
    ;;
  health)
    service=${2:-}
    if [ -z "$service" ]; then
      # PID 1 is the service (this script exec'd it): evermirror-<service>.
      first=$(tr '\0' '\n' </proc/1/cmdline | head -n 1)
      service=${first##*/evermirror-}
      service=${service#evermirror-}
    fi
    case "$service" in
      replicator|swarm|ingest|gateway) ;;
      *) echo "evermirror-entrypoint health: no evermirror service runs here (PID 1: ${first:-?})" >&2; exit 1 ;;
    esac
    exec /usr/local/bin/evermirror-health "$(health_target "$service")" --timeout=4s
    ;;
  help|-h|--help)
    usage
    ;;
  *)
    exec "$@"
    ;;
esac
