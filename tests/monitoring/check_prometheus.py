#!/usr/bin/python3
"""Checks for tests/monitoring/monitoring_test.sh, against a Prometheus on loopback and the
services' /metrics pages. Standard library only.

  check_prometheus.py names URL...          metric naming conventions of /metrics pages
  check_prometheus.py targets PROM N        N targets of job evermirror, all up
  check_prometheus.py positive PROM EXPR..  each query returns a sample > 0 (waits up to 30 s)
  check_prometheus.py dashboard PROM FILE URL...   every query of a Grafana dashboard evaluates,
                                            and every metric it names is on one of the pages
"""
import json
import re
import sys
import time
import urllib.parse
import urllib.request

SERVICES = ("replicator", "swarm", "ingest", "gateway")
# prometheus-cpp's Exposer registers exposer_* itself (scrape statistics); process_* are the
# standard process metrics every Prometheus client exports (shared/metrics/process_collector.h),
# named by the ecosystem's convention. Neither is evermirror_<service>_.
FOREIGN = ("exposer_", "process_")
# Families the dashboard uses that have no series until something happens (a label set is
# created on first use) or that an option turns on.
SPARSE = {"evermirror_ingest_commands_rejected_total", "evermirror_ingest_site_blocks_behind_per_site"}


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def query(prom, expr):
    body = json.loads(get(f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]


def check_names(urls):
    problems, foreign = [], set()
    for url in urls:
        page = get(url)
        helps = dict(re.findall(r"^# HELP (\S+) ?(.*)$", page, re.M))
        types = re.findall(r"^# TYPE (\S+) (\S+)$", page, re.M)
        service = next((s for s in SERVICES if f"evermirror_{s}_" in page), None)
        for name, kind in types:
            if name.startswith(FOREIGN):
                foreign.add(name)
                continue
            why = []
            if service is None or not name.startswith(f"evermirror_{service}_"):
                why.append(f"not evermirror_{service}_...")
            if kind == "counter" and not name.endswith("_total"):
                why.append("counter without _total")
            if kind != "counter" and name.endswith("_total"):
                why.append(f"{kind} ending in _total")
            if kind == "histogram" and not re.search(r"_(seconds|bytes)$", name):
                why.append("histogram without a unit (_seconds, _bytes)")
            if kind == "summary":
                why.append("summary (use a histogram)")
            if re.search(r"_(ms|milliseconds|microseconds|us|kb|mb|minutes|hours)(_|$)", name):
                why.append("not a base unit")
            if not helps.get(name, "").strip():
                why.append("no help text")
            if why:
                problems.append(f"{url}: {name} ({kind}): {', '.join(why)}")
        print(f"{url}: {len(types)} families checked")
    if foreign:
        print("note: prometheus-cpp's own families (not evermirror_): " + ", ".join(sorted(foreign)))
    for p in problems:
        print("naming: " + p)
    return 1 if problems else 0


def check_targets(prom, want):
    deadline = time.time() + 40
    while True:
        targets = json.loads(get(f"{prom}/api/v1/targets"))["data"]["activeTargets"]
        ours = [t for t in targets if t["labels"].get("job") == "evermirror"]
        health = {t["labels"].get("service", t["scrapeUrl"]): t["health"] for t in ours}
        if len(ours) == want and all(h == "up" for h in health.values()):
            print(f"targets: {health}")
            return 0
        if time.time() > deadline:
            print(f"targets not all up: {health} "
                  f"{[t.get('lastError') for t in ours if t['health'] != 'up']}")
            return 1
        time.sleep(0.5)


def check_positive(prom, exprs):
    failed = 0
    for expr in exprs:
        deadline, value = time.time() + 30, None
        while time.time() < deadline:
            result = query(prom, expr)["result"]
            values = [float(r["value"][1]) for r in result]
            value = max(values) if values else None
            if value is not None and value > 0:
                break
            time.sleep(0.5)
        ok = value is not None and value > 0
        print(f"{'ok  ' if ok else 'FAIL'} {expr} = {value}")
        failed += 0 if ok else 1
    return 1 if failed else 0


def check_dashboard(prom, path, urls):
    with open(path) as f:
        dashboard = json.load(f)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    failed = 0
    exposed = set()
    for url in urls:
        exposed.update(re.findall(r"^# TYPE (\S+) ", get(url), re.M))
    used = {re.sub(r"_(bucket|sum|count)$", "", m) for e in exprs for m in re.findall(r"evermirror_[a-z0-9_]+", e)}
    for name in sorted(used - exposed - SPARSE):
        print(f"FAIL the dashboard uses {name}, which no service exposes")
        failed += 1
    for expr in exprs:
        concrete = expr.replace("$__rate_interval", "1m").replace('"$box"', '".*"')
        try:
            data = query(prom, concrete)
            print(f"ok   {len(data['result'])} series  {concrete[:110]}")
        except Exception as error:  # noqa: BLE001 - report every bad query, not only the first
            print(f"FAIL {concrete}: {error}")
            failed += 1
    print(f"dashboard: {len(exprs)} queries, {failed} failed")
    return 1 if failed or not exprs else 0


def main(argv):
    command = argv[1]
    if command == "names":
        return check_names(argv[2:])
    if command == "targets":
        return check_targets(argv[2], int(argv[3]))
    if command == "positive":
        return check_positive(argv[2], argv[3:])
    if command == "dashboard":
        return check_dashboard(argv[2], argv[3], argv[4:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
