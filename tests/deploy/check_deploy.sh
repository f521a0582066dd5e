#!/usr/bin/env bash
# Checks what platform teams install: the Helm chart (lint --strict and render with a real
# Helm 3.17 for cluster-wide, namespace-scoped and ServiceMonitor setups, refusing bad values),
# the kustomize manifests (render with kubectl kustomize), least-privilege RBAC (no wildcards,
# only the verbs the operator uses), the hardened pod spec, and that the chart's CRD is the
# same file as crds/.
set -uo pipefail
cd "$(dirname "$0")/../.."
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

helm=$(scripts/install-helm.sh) || { echo "FAIL cannot install helm"; exit 1; }
chart=charts/influxdb-token-operator
base=(--set management.url=https://influx.example.com/api/v0 --set management.tokenSecret.name=mgmt)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check "the chart's CRD is crds/databasetoken.yaml" "cmp -s crds/databasetoken.yaml $chart/crds/databasetoken.yaml"
check "helm lint --strict" "$helm lint --strict $chart ${base[*]} >$work/lint 2>&1"
check "helm lint --strict (namespaced, ServiceMonitor)" \
  "$helm lint --strict $chart ${base[*]} --set 'watchNamespaces={a,b}' --set metrics.serviceMonitor.enabled=true >/dev/null 2>&1"

$helm template t $chart "${base[@]}" -n ops >"$work/cluster.yaml" 2>&1
check "renders cluster-wide" "grep -q '^kind: ClusterRole$' $work/cluster.yaml && grep -q '^kind: Deployment$' $work/cluster.yaml"
$helm template t $chart "${base[@]}" -n ops --set 'watchNamespaces={a,b}' >"$work/ns.yaml" 2>&1
check "namespace-scoped: a Role in each watched namespace, the operator told which" \
  "[ \$(grep -c '^kind: Role$' $work/ns.yaml) -eq 3 ] && grep -q -- '--namespace=a,b' $work/ns.yaml"
$helm template t $chart "${base[@]}" --set metrics.serviceMonitor.enabled=true >"$work/sm.yaml" 2>&1
check "optional ServiceMonitor" "grep -q '^kind: ServiceMonitor$' $work/sm.yaml"
$helm template t $chart "${base[@]}" --set management.accountId=a --set management.clusterId=c >"$work/dedicated.yaml" 2>&1
check "Cloud Dedicated ids reach the operator" \
  "grep -q -- '--account-id=a' $work/dedicated.yaml && grep -q -- '--influx-cluster-id=c' $work/dedicated.yaml"
check "refuses a missing management URL" "! $helm template t $chart --set management.tokenSecret.name=m >/dev/null 2>&1"
check "refuses plain http unless allowed" \
  "! $helm template t $chart --set management.url=http://x --set management.tokenSecret.name=m >/dev/null 2>&1"
check "refuses values the schema does not know" "! $helm template t $chart ${base[*]} --set nope=1 >/dev/null 2>&1"
check "refuses a bad log level" "! $helm template t $chart ${base[*]} --set logging.level=loud >/dev/null 2>&1"

kubectl kustomize manifests/ >"$work/kustomize.yaml" 2>"$work/kustomize.err"
check "kubectl kustomize manifests/ renders" "grep -q '^kind: Deployment$' $work/kustomize.yaml"
check "kustomize includes the CRD" "grep -q 'name: databasetokens.tokens.influxdb.dev' $work/kustomize.yaml"

for rendered in "$work/cluster.yaml" "$work/ns.yaml" "$work/kustomize.yaml"; do
  name=$(basename "$rendered")
  check "$name: no wildcard in RBAC" "! grep -E '^\s*(- )?(verbs|resources|apiGroups):.*\"\*\"' $rendered"
  check "$name: runAsNonRoot" "grep -q 'runAsNonRoot: true' $rendered"
  check "$name: read-only root filesystem" "grep -q 'readOnlyRootFilesystem: true' $rendered"
  check "$name: all capabilities dropped" "grep -A1 'drop:' $rendered | grep -q ALL"
  check "$name: no privilege escalation" "grep -q 'allowPrivilegeEscalation: false' $rendered"
  check "$name: resource requests and limits" "grep -q 'requests:' $rendered && grep -q 'limits:' $rendered"
  check "$name: liveness and readiness probes" "grep -q '/healthz' $rendered && grep -q '/readyz' $rendered"
  check "$name: secrets verbs are only what the operator uses" \
    "python3 - $rendered <<'PY'
import re, sys
text = open(sys.argv[1]).read()
allowed = {'get', 'list', 'watch', 'create', 'update', 'patch', 'delete'}
for block in re.findall(r'resources: \[\"secrets\"\]\n\s*verbs: \[([^\]]*)\]', text):
    verbs = {v.strip().strip('\"') for v in block.split(',')}
    if not verbs <= allowed:
        sys.exit(1)
PY"
done
exit $fail
