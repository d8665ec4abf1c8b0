#!/usr/bin/env bash
# Runs evermirror the way its users do: builds the image from docker/Dockerfile with podman,
# brings docker/compose.yaml up with docker-compose against podman's Docker-API socket, publishes
# a site from an evermirror stack outside the containers (`evermirror up`, the "laptop"), has the
# composed box mirror it through the command log (`evermirror trust` in the ingest container,
# `evermirror mirror add --to BOX --wait` on the laptop), fetches it over HTTP from the gateway
# container, checks health, the non-root user, a restart and the logs, then `down -v`.
#
# Network: podman's service, hence every container (network_mode: host), and the laptop run in
# a network namespace of this test holding only `lo`; only the image build (apt inside it)
# reaches the Debian mirror this machine's apt uses. Cleans up containers, volumes, the podman
# service and the namespace on every exit.
#
#   compose_test.sh SOURCE_DIR BUILD_DIR
# The image is built from BUILD_DIR's binaries (Dockerfile target runtime-prebuilt: only the
# runtime layers); EVERMIRROR_DEPLOY_FULL_BUILD=1 builds the default target instead (the whole
# multi-stage compile users run; 14 min on 2 cores here). Exit 77 (skipped) only without root, and
# not under CI=true, where that is a failure.
set -euo pipefail

src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
t_start=$(date +%s)

say() { echo "[deploy $(($(date +%s) - t_start))s] $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
  if [ "${CI:-}" = true ]; then fail "needs root (podman runs rootful); CI must run as root"; fi
  echo "compose_test: needs root; skipping" >&2
  exit 77
fi

"$src/tests/deploy/setup.sh"

# Leftovers of an earlier run that was killed outright (a CTest timeout sends SIGKILL): its
# containers, volumes and namespace carry its PID, which no longer runs.
for stale in $(ip netns list 2>/dev/null | awk '/^em-deploy-[0-9]+/ {print $1}'); do
  kill -0 "${stale#em-deploy-}" 2>/dev/null && continue
  for pid in $(ip netns pids "$stale" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  ip netns del "$stale" 2>/dev/null || true
done
for stale in $(podman ps -a --format '{{index .Labels "com.docker.compose.project"}}' 2>/dev/null | grep -E '^emdeploy[0-9]+$' | sort -u) \
             $(podman volume ls --format '{{index .Labels "com.docker.compose.project"}}' 2>/dev/null | grep -E '^emdeploy[0-9]+$' | sort -u); do
  kill -0 "${stale#emdeploy}" 2>/dev/null && continue
  podman ps -aq --filter "label=com.docker.compose.project=$stale" | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  podman volume ls -q --filter "label=com.docker.compose.project=$stale" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
done

# --- offline lints: Dockerfile (npm dockerfile-utils), entrypoint, compose (both profiles) ---
npm_dir="$src/tests/deploy/npm"
if [ ! -f "$npm_dir/node_modules/.evermirror-installed" ] || [ "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.evermirror-installed" ]; then
  (cd "$npm_dir" && { npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
                      npm install --no-audit --no-fund --loglevel=error >/dev/null; }) || fail "npm install in tests/deploy/npm"
  touch "$npm_dir/node_modules/.evermirror-installed"
fi
"$npm_dir/node_modules/.bin/dockerfile-utils" lint "$src/docker/Dockerfile" || fail "dockerfile-utils lint docker/Dockerfile"
sh -n "$src/docker/entrypoint.sh" || fail "docker/entrypoint.sh does not parse"
docker-compose -f "$src/docker/compose.yaml" config -q || fail "docker-compose config docker/compose.yaml"
docker-compose -f "$src/docker/compose.yaml" --profile monitoring config -q || fail "docker-compose config --profile monitoring"
t_setup=$(date +%s)

work=$(mktemp -d /var/tmp/evermirror-deploy.XXXXXX)
ns="em-deploy-$$"
project="emdeploy$$"
image="localhost/evermirror:deploy-test"
sock="$work/podman.sock"
podman_pid=""
laptop_pid=""
compose=(docker-compose -p "$project" -f "$src/docker/compose.yaml" -f "$src/tests/deploy/compose.test.yaml")
export DOCKER_HOST="unix://$sock" EVERMIRROR_IMAGE="$image" COMPOSE_INTERACTIVE_NO_CLI=1
in_ns() { nsenter --net="/run/netns/$ns" "$@"; }

cleanup() {
  local rc=$?
  set +e
  trap - EXIT
  if [ "$rc" != 0 ] && [ -n "$podman_pid" ]; then
    say "logs of the composed services (last 30 lines each):"
    for svc in swarm replicator gateway ingest; do
      "${compose[@]}" logs --no-color --tail=30 "$svc" >&2 2>/dev/null
    done
    [ -f "$work/laptop.log" ] && { say "laptop (evermirror up):"; tail -30 "$work/laptop.log" >&2; }
    for svc in replicator swarm ingest gateway; do
      [ -f "$work/laptop/logs/$svc.log" ] && { echo "--- laptop $svc" >&2; tail -15 "$work/laptop/logs/$svc.log" >&2; }
    done
  fi
  if [ -n "$podman_pid" ]; then
    timeout 120 "${compose[@]}" down -v --timeout 5 >/dev/null 2>&1
  fi
  # Whatever compose could not remove (it failed half-way, or the socket died).
  podman ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r podman rm -f -t 2 >/dev/null 2>&1
  podman volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r podman volume rm -f >/dev/null 2>&1
  [ -n "$laptop_pid" ] && kill -TERM "$laptop_pid" 2>/dev/null && wait "$laptop_pid" 2>/dev/null
  [ -n "$podman_pid" ] && kill -TERM "$podman_pid" 2>/dev/null && wait "$podman_pid" 2>/dev/null
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
  say "cleaned up (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the image ---------------------------------------------------------------------------
if [ "${EVERMIRROR_DEPLOY_FULL_BUILD:-0}" = 1 ]; then
  say "podman build: full multi-stage build (target runtime)"
  podman build --pull=never --format docker -f "$src/docker/Dockerfile" -t "$image" "$src" >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log" >&2; fail "podman build (full)"; }
else
  ctx="$work/context"
  mkdir -p "$ctx/docker" "$ctx/bin"
  cp "$src/docker/entrypoint.sh" "$src/docker/evermirror.toml" "$ctx/docker/"
  for svc in replicator swarm ingest gateway; do cp "$build/services/$svc/evermirror-$svc" "$ctx/bin/"; done
  cp "$build/services/cli/evermirror" "$build/tools/health_probe/evermirror-health" "$ctx/bin/"
  strip --strip-unneeded "$ctx"/bin/*
  # Stripped binaries are byte-identical until rebuilt, so a warm run reuses every layer.
  say "podman build: target runtime-prebuilt from $build"
  podman build --pull=never --format docker -f "$src/docker/Dockerfile" --target runtime-prebuilt -t "$image" "$ctx" \
    >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; fail "podman build (runtime-prebuilt)"; }
fi
t_image=$(date +%s)
say "image $image: $(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"
podman run --rm --pull=never --network none "$image" replicator --help >/dev/null 2>"$work/run.log" ||
  fail "the image cannot run evermirror-replicator --help (missing shared library?)"

# --- podman's Docker API inside the test's network namespace ------------------------------
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
in_ns podman system service --time=0 "unix://$sock" >"$work/podman-service.log" 2>&1 &
podman_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null || fail "podman system service did not answer on $sock"

"${compose[@]}" config -q || fail "docker-compose config"
say "docker-compose up -d"
"${compose[@]}" up -d --no-build >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "docker-compose up"; }

# --- the laptop: a whole evermirror stack outside the containers, on other ports -------------
mkdir -p "$work/laptop" "$work/site/notes"
token="evermirror-deploy-test-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
printf '<!doctype html><title>deploy test</title><p>%s</p>\n' "$token" >"$work/site/index.html"
head -c 300000 /dev/urandom | od -An -tx1 >"$work/site/notes/big.txt"
cat >"$work/laptop.toml" <<EOF
[box]
name = "laptop"
data_dir = "$work/laptop"
[replicator]
peer_address = "127.0.0.1:3382"
[swarm]
announce_port = 3382
dht_address = "127.0.0.1:0"
lan_enabled = false
dnssd_enabled = false
static_peers = ["127.0.0.1:3282"]
[gateway]
http_address = "127.0.0.1"
http_port = 8180
EOF
in_ns "$build/services/cli/evermirror" up --data "$work/laptop" --config "$work/laptop.toml" --port-base 7500 \
  --http-port 8180 --peer-port 3382 --demo-site "$work/site" >"$work/laptop.log" 2>&1 &
laptop_pid=$!
site=""
for _ in $(seq 300); do
  site=$(sed -n 's|.*example site  http://127.0.0.1:8180/\([0-9a-f]\{64\}\)/.*|\1|p' "$work/laptop.log" 2>/dev/null || true)
  [ -n "$site" ] && break
  kill -0 "$laptop_pid" 2>/dev/null || fail "evermirror up (laptop) exited"
  sleep 0.1
done
[ -n "$site" ] || fail "the laptop did not publish its site"
say "laptop published site ${site:0:16}..."
laptop_cli() { in_ns "$build/services/cli/evermirror" "$@" --ingest 127.0.0.1:7503; }

# --- the box: keys, trust, mirror by command -------------------------------------------------
box_pair=""
for _ in $(seq 120); do
  box_pair=$("${compose[@]}" exec -T ingest evermirror pair 2>/dev/null) && break
  sleep 0.5
done
box_key=$(sed -n 's/.*box key (its receipt log): *\([0-9a-f]\{64\}\).*/\1/p' <<<"$box_pair")
[ -n "$box_key" ] || fail "evermirror pair in the ingest container gave no box key: $box_pair"
owner=$(laptop_cli pair | sed -n 's/.*owner key (its command log): *\([0-9a-f]\{64\}\).*/\1/p')
[ -n "$owner" ] || fail "evermirror pair on the laptop gave no owner key"
"${compose[@]}" exec -T ingest evermirror trust "$owner" --name laptop >/dev/null || fail "evermirror trust in the box"
say "box ${box_key:0:16}... trusts laptop ${owner:0:16}...; mirror add --wait"
t_mirror=$(date +%s)
laptop_cli mirror add "$site" --to "$box_key" --alias deploytest --wait --timeout 150s >"$work/mirror.log" 2>&1 ||
  { cat "$work/mirror.log" >&2; fail "evermirror mirror add --wait"; }
say "mirrored in $(($(date +%s) - t_mirror))s"

# --- over HTTP from the gateway container ----------------------------------------------------
body=""
for _ in $(seq 100); do
  body=$(in_ns curl -fsS "http://127.0.0.1:8080/$site/index.html" 2>/dev/null) && break
  sleep 0.2
done
if ! grep -qF "$token" <<<"$body"; then
  # -f hid the answer: show it whole (status line, headers, body) for the failure message.
  answer=$(in_ns curl -sS -i "http://127.0.0.1:8080/$site/index.html" 2>&1 | head -c 600)
  fail "the gateway container did not serve the site's index.html (got: $answer)"
fi
in_ns curl -fsS "http://127.0.0.1:8080/$site/notes/big.txt" | cmp - "$work/site/notes/big.txt" ||
  fail "notes/big.txt differs"
say "gateway container serves the site (index.html and a $(stat -c %s "$work/site/notes/big.txt")-byte file)"

# --- what users rely on: health, user, restart, logs --------------------------------------
for svc in swarm replicator gateway ingest; do
  id=$("${compose[@]}" ps -q "$svc")
  in_ns podman healthcheck run "$id" >/dev/null || fail "healthcheck of $svc is not healthy"
done
[ "$("${compose[@]}" exec -T replicator id -u | tr -d '\r')" = 10001 ] || fail "replicator does not run as user evermirror"
# Limits and log rotation as compose.yaml asks (the container engine applies them).
replicator_id=$("${compose[@]}" ps -q replicator)
limits=$(podman inspect "$replicator_id" --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Size}}')
say "replicator container: memory, nano-cpus, restart, log driver, log size: $limits"
read -r mem cpus restart_policy log_type log_size <<<"$limits"
[ "$mem" = $((512 * 1024 * 1024)) ] && [ "$cpus" = 2000000000 ] && [ "$restart_policy" = unless-stopped ] ||
  fail "the replicator container's limits or restart policy are not compose.yaml's: $limits"
[ -n "$log_type" ] && [ "$log_size" != 0 ] || fail "no log rotation on the replicator container: $limits"
swarm_id=$("${compose[@]}" ps -q swarm)
# A crash, not a stop: SIGKILL to the service process itself (`podman kill` counts as a
# deliberate stop, which `unless-stopped` respects).
kill -KILL "$(podman inspect "$swarm_id" --format '{{.State.Pid}}')"
restarted=0
for _ in $(seq 100); do
  sleep 0.2
  if [ "$(podman inspect "$swarm_id" --format '{{.State.Running}} {{.RestartCount}}')" = "true 1" ]; then restarted=1; break; fi
done
[ "$restarted" = 1 ] || fail "the swarm container was not restarted after SIGKILL (restart: unless-stopped)"
for _ in $(seq 60); do in_ns podman healthcheck run "$swarm_id" >/dev/null 2>&1 && break; sleep 0.5; done
logs=$("${compose[@]}" logs --no-color 2>&1)
for svc in swarm replicator ingest; do
  grep -qE "service=$svc event=ready" <<<"$logs" || fail "no event=ready log line of $svc"
done
grep -qE "service=replicator event=config_value key=replicator.peer_address" <<<"$logs" ||
  fail "EVERMIRROR_LOG_LEVEL=debug did not reach the replicator (no config_value lines)"
# The gateway logs JSON (EVERMIRROR_LOG_FORMAT=json): every line of it is one object.
"${compose[@]}" logs --no-color gateway 2>&1 | sed -n 's/^[^|]*| //p' | /usr/bin/python3 -c '
import json, sys
events = [json.loads(line)["event"] for line in sys.stdin if line.strip()]
assert "ready" in events, events
print(f"gateway: {len(events)} JSON log lines")' >&2 || fail "the gateway log is not one JSON object per line"
# Keys are read capabilities: logs may carry discovery keys or short prefixes, never a whole key.
# Known: ingest logs its own log keys and followed boxes whole (reported); strict once fixed.
leaked=$(grep -F -e "$site" -e "$owner" -e "$box_key" <<<"$logs" | grep -oE 'service=[a-z]+ event=[a-z_]+' | sort | uniq -c || true)
if [ -n "$leaked" ]; then
  [ "${EVERMIRROR_DEPLOY_STRICT_LOGS:-0}" = 1 ] && fail "whole keys in the logs: $leaked"
  say "WARNING: whole keys in the logs of: $(tr '\n' ';' <<<"$leaked")"
fi
say "healthy x4, user 10001, swarm restarted after SIGKILL, structured logs (kv, json, level from the environment)"

"${compose[@]}" down -v --timeout 10 >/dev/null 2>&1 || fail "docker-compose down -v"
[ -z "$(podman volume ls -q --filter "label=com.docker.compose.project=$project")" ] || fail "down -v left volumes"
t_end=$(date +%s)
say "PASS: setup $((t_setup - t_start))s, image $((t_image - t_setup))s, stack $((t_end - t_image))s, total $((t_end - t_start))s"
