#!/usr/bin/env bash
# Operator benchmark, one command for every target of issue 9: builds (build/, Release), then runs
# tests/bench/operator_bench.py — the operator binary against both doubles over HTTPS — and prints
# a table of each target, its measured value and PASS/FAIL: CPU seconds per 1,000 issues, burst
# of N -> all Active against `kubectl create -f` alone and at a forced 20 QPS, revoke latency
# p50/p99 (idle and behind a backlog of N issues), RSS idle / with N / with LARGE, steady-state
# CPU and writes, TLS handshakes per 1,000 requests. Exit status 0 when every target passed.
#   tests/bench/run_operator_bench.sh                    # N = 1,000, LARGE = 10,000
#   tests/bench/run_operator_bench.sh --quick            # N = 200, LARGE = 2,000 (development)
#   tests/bench/run_operator_bench.sh --perf             # + a CPU profile of the burst
#   tests/bench/run_operator_bench.sh --count N --large M --revokes R --steady SECONDS
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
