# Sourced by tests/admin and tests/monitoring (bash): a box and a laptop, each a whole
# evermirror stack run by `evermirror up`, on loopback inside the caller's network namespace.
#   box     admin 127.0.0.1:7401..7404, metrics 9401..9404, HTTP 8080, peers 3282 (docker/evermirror.toml's ports)
#   laptop  admin 127.0.0.1:7501..7504, metrics 9501..9504, HTTP 8180, peers 3382; publishes a site
# Each lists the other as a static peer (no DHT bootstrap, no LAN). Requires: EM_BUILD (the build
# tree), STACK_DIR (an empty directory); optional STACK_BOX_ENV ("K=V K=V" for the box's services).
# Sets SITE, OWNER, BOX_KEY, SITE_TOKEN.

stack_say() { echo "[${STACK_NAME:-stack} $(($(date +%s) - ${STACK_T0:-$(date +%s)}))s] $*" >&2; }
stack_fail() { stack_say "FAIL: $*"; stack_dump; exit 1; }
EM="$EM_BUILD/services/cli/evermirror"
STACK_PIDS=()

stack_dump() {
  local who svc
  for who in box laptop; do
    [ -f "$STACK_DIR/$who.log" ] && { echo "--- $who: evermirror up" >&2; tail -20 "$STACK_DIR/$who.log" >&2; }
    for svc in replicator swarm ingest gateway; do
      [ -f "$STACK_DIR/$who/logs/$svc.log" ] && { echo "--- $who $svc" >&2; tail -15 "$STACK_DIR/$who/logs/$svc.log" >&2; }
    done
  done
}

stack_stop() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  STACK_PIDS=()
}

# stack_config NAME PEER_PORT OTHER_PEER_PORT HTTP_PORT
stack_config() {
  cat >"$STACK_DIR/$1.toml" <<EOF
[box]
name = "$1"
data_dir = "$STACK_DIR/$1"
[replicator]
peer_address = "127.0.0.1:$2"
[swarm]
announce_port = $2
dht_address = "127.0.0.1:0"
lan_enabled = false
dnssd_enabled = false
static_peers = ["127.0.0.1:$3"]
empty_lookup_retry = "1s"
[gateway]
http_address = "127.0.0.1"
http_port = $4
domain = "localhost"
EOF
}

# stack_up NAME PORT_BASE HTTP_PORT PEER_PORT [up options...]: waits until it is up.
stack_up() {
  local name=$1 base=$2 http=$3 peer=$4
  shift 4
  local extra_env=()
  [ "$name" = box ] && [ -n "${STACK_BOX_ENV:-}" ] && read -r -a extra_env <<<"$STACK_BOX_ENV"
  env "${extra_env[@]}" "$EM" up --data "$STACK_DIR/$name" --config "$STACK_DIR/$name.toml" --port-base "$base" --http-port "$http" \
    --peer-port "$peer" "$@" >"$STACK_DIR/$name.log" 2>&1 &
  STACK_PIDS+=($!)
  local pid=$!
  for _ in $(seq 300); do
    grep -q "evermirror is up" "$STACK_DIR/$name.log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || stack_fail "evermirror up ($name) exited"
    sleep 0.1
  done
  stack_fail "evermirror up ($name) did not come up in 30 s"
}

# Starts both stacks, publishes a site on the laptop, and has the box mirror it by command.
stack_start_and_mirror() {
  STACK_T0=${STACK_T0:-$(date +%s)}
  mkdir -p "$STACK_DIR/site/docs"
  SITE_TOKEN="evermirror-stack-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
  printf '<!doctype html><title>stack</title><p>%s</p>\n' "$SITE_TOKEN" >"$STACK_DIR/site/index.html"
  head -c 200000 /dev/urandom | od -An -tx1 >"$STACK_DIR/site/docs/data.txt"
  stack_config box 3282 3382 8080
  stack_config laptop 3382 3282 8180
  stack_up box 7400 8080 3282 --no-demo
  stack_up laptop 7500 8180 3382 --demo-site "$STACK_DIR/site"
  SITE=$(sed -n 's|.*example site  http://127.0.0.1:8180/\([0-9a-f]\{64\}\)/.*|\1|p' "$STACK_DIR/laptop.log")
  [ -n "$SITE" ] || stack_fail "the laptop printed no site key"
  BOX_KEY=$("$EM" pair --ingest 127.0.0.1:7403 | sed -n 's/.*box key (its receipt log): *\([0-9a-f]\{64\}\).*/\1/p')
  OWNER=$("$EM" pair --ingest 127.0.0.1:7503 | sed -n 's/.*owner key (its command log): *\([0-9a-f]\{64\}\).*/\1/p')
  [ -n "$BOX_KEY" ] && [ -n "$OWNER" ] || stack_fail "evermirror pair gave no keys"
  "$EM" trust "$OWNER" --name laptop --ingest 127.0.0.1:7403 >/dev/null || stack_fail "evermirror trust"
  "$EM" mirror add "$SITE" --to "$BOX_KEY" --alias blog --wait --timeout 120s --ingest 127.0.0.1:7503 \
    >"$STACK_DIR/mirror.log" 2>&1 || { cat "$STACK_DIR/mirror.log" >&2; stack_fail "mirror add --wait"; }
  local body=""
  for _ in $(seq 100); do
    body=$(curl -fsS "http://127.0.0.1:8080/$SITE/index.html" 2>/dev/null) && break
    sleep 0.1
  done
  grep -qF "$SITE_TOKEN" <<<"$body" || stack_fail "the box's gateway does not serve the mirrored site"
  stack_say "box mirrors site ${SITE:0:16}... (alias blog) by command from the laptop"
}
