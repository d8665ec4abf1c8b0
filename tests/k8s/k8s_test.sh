#!/usr/bin/env bash
# Validates k8s-optional/ offline: every object against the Kubernetes OpenAPI schemas (npm
# kubernetes-models, installed on demand into tests/k8s/npm), with unknown fields refused, and
# the set's own consistency (npm/validate.mjs). Then proves the validator bites: broken copies
# of the real manifests (a typo, a wrong type, a bad enum, an unknown box option, ...) must fail
# with the expected message.
#   k8s_test.sh SOURCE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
npm_dir="$src/tests/k8s/npm"
say() { echo "[k8s] $*" >&2; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "node and npm are needed (scripts/install-deps.sh test installs them)"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi

stamp="$npm_dir/node_modules/.evermirror-installed"
if [ ! -f "$stamp" ] || [ "$npm_dir/package-lock.json" -nt "$stamp" ] || [ "$npm_dir/package.json" -nt "$stamp" ]; then
  say "npm ci in tests/k8s/npm"
  (cd "$npm_dir" && { npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
                      npm install --no-audit --no-fund --loglevel=error >/dev/null; })
  touch "$stamp"
fi

validate() {
  node "$npm_dir/validate.mjs" --docs "$src/docs/configuration.md" \
    --scrape "$src/k8s-optional/extras/prometheus-scrape.yml" "$@"
}
manifests=("$src"/k8s-optional/*.yaml)
validate "${manifests[@]}" || { say "FAIL: k8s-optional/ does not validate"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# mutate FILE SED_EXPRESSION EXPECTED_PATTERN: a broken copy of one manifest must be refused.
mutants=0
mutate() {
  local file=$1 expr=$2 want=$3 dir="$work/m$mutants"
  mutants=$((mutants + 1))
  mkdir -p "$dir"
  cp "${manifests[@]}" "$dir/"
  sed -i "$expr" "$dir/$file"
  if cmp -s "$dir/$file" "$src/k8s-optional/$file"; then say "FAIL: mutation '$expr' changed nothing"; exit 1; fi
  local out
  if out=$(validate "$dir"/*.yaml 2>&1); then say "FAIL: '$expr' on $file was accepted"; exit 1; fi
  grep -qE -- "$want" <<<"$out" || { echo "$out" >&2; say "FAIL: '$expr' on $file: no /$want/"; exit 1; }
}
mutate statefulset.yaml 's/^  replicas: 1/  replica: 1/' 'unknown field "replica"'
mutate statefulset.yaml '0,/readOnlyRootFilesystem/s//readOnlyRootFileSystem/' 'unknown field "readOnlyRootFileSystem"'
mutate statefulset.yaml '0,/containerPort: 9402/s//containerPort: "9402"/' 'schema: .*containerPort must be integer'
mutate statefulset.yaml '0,/imagePullPolicy: IfNotPresent/s//imagePullPolicy: Sometimes/' 'schema: .*imagePullPolicy'
mutate statefulset.yaml '0,/- name: swarm$/s//- nam: swarm/' 'schema: .*must have required property .?name'
mutate statefulset.yaml 's/EVERMIRROR_GATEWAY_METRICS_ADDRESS/EVERMIRROR_GATEWAY_METRIC_ADDRESS/' 'is no option'
mutate statefulset.yaml 's/name: metrics-ingest/name: metrics-ingest-service/' 'not an IANA service name'
mutate statefulset.yaml 's/name: evermirror-config$/name: evermirror-conf/' 'no ConfigMap evermirror-conf'
mutate configmap.yaml 's/cache_size = /cache_sise = /' 'unknown option gateway.cache_sise'
mutate service.yaml 's/targetPort: http/targetPort: web/' 'targetPort web is no container port'
mutate service.yaml 's/protocol: UDP/protocol: TCP/' 'protocol differs'
say "PASS: k8s-optional/ validates; $mutants broken copies refused"
