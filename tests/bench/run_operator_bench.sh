#!/usr/bin/env bash
# Operator benchmark: builds (build/, Release), then runs tests/bench/operator_bench.py — the
# operator binary against both doubles over HTTPS: RSS idle and with N resources, time to issue
# N tokens, revoke latency p50/p99, steady-state request rates, reconcile time.
#   tests/bench/run_operator_bench.sh [--count N] [--revokes R] [--steady SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh
[ -f build/CMakeCache.txt ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j 2 --target influxdb-token-operator kube-apiserver-double \
  management-api-double
exec python3 tests/bench/operator_bench.py \
  --operator build/operator/influxdb-token-operator \
  --kube-double build/tests/doubles/kube/kube-apiserver-double \
  --management-double build/tests/doubles/management/management-api-double \
  --crd crds/databasetoken.yaml "$@"
