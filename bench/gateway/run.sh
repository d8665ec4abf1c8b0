#!/usr/bin/env bash
# Gateway benchmark: wrk against evermirror-gateway's HTTP layer (in-memory source; both files
# served from its cache: 4 KiB from the heap, 10 MiB from a memfd with sendfile) and against
# nginx serving the same files from a temp dir, in the same run, 32 connections each, in
# alternating rounds; prints req/s, MB/s, p99, server CPU per request and the ratios.
#   [ROUNDS=4] [NO_BUILD=1] bench/gateway/run.sh [BUILD_DIR] [SECONDS_PER_ROUND] [server flags]
# Server flags: --threads N, --connection-memory BYTES, --no-cache-large (stream the 10 MiB).
# Needs: wrk, nginx (apt-get install -y wrk nginx).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/bench/lib.sh"
build="${1:-$root/build}"
secs="${2:-5}"
shift $(( $# < 2 ? $# : 2 ))  # the rest goes to gateway_bench_server (e.g. --cache-large)
rounds="${ROUNDS:-4}"
conns=32
threads=2
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y wrk nginx" >&2; exit 2; }
done
bench_build "$build" gateway_bench_server  # NO_BUILD=1: use the binary already built

dir="$(mktemp -d /tmp/evermirror-gateway-bench.XXXXXX)"
mkdir -p "$dir/www" "$dir/nginx"
chmod 755 "$dir"  # nginx workers run as an unprivileged user
gw_pid=""; ng_pid=""
cleanup() {
  [ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null || true
  [ -n "$ng_pid" ] && kill "$ng_pid" 2>/dev/null || true
  exec 3>&- 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# The gateway: stdin held open by fd 3; it prints its port once listening.
mkfifo "$dir/in" "$dir/out"
"$build/bench/gateway/gateway_bench_server" --dir "$dir/www" --threads "$threads" "$@" \
  <"$dir/in" >"$dir/out" 2>"$dir/gateway.log" &
gw_pid=$!
exec 3>"$dir/in"
read -r line <"$dir/out"
gw_port="$(sed -n 's/^port=\([0-9]*\) .*/\1/p' <<<"$line")"
key="$(sed -n 's/.* key=\([0-9a-f]*\)$/\1/p' <<<"$line")"

# nginx on a free loopback port, same number of workers, tuned for static files.
ng_port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes $threads;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000;
  open_file_cache max=100;
  client_body_temp_path $dir/nginx; proxy_temp_path $dir/nginx; fastcgi_temp_path $dir/nginx;
  uwsgi_temp_path $dir/nginx; scgi_temp_path $dir/nginx;
  server { listen 127.0.0.1:$ng_port; root $dir/www; }
}
CONF
nginx -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" -g 'daemon off;' &
ng_pid=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$ng_port/4k.bin" && break; sleep 0.1; done

# Both must serve identical bytes before anything is measured.
for f in 4k.bin 10m.bin; do
  cmp <(curl -sf "http://127.0.0.1:$gw_port/$key/$f") <(curl -sf "http://127.0.0.1:$ng_port/$f") \
    || { echo "content mismatch for $f" >&2; exit 1; }
done

# CPU time (clock ticks) used so far by the server processes given as pids (all threads).
cpu_ticks() {
  local total=0 pid task
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      total=$((total + $(awk '{print $14 + $15}' "$task/stat")))
    done
  done
  echo "$total"
}

# One wrk run -> "requests seconds bytes p99_ms cpu_ticks"; $2... = server pids.
measure_once() {
  local out before after url="$1"
  shift
  before="$(cpu_ticks "$@")"
  out="$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$url")"
  after="$(cpu_ticks "$@")"
  awk -v cpu="$((after - before))" '
    function bytes(v) { u = substr(v, length(v) - 1); n = substr(v, 1, length(v) - 2) + 0;
      if (u == "GB") return n * 1073741824; if (u == "MB") return n * 1048576;
      if (u == "KB") return n * 1024; return v + 0 }
    function ms(v) { if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000;
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0; return substr(v, 1, length(v) - 1) * 1000 }
    / requests in / { reqs = $1; t = $4; sub(/s,$/, "", t); read = bytes($5) }
    $1 == "99%" { p99 = ms($2) }
    END { print reqs, t, read, p99, cpu }' <<<"$out"
}

# Alternating rounds even out the load of a shared machine: "req/s MB/s p99_ms cpu_us/req"
# per server, the p99 being the worst round's.
measure_pair() {
  local gw_url="$1" ng_url="$2" round g n
  : >"$dir/g.txt"; : >"$dir/n.txt"
  for round in $(seq "$rounds"); do
    measure_once "$gw_url" "$gw_pid" >>"$dir/g.txt"
    # shellcheck disable=SC2086
    measure_once "$ng_url" $ng_workers >>"$dir/n.txt"
  done
  for f in g n; do
    awk -v hz="$(getconf CLK_TCK)" '{ r += $1; t += $2; b += $3; c += $5; if ($4 > p) p = $4 }
      END { print r / t, b / t / 1048576, p, c * 1e6 / hz / r }' "$dir/$f.txt"
  done
}

ng_workers="$(pgrep -P "$ng_pid" | tr '\n' ' ')"
echo "wrk: $threads threads, $conns connections, $rounds alternating rounds of ${secs}s; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %-8s %12s %10s %10s %14s\n" file server "req/s" "MB/s" "p99 ms" "server CPU/req"
for f in 4k.bin 10m.bin; do
  { read -r g_rps g_mbs g_p99 g_cpu; read -r n_rps n_mbs n_p99 n_cpu; } \
    <<<"$(measure_pair "http://127.0.0.1:$gw_port/$key/$f" "http://127.0.0.1:$ng_port/$f")"
  printf "%-10s %-8s %12.0f %10.1f %10.2f %11.1f us\n" "$f" gateway "$g_rps" "$g_mbs" "$g_p99" "$g_cpu"
  printf "%-10s %-8s %12.0f %10.1f %10.2f %11.1f us\n" "$f" nginx "$n_rps" "$n_mbs" "$n_p99" "$n_cpu"
  awk -v a="$g_rps" -v b="$n_rps" -v c="$g_mbs" -v d="$n_mbs" -v e="$g_cpu" -v g="$n_cpu" -v f="$f" \
    'BEGIN { printf "%-10s ratio    %11.2fx %9.2fx %10s %13.2fx   (gateway / nginx; goal >= 0.9x, CPU: lower is better)\n", f, a / b, c / d, "", e / g }'
done
echo "(on a shared machine req/s follow CPU share; server CPU per request is the steadier figure)"
