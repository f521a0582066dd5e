#!/usr/bin/env python3
"""Operator benchmark: the real binary against both doubles (HTTPS on 127.0.0.1). Prints:

  rss idle            the operator's RSS once its caches have synced, no resources
  issue N             N DatabaseTokens created at once (POSTed in parallel) -> all Ready
  rss with N          RSS once all N are Active
  revoke latency      spec.revoked=true (the PATCH's answer) -> DELETE at the Management API,
                      over R resources revoked one at a time: p50, p99, max
  steady state        requests per minute to the Kubernetes API and the Management API once
                      everything is settled (no writes expected)
  reconcile           controller_runtime_reconcile_time_seconds: count and mean

Usage: operator_bench.py --operator BIN --kube-double BIN --management-double BIN --crd FILE
                         [--count N] [--revokes R] [--steady SECONDS]
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from operator_e2e import Kube, Management, Operator, Server  # noqa: E402

PLURAL = "/apis/tokens.influxdb.dev/v1alpha1/namespaces/bench/databasetokens"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def parse_time(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def metric(text, name):
    total = 0.0
    for m in re.finditer(rf"^{name}(?:\{{[^}}]*\}})? ([0-9.e+-]+)$", text, re.M):
        total += float(m.group(1))
    return total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--operator", required=True)
    p.add_argument("--kube-double", required=True)
    p.add_argument("--management-double", required=True)
    p.add_argument("--crd", required=True)
    p.add_argument("--kubectl", default=shutil.which("kubectl"))
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--revokes", type=int, default=200)
    p.add_argument("--steady", type=int, default=30)
    p.add_argument("--kube-api-qps", type=float, default=None,
                   help="the operator's client-side limit (its default: 20, burst 30)")
    args = p.parse_args()

    workdir = tempfile.mkdtemp(prefix="operator-bench-")
    servers, ops = [], []
    try:
        kube_server = Server([args.kube_double, "--data-dir", os.path.join(workdir, "kube")],
                             workdir, "kube")
        servers.append(kube_server)
        kube = Kube(kube_server, args.kubectl, workdir)
        token_file = os.path.join(workdir, "management-token")
        with open(token_file, "w") as f:
            f.write(os.urandom(16).hex())
        mgmt_server = Server([args.management_double, "--management-token-file", token_file,
                              "--cert-dir", os.path.join(workdir, "mgmt")], workdir, "mgmt")
        servers.append(mgmt_server)
        with open(token_file) as f:
            mgmt = Management(mgmt_server, f.read().strip())
        assert kube.run("apply", "-f", args.crd).returncode == 0
        assert kube.run("wait", "--for=condition=Established",
                        "crd/databasetokens.tokens.influxdb.dev").returncode == 0
        assert kube.run("create", "namespace", "bench").returncode == 0
        extra = ["--max-concurrent-reconciles", "8"]
        if args.kube_api_qps:
            extra += ["--kube-api-qps", str(args.kube_api_qps),
                      "--kube-api-burst", str(int(args.kube_api_qps * 1.5))]
        print(f"operator flags          {' '.join(extra)}")
        op = Operator(args.operator, kube, mgmt, token_file, workdir, "operator", extra,
                      log_level="info")
        ops.append(op)
        while op.get("/readyz")[0] != 200:
            time.sleep(0.05)
        time.sleep(1)
        print(f"rss idle                {rss_mb(op.proc.pid):8.1f} MB")

        def create(i):
            body = {"apiVersion": "tokens.influxdb.dev/v1alpha1", "kind": "DatabaseToken",
                    "metadata": {"name": f"b{i:05d}"},
                    "spec": {"permissions": [{"action": "write", "database": f"db{i % 20}"}]}}
            status, answer = kube.http.request("POST", PLURAL, body)
            assert status == 201, f"create: {status} {answer}"

        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(args.count)))
        created = time.time() - start

        def active():
            _, lst = kube.http.request("GET", PLURAL)
            return sum(1 for o in lst["items"] if o.get("status", {}).get("phase") == "Active")
        while active() < args.count:
            time.sleep(0.2)
        issued = time.time() - start
        print(f"issue {args.count:<6}            {issued:8.1f} s  ({args.count / issued:.0f} tokens/s;"
              f" creating the resources took {created:.1f} s)")
        time.sleep(2)
        print(f"rss with {args.count:<6}         {rss_mb(op.proc.pid):8.1f} MB")

        # Revoke latency: PATCH answered -> DELETE seen by the Management API.
        _, lst = kube.http.request("GET", PLURAL)
        by_name = {o["metadata"]["name"]: o["status"]["tokenId"] for o in lst["items"]}
        latencies = []
        mgmt.clear_calls()
        for i in range(args.revokes):
            name = f"b{i:05d}"
            status, _ = kube.http.request(
                "PATCH", f"{PLURAL}/{name}", raw=b'{"spec":{"revoked":true}}',
                ctype="application/merge-patch+json")
            assert status == 200
            patched = time.time()
            tid = by_name[name]
            deadline = patched + 30
            seen = None
            while seen is None and time.time() < deadline:
                for c in mgmt.calls():
                    if c["method"] == "DELETE" and c["path"].endswith(tid):
                        seen = parse_time(c["time"])
                        break
                else:
                    time.sleep(0.002)
            assert seen is not None, f"no DELETE for {name}"
            latencies.append(max(0.0, seen - patched) * 1000)
        print(f"revoke latency          p50 {percentile(latencies, 50):.1f} ms, "
              f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms "
              f"({len(latencies)} revokes)")

        # Steady state: first let the Events queued by the burst drain (they share the
        # operator's rate limit), until 5 s pass without a write.
        settle = time.time()
        kube.control("DELETE", "counts")
        quiet_since = time.time()
        while time.time() - quiet_since < 5 and time.time() - settle < 300:
            time.sleep(1)
            _, c = kube.control("GET", "counts")
            if c.get("writes"):
                kube.control("DELETE", "counts")
                quiet_since = time.time()
        print(f"settled after           {time.time() - settle:8.1f} s (Events draining)")
        kube.control("DELETE", "counts")
        mgmt.clear_calls()
        time.sleep(args.steady)
        _, counts = kube.control("GET", "counts")
        calls = mgmt.calls()
        requests = sum(n for verb, byres in counts.items() if isinstance(byres, dict)
                       for n in byres.values())
        per_min = 60 / args.steady
        print(f"steady state            {requests * per_min:.0f} Kubernetes requests/min "
              f"({counts.get('writes')} writes; {json.dumps({k: v for k, v in counts.items() if k != 'writes'})}),"
              f" {len(calls) * per_min:.0f} Management API calls/min")
        _, text = op.get("/metrics")
        n = metric(text, "controller_runtime_reconcile_time_seconds_count")
        s = metric(text, "controller_runtime_reconcile_time_seconds_sum")
        print(f"reconcile               {n:.0f} reconciles, mean {1000 * s / max(n, 1):.2f} ms")
        print(f"rss at the end          {rss_mb(op.proc.pid):8.1f} MB")
    finally:
        for op in ops:
            op.kill()
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
