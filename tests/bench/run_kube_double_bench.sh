#!/usr/bin/env bash
# Measures the Kubernetes API double: with 10,000 DatabaseTokens stored, GET and PATCH
# requests per second (wrk, 8 connections, 10 s each, over HTTPS) and the double's RSS.
# Usage: tests/bench/run_kube_double_bench.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-10000}
scripts/install-deps.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j 2 --target kube-apiserver-double kube-double-load >/dev/null
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null; rm -rf "$work"' EXIT
build/tests/doubles/kube/kube-apiserver-double --data-dir "$work/kube" >"$work/out" 2>"$work/log" &
echo $! >"$work/pid"
for _ in $(seq 1 100); do [ -s "$work/out" ] && break; sleep 0.1; done
url=$(python3 -c "import json;print(json.load(open('$work/out'))['url'])")
ca=$(python3 -c "import json;print(json.load(open('$work/out'))['caFile'])")
token=$(cat "$work/kube/token")
python3 - "$work/crd.json" <<'PY'
import json, sys
d = json.load(open("tests/fixtures/kube-apiserver-v1.32/02-crd-create-established.json"))
json.dump(d["steps"][1]["request"]["body"], open(sys.argv[1], "w"))
PY
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$(cat "$work/pid")/status"; }
echo "RSS empty: $(rss)"
build/tests/bench/kube-double-load "$url" "$token" "$ca" "$count" 4 "$work/crd.json"
echo "RSS with $count objects: $(rss)"
export BENCH_TOKEN=$token
obj="$url/apis/tokens.influxdb.dev/v1alpha1/namespaces/bench/databasetokens/tok-00042"
echo "GET one object (wrk -t2 -c8 -d10s):"
wrk -t2 -c8 -d10s -s tests/bench/get.lua "$obj" | grep -E "Requests/sec|Latency"
echo "PATCH one object (wrk -t2 -c8 -d10s):"
wrk -t2 -c8 -d10s -s tests/bench/patch.lua "$obj" | grep -E "Requests/sec|Latency"
echo "LIST all $count objects (wrk -t1 -c2 -d10s):"
wrk -t1 -c2 -d10s -s tests/bench/get.lua "$url/apis/tokens.influxdb.dev/v1alpha1/namespaces/bench/databasetokens" | grep -E "Requests/sec|Latency"
sleep 2
echo "RSS after the runs (2 s later): $(rss)"
