#!/usr/bin/env bash
# Informer benchmark: builds in build/ (Release), starts kube-apiserver-double over HTTPS,
# creates N DatabaseTokens (default 10000), then measures in a fresh process: start -> synced,
# RSS after sync, and write -> event handler latency p50/p99 over W writes (default 1000).
#   tests/bench/run_informer_bench.sh [--count N] [--writes W]
set -euo pipefail
cd "$(dirname "$0")/../.."

count=10000
writes=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --writes) writes="$2"; shift 2 ;;
    *) echo "usage: $0 [--count N] [--writes W]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
[ -f build/CMakeCache.txt ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j 2 --target informer_bench kube-apiserver-double

data=$(mktemp -d)
double_pid=""
cleanup() {
  if [ -n "$double_pid" ]; then kill "$double_pid" 2>/dev/null || true; wait "$double_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

build/tests/doubles/kube/kube-apiserver-double --data-dir "$data" > "$data/ready.json" &
double_pid=$!
for _ in $(seq 1 100); do
  [ -s "$data/ready.json" ] && break
  sleep 0.1
done
kubeconfig=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kubeconfig"])' "$data/ready.json")
# Trust only the double's CA: cpprestsdk would load the system store on every new connection.
export SSL_CERT_FILE="$data/no-system-store.pem" SSL_CERT_DIR="$data/no-system-store"

bench=build/tests/bench/informer_bench
transcript=tests/fixtures/kube-apiserver-v1.32/02-crd-create-established.json
echo "== populate: $count DatabaseTokens"
"$bench" populate --kubeconfig "$kubeconfig" --count "$count" --crd-transcript "$transcript"
echo "== measure: as stored (managedFields kept)"
"$bench" measure --kubeconfig "$kubeconfig" --writes "$writes"
echo "== measure: with the stripManagedFields transform"
"$bench" measure --kubeconfig "$kubeconfig" --writes "$writes" --strip-managed-fields
