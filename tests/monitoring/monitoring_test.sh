#!/usr/bin/env bash
# Monitoring as a box's operator sets it up: a real Prometheus (Debian's, on loopback) with
# docker/prometheus.yml scrapes the four services of a box while a laptop has it mirror a site
# by command. Checks: promtool lints of the config and of every /metrics page, the naming
# conventions (check_prometheus.py names), every target up in /api/v1/targets, that the
# command-latency, replication and gateway metrics have values, and that every query of
# docker/grafana/evermirror.json evaluates. Runs itself inside a fresh network namespace
# (tests/tools/netns_run.sh).
#   monitoring_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
# Into a private network namespace first (tests/tools/netns_run.sh); that needs root, which CI has.
if [ -z "${EM_IN_TEST_NETNS:-}" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "monitoring_test: needs root for a network namespace" >&2
    [ "${CI:-}" = true ] && exit 1
    exit 77
  fi
  exec "$(dirname "$0")/../tools/netns_run.sh" env EM_IN_TEST_NETNS=1 "$0" "$@"
fi
src=$(cd "$1" && pwd)
export EM_BUILD=$(cd "$2" && pwd)
check="/usr/bin/python3 $src/tests/monitoring/check_prometheus.py"
for tool in prometheus promtool; do
  if ! command -v "$tool" >/dev/null; then
    echo "monitoring_test: $tool is not installed (scripts/install-deps.sh test installs it)" >&2
    [ "${CI:-}" = true ] && exit 1
    exit 77
  fi
done
export STACK_DIR=$(mktemp -d /tmp/evermirror-monitoring.XXXXXX) STACK_NAME=monitoring STACK_T0=$(date +%s)
# shellcheck source=tests/admin/stack.sh
source "$src/tests/admin/stack.sh"
prom_pid=""
cleanup() {
  stack_stop
  [ -n "$prom_pid" ] && kill -TERM "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
  rm -rf "$STACK_DIR"
}
trap cleanup EXIT
prom=http://127.0.0.1:9090

promtool check config "$src/docker/prometheus.yml" >/dev/null || stack_fail "promtool check config docker/prometheus.yml"
# The shipped config, scraping every second instead of every 15 s.
sed -e 's/scrape_interval: 15s/scrape_interval: 1s/' -e 's/scrape_timeout: 10s/scrape_timeout: 1s/' \
  -e 's/evaluation_interval: 15s/evaluation_interval: 1s/' "$src/docker/prometheus.yml" >"$STACK_DIR/prometheus.yml"
grep -q "scrape_interval: 1s" "$STACK_DIR/prometheus.yml" || stack_fail "docker/prometheus.yml has no scrape_interval: 15s to shorten"
prometheus --config.file="$STACK_DIR/prometheus.yml" --storage.tsdb.path="$STACK_DIR/tsdb" \
  --web.listen-address=127.0.0.1:9090 --log.level=warn >"$STACK_DIR/prometheus.log" 2>&1 &
prom_pid=$!

stack_start_and_mirror
curl -fsS "http://127.0.0.1:8080/$SITE/docs/data.txt" >/dev/null
curl -fsS "http://127.0.0.1:8080/$SITE/docs/data.txt" >/dev/null  # a cache hit

for port in 9401 9402 9403 9404; do
  curl -fsS "http://127.0.0.1:$port/metrics" >"$STACK_DIR/metrics-$port.txt" || stack_fail "no /metrics on $port"
  lint=$(promtool check metrics <"$STACK_DIR/metrics-$port.txt" 2>&1) || true
  [ -z "$lint" ] || { echo "$lint" >&2; stack_fail "promtool check metrics of 127.0.0.1:$port"; }
done
stack_say "promtool check metrics: clean for all four"
$check names http://127.0.0.1:940{1,2,3,4}/metrics || stack_fail "metric naming conventions"

$check targets "$prom" 4 || { tail -20 "$STACK_DIR/prometheus.log" >&2; stack_fail "Prometheus targets"; }
$check positive "$prom" \
  'evermirror_ingest_command_apply_latency_seconds_count' \
  'histogram_quantile(0.99, sum by (le) (evermirror_ingest_command_apply_latency_seconds_bucket))' \
  'evermirror_ingest_commands_applied_total' \
  'evermirror_ingest_sites' \
  'evermirror_replicator_received_bytes_total' \
  'evermirror_replicator_blocks_received_total' \
  'evermirror_replicator_peers' \
  'sum by (source) (evermirror_swarm_candidates_found_total{source="static"})' \
  'evermirror_gateway_requests_total{code_class="2xx"}' \
  'evermirror_gateway_cache_hits_total' \
  'evermirror_gateway_request_duration_seconds_count' ||
  stack_fail "metrics without values in Prometheus"
$check dashboard "$prom" "$src/docker/grafana/evermirror.json" http://127.0.0.1:940{1,2,3,4}/metrics || stack_fail "docker/grafana/evermirror.json has queries that do not evaluate"
stack_say "PASS: 4 targets up; command latency, replication, peers and gateway metrics have values; dashboard queries evaluate"
