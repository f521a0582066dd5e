#!/usr/bin/env bash
# The operator on the local dev control plane: installs what is missing, builds, starts the
# Kubernetes API double and the InfluxDB Management API double on 127.0.0.1, applies the
# DatabaseToken CRD, starts influxdb-token-operator against both, and prints what to try. State, logs and credentials live in .dev/ (scripts/dev-down.sh stops
# everything). Safe to run again: a running control plane is reported, not restarted.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dev=$root/.dev
mkdir -p "$dev"

scripts/install-deps.sh

running() { [ -f "$dev/$1.pid" ] && kill -0 "$(cat "$dev/$1.pid")" 2>/dev/null; }

if ! running kube-apiserver-double || ! running management-api-double; then
  scripts/dev-down.sh --quiet || true
  mkdir -p "$dev"
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build build -j 2 --target kube-apiserver-double management-api-double \
    influxdb-token-operator

  # Kubernetes API double: HTTPS with its own CA, an admin token and a kubeconfig.
  build/tests/doubles/kube/kube-apiserver-double --data-dir "$dev/kube" \
    >"$dev/kube-apiserver-double.out" 2>"$dev/kube-apiserver-double.log" &
  echo $! >"$dev/kube-apiserver-double.pid"

  # Management API double: HTTPS, a management token kept in a file only the user can read.
  umask 077
  if [ ! -s "$dev/management-token" ]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dev/management-token"
  fi
  umask 022
  build/tests/doubles/management/management-api-double --cert-dir "$dev/management" \
    --management-token-file "$dev/management-token" \
    >"$dev/management-api-double.out" 2>"$dev/management-api-double.log" &
  echo $! >"$dev/management-api-double.pid"

  for name in kube-apiserver-double management-api-double; do
    for _ in $(seq 1 100); do
      [ -s "$dev/$name.out" ] && break
      running "$name" || { echo "dev-up: $name did not start:" >&2; cat "$dev/$name.log" >&2; exit 1; }
      sleep 0.1
    done
  done
fi

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$@"; }
kubeconfig=$(field "$dev/kube-apiserver-double.out" kubeconfig)
kube_url=$(field "$dev/kube-apiserver-double.out" url)
mgmt_url=$(field "$dev/management-api-double.out" clusteredBaseUrl)
mgmt_ca=$(field "$dev/management-api-double.out" caFile)

crd=crds/databasetoken.yaml
[ -f "$crd" ] || crd=tests/e2e/fixtures/databasetoken-crd.yaml
KUBECONFIG=$kubeconfig kubectl apply -f "$crd" >/dev/null
KUBECONFIG=$kubeconfig kubectl wait --for=condition=Established \
  crd/databasetokens.tokens.influxdb.dev --timeout=30s >/dev/null

if ! running operator; then
  cmake --build build -j 2 --target influxdb-token-operator >/dev/null
  # Text logs for people; the manifests and the chart run it with --log-format=json.
  POD_NAME=dev-operator build/operator/influxdb-token-operator \
    --kubeconfig "$kubeconfig" --management-url "$mgmt_url" --ca-file "$mgmt_ca" \
    --management-token-file "$dev/management-token" \
    --metrics-addr 127.0.0.1:18080 --probe-addr 127.0.0.1:18081 --log-format text \
    >>"$dev/operator.log" 2>&1 &
  echo $! >"$dev/operator.pid"
  for _ in $(seq 1 100); do
    curl -sf http://127.0.0.1:18081/readyz >/dev/null 2>&1 && break
    running operator || { echo "dev-up: the operator did not start:" >&2; cat "$dev/operator.log" >&2; exit 1; }
    sleep 0.1
  done
fi

# A sample to look at: the writer token in namespace telemetry (idempotent).
KUBECONFIG=$kubeconfig kubectl create namespace telemetry --dry-run=client -o yaml |
  KUBECONFIG=$kubeconfig kubectl apply -f - >/dev/null
KUBECONFIG=$kubeconfig kubectl apply -n telemetry \
  -f "$root/manifests/samples/databasetoken-writer.yaml" >/dev/null
KUBECONFIG=$kubeconfig kubectl wait -n telemetry --for=condition=Ready \
  dbt/telegraf-writer --timeout=60s >/dev/null || {
  echo "dev-up: the sample did not become Ready; see .dev/operator.log" >&2; exit 1; }

cat <<EOT
The operator is running on the dev control plane, with the sample telemetry/telegraf-writer
applied and Ready.
  influxdb-token-operator   log .dev/operator.log, metrics http://127.0.0.1:18080/metrics,
                            probes http://127.0.0.1:18081/readyz
  Kubernetes API double     $kube_url
  Management API double     $mgmt_url  (CA $mgmt_ca, token in .dev/management-token)
  Logs and state            .dev/

Try:
  export KUBECONFIG=$kubeconfig
  kubectl get --raw /version
  kubectl api-resources --api-group=tokens.influxdb.dev
  kubectl explain databasetoken.spec
  kubectl get dbt -n telemetry
  kubectl describe dbt -n telemetry telegraf-writer
  kubectl get secret -n telemetry telegraf-writer -o jsonpath='{.data.token}' | base64 -d
  kubectl patch dbt -n telemetry telegraf-writer --type merge -p '{"spec":{"revoked":true}}'
  kubectl delete dbt -n telemetry telegraf-writer

Stop everything with: scripts/dev-down.sh
EOT
