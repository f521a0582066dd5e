#!/usr/bin/env bash
# Checks what platform teams install: the Helm chart (lint --strict and render with a real
# Helm 3.17 for cluster-wide, namespace-scoped and ServiceMonitor setups, every value that sets
# a flag or a name, refusing bad values and replicas without leader election; the README's
# helm install line as written),
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

# render NAME ARGS...: helm template into $work/NAME.yaml (stderr in NAME.err), exit status kept.
render() {
  local name=$1
  shift
  $helm template t $chart "${base[@]}" -n ops "$@" >"$work/$name.yaml" 2>"$work/$name.err"
}
# args FILE: the operator container's args, one per line, in order.
args() { sed -n '/^ *args:$/,/^ *[a-zA-Z]*:$/p' "$1" | sed -n 's/^ *- //p' | sed 's/^"\(.*\)"$/\1/'; }

# The README's Helm install, as written, renders (helm install -> helm template).
readme_helm=$(tests/deploy/readme_install.py helm | grep '^helm install ' | sed 's/^helm install /template /')
check "README's helm install line renders with helm template" \
  "[ -n \"\$readme_helm\" ] && (eval \"\$helm \$readme_helm\") >$work/readme.yaml 2>&1 && grep -q '^kind: Deployment$' $work/readme.yaml"

# Names: nameOverride (used by the templates, so the schema must allow it) and fullnameOverride.
render default
check "default names: <release>-influxdb-token-operator" \
  "grep -q '^  name: t-influxdb-token-operator$' $work/default.yaml && grep -q 'app.kubernetes.io/name: influxdb-token-operator' $work/default.yaml"
render nameo --set nameOverride=tokens
check "nameOverride renames objects and the name label" \
  "grep -q '^  name: t-tokens$' $work/nameo.yaml && grep -q 'app.kubernetes.io/name: tokens$' $work/nameo.yaml && ! grep -q 't-influxdb-token-operator' $work/nameo.yaml"
render fullo --set fullnameOverride=tok
check "fullnameOverride is the whole name of every object and of the Lease" \
  "grep -q '^  name: tok$' $work/fullo.yaml && grep -q -- '--leader-election-id=tok$' $work/fullo.yaml && grep -q 'resourceNames: \[\"tok\"\]' $work/fullo.yaml && ! grep -q 't-influxdb-token-operator' $work/fullo.yaml"
for f in default nameo fullo; do
  check "$f: the Lease the operator uses is the one its Role grants" \
    "id=\$(args $work/$f.yaml | sed -n 's/^--leader-election-id=//p'); [ -n \"\$id\" ] && grep -q \"resourceNames: \[\\\"\$id\\\"\]\" $work/$f.yaml"
done

# A URL with YAML's special characters stays one argument, as written.
render url-chars --set 'management.url=https://influx.example.com/api/v0?x=1#frag'
check "a management URL with '#' and '?' renders as one quoted argument" \
  "args $work/url-chars.yaml | grep -qxF -- '--management-url=https://influx.example.com/api/v0?x=1#frag'"

# The install's identity: the release name unless set.
check "--instance defaults to the release name" "args $work/default.yaml | grep -qx -- '--instance=t'"
render instance --set instance=blue
check "instance sets --instance" "args $work/instance.yaml | grep -qx -- '--instance=blue'"
check "refuses an instance that is not a DNS name" "! render bad-instance --set instance=Not_OK"

# Flags with values of their own.
check "defaults: --management-timeout=10s, --shutdown-grace=30s" \
  "args $work/default.yaml | grep -qx -- '--management-timeout=10s' && args $work/default.yaml | grep -qx -- '--shutdown-grace=30s'"
check "by default no --kube-api-*/--events-* limits: the API server's flow control may lift them" \
  "! args $work/default.yaml | grep -q -- '--kube-api-' && ! args $work/default.yaml | grep -q -- '--events-'"
render tuned --set kubeApi.qps=50 --set kubeApi.burst=80 --set events.qps=2 --set events.burst=10 --set management.timeout=3s --set shutdownGraceSeconds=90
check "kubeApi.qps and kubeApi.burst set the client's rate limit" \
  "args $work/tuned.yaml | grep -qx -- '--kube-api-qps=50' && args $work/tuned.yaml | grep -qx -- '--kube-api-burst=80'"
check "events.qps and events.burst set the Event recorder's budget" \
  "args $work/tuned.yaml | grep -qx -- '--events-qps=2' && args $work/tuned.yaml | grep -qx -- '--events-burst=10'"
check "management.timeout sets --management-timeout" "args $work/tuned.yaml | grep -qx -- '--management-timeout=3s'"
check "shutdownGraceSeconds sets --shutdown-grace" "args $work/tuned.yaml | grep -qx -- '--shutdown-grace=90s'"
for f in default tuned; do
  check "$f: terminationGracePeriodSeconds exceeds the shutdown grace" \
    "grace=\$(args $work/$f.yaml | sed -n 's/^--shutdown-grace=\([0-9]*\)s$/\1/p'); term=\$(sed -n 's/^ *terminationGracePeriodSeconds: //p' $work/$f.yaml); [ -n \"\$grace\" ] && [ -n \"\$term\" ] && [ \"\$term\" -gt \"\$grace\" ]"
done
check "refuses a management.timeout that is not a duration" "! render bad-timeout --set management.timeout=soon"
check "refuses kubeApi.qps of 0" "! render bad-qps --set kubeApi.qps=0"
check "refuses events.qps of 0" "! render bad-events-qps --set events.qps=0"

# extraArgs come last (a later flag wins); extraEnv is a list of EnvVar objects.
cat >"$work/extra-values.yaml" <<'YAML'
extraArgs: ["--log-level=debug", "--max-concurrent-reconciles=8"]
extraEnv:
  - {name: DBTOKEN_RESYNC_PERIOD, value: 5m}
  - name: FROM_SECRET
    valueFrom: {secretKeyRef: {name: s, key: k}}
YAML
render extra -f "$work/extra-values.yaml"
check "extraArgs are appended after the chart's args" \
  "[ \"\$(args $work/extra.yaml | tail -n 2 | tr '\n' ' ')\" = '--log-level=debug --max-concurrent-reconciles=8 ' ]"
check "extraEnv becomes the container's env" \
  "grep -A8 '^ *env:$' $work/extra.yaml | grep -q 'name: DBTOKEN_RESYNC_PERIOD' && grep -A8 '^ *env:$' $work/extra.yaml | grep -q 'secretKeyRef:'"
check "no env without extraEnv" "! grep -q '^ *env:$' $work/default.yaml"
check "refuses an extraEnv entry without a name" "! render bad-env --set 'extraEnv[0].value=x'"
check "refuses extraArgs that are not flags" "! render bad-args --set 'extraArgs={oops}'"

# More than one replica without leader election would have them all reconcile: refused.
render no-le --set leaderElection.enabled=false --set replicaCount=3
check "leaderElection.enabled=false with replicaCount=3 fails to render" "[ -s $work/no-le.err ] && [ ! -s $work/no-le.yaml ]"
check "... and says why and what to do" \
  "grep -q 'leaderElection.enabled=false with replicaCount=3' $work/no-le.err && grep -q 'replicaCount=1' $work/no-le.err"
check "leaderElection.enabled=false with the default replicaCount fails too" \
  "! render no-le-default --set leaderElection.enabled=false"
render single --set leaderElection.enabled=false --set replicaCount=1
check "leaderElection.enabled=false with replicaCount=1 renders, without a Lease" \
  "grep -q '^kind: Deployment$' $work/single.yaml && ! grep -q -- '--leader-elect' $work/single.yaml && ! grep -q 'leases' $work/single.yaml"
check "helm lint --strict with every new value set" \
  "$helm lint --strict $chart ${base[*]} -f $work/extra-values.yaml --set nameOverride=n --set fullnameOverride=f --set instance=i --set kubeApi.qps=5 --set kubeApi.burst=10 --set events.qps=1 --set events.burst=5 --set management.timeout=5s --set shutdownGraceSeconds=10 >/dev/null 2>&1"
check "every value is described in values.yaml" \
  "(for k in nameOverride fullnameOverride instance extraArgs extraEnv kubeApi events shutdownGraceSeconds; do grep -q \"^\$k:\" $chart/values.yaml && grep -q \"\\\"\$k\\\"\" $chart/values.schema.json || exit 1; done)"

# The README's troubleshooting names the Leases the installs really use.
check "README names the Helm install's Lease" \
  "grep -q 'get lease token-operator-influxdb-token-operator' README.md && grep -q -- '--leader-election-id=token-operator-influxdb-token-operator$' $work/readme.yaml"

kubectl kustomize manifests/ >"$work/kustomize.yaml" 2>"$work/kustomize.err"
check "kubectl kustomize manifests/ renders" "grep -q '^kind: Deployment$' $work/kustomize.yaml"
check "kustomize includes the CRD" "grep -q 'name: databasetokens.tokens.influxdb.dev' $work/kustomize.yaml"
check "crds/ holds only the CRD (kubectl apply -f crds/ reads every *.yaml, *.yml, *.json)" \
  "[ \"\$(ls crds | grep -E '\.(ya?ml|json)$')\" = databasetoken.yaml ]"
# The kustomize Deployment leaves --leader-election-id at the operator's default.
lease_default=$(sed -n 's/.*kDefaultLeaseName = "\(.*\)";.*/\1/p' operator/config.h)
check "kustomize: the Lease the operator uses ($lease_default) is the one its Role grants and README names" \
  "[ -n '$lease_default' ] && ! grep -q -- '--leader-election-id' manifests/deployment.yaml && grep -A2 'resourceNames:' $work/kustomize.yaml | grep -qx ' *- $lease_default' && grep -q 'kubectl -n influxdb-token-operator get lease $lease_default\`' README.md"

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
