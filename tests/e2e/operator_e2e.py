#!/usr/bin/env python3
"""End to end: the real operator binary, driven with the real kubectl, against both doubles.

Starts a kube-apiserver-double and a management-api-double on 127.0.0.1 (HTTPS, their own CAs),
applies crds/, runs build/operator/influxdb-token-operator against them and checks, through
kubectl and the doubles' control surfaces only:

  lifecycle    apply a sample -> kubectl wait Ready -> the Secret's token is accepted by the data
               plane for its database only -> printer columns, describe (events, conditions) ->
               spec.revoked: true -> Revoked, the data plane refuses it, Secret gone -> revoked
               back to false is refused by the CRD -> delete
  delete       deleting an Active resource revokes its token (policy Revoke)
  retain       deleting with deletionPolicy: Retain leaves the token working, released
  faults       Management API 503, 429 + Retry-After, a POST whose answer is lost, a 500 after
               the work; Kubernetes 500 on Secret create, 409 on status, dropped watches, 410
  crash        50 resources, the operator SIGKILLed while it issues them, then restarted
  drift        a token revoked behind the operator's back is re-issued; a deleted Secret too
  steady       once everything is Ready: no Kubernetes writes, no Management API calls
  leader       two replicas with --leader-elect: one leads; SIGKILL it and the other takes over
  metrics      /metrics and /readyz answer; SIGTERM stops the operator with exit status 0

After every scenario the invariants hold: every live resource has exactly one live token (the one
in its status and its Secret, whose hash the double knows); every revoked or deleted one has none;
no token carrying our marker is live without a resource. At the end no access token and not the
management token appears in the operator's logs, in any Event, in any status, or in what this
script printed.

Usage: operator_e2e.py --operator BIN --kube-double BIN --management-double BIN --crd FILE
                        --samples DIR [--kubectl PATH] [--only NAME[,NAME]] [--keep]
Exit status 0 when every check passed; failures are listed one per line.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from kubectl_e2e import Failures  # noqa: E402  (same directory)

MARKER = re.compile(r"\[influxdb-token-operator cluster=([A-Za-z0-9._-]+)"
                    r"(?: instance=[a-z0-9.-]+ namespace=[a-z0-9-]+)? resource=([0-9a-f-]{36})\]$")
INSTANCE = "tokens.influxdb.dev/instance"
LOG_KEY = re.compile(r"^[a-z][A-Za-z0-9]*$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)


class Server:
    """A double: started with its flags, answers with one JSON line on stdout."""

    def __init__(self, argv, workdir, name):
        self.log = open(os.path.join(workdir, name + ".log"), "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{name} did not start; see {self.log.name}")
        self.ready = json.loads(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Https:
    def __init__(self, base, cafile, token):
        self.base = base
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.token = token

    def request(self, method, path, body=None, token=None, raw=None, ctype="application/json"):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + (token or self.token))
        if data is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=20) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text


class Management:
    def __init__(self, server, token):
        self.http = Https(server.ready["url"], server.ready["caFile"], token)
        self.base_url = server.ready["clusteredBaseUrl"]
        self.cafile = server.ready["caFile"]

    def tokens(self):
        status, body = self.http.request("GET", "/_double/state")
        assert status == 200, f"state: {status}"
        return body["tokens"]

    def calls(self):
        return self.http.request("GET", "/_double/calls")[1]

    def clear_calls(self):
        self.http.request("DELETE", "/_double/calls")

    def faults(self, faults):
        status, body = self.http.request("POST", "/_double/faults", faults)
        assert status == 204, f"faults: {status} {body}"

    def clear_faults(self):
        self.http.request("DELETE", "/_double/faults")

    def query(self, token, db):
        """GET /api/v3/query_sql with a database token; the HTTP status."""
        return self.http.request("GET", f"/api/v3/query_sql?db={db}&q=SELECT%201",
                                 token=token)[0]

    def write(self, token, db):
        """POST /api/v2/write with a database token; the HTTP status."""
        return self.http.request("POST", f"/api/v2/write?db={db}", raw=b"m v=1", token=token,
                                 ctype="text/plain")[0]


class Kube:
    def __init__(self, server, kubectl, workdir):
        self.kubectl = kubectl
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ, KUBECONFIG=server.ready["kubeconfig"], HOME=self.home)
        with open(os.path.join(workdir, "kube", "token")) as f:
            self.http = Https(server.ready["url"], server.ready["caFile"], f.read().strip())

    def run(self, *args, stdin=None, timeout=120):
        return subprocess.run([self.kubectl] + list(args), input=stdin, capture_output=True,
                              text=True, env=self.env, timeout=timeout)

    # Reads go straight to the API (kubectl costs a process and discovery per call, and the
    # checks poll); kubectl itself drives every write and wait, as a user would.
    KINDS = {"dbt": ("/apis/tokens.influxdb.dev/v1alpha1", "databasetokens"),
             "secret": ("/api/v1", "secrets"), "namespace": ("/api/v1", "namespaces"),
             "lease": ("/apis/coordination.k8s.io/v1", "leases")}

    def json(self, verb, kind, *rest):
        """`get KIND [NAME] [-n NS | -A]` as JSON (None when absent)."""
        assert verb == "get" and kind in self.KINDS, (verb, kind)
        rest = list(rest)
        ns = None
        if "-n" in rest:
            i = rest.index("-n")
            ns = rest[i + 1]
            del rest[i:i + 2]
        if "-A" in rest:
            rest.remove("-A")
        prefix, plural = self.KINDS[kind]
        path = prefix + (f"/namespaces/{ns}" if ns and kind != "namespace" else "") + "/" + plural
        if rest:
            path += "/" + rest[0]
        status, body = self.http.request("GET", path)
        return body if status == 200 else None

    def control(self, method, what, body=None):
        return self.http.request(method, "/_double/" + what, body)


class Operator:
    """One replica of the operator; its log lines accumulate in one file across restarts."""

    def __init__(self, binary, kube, mgmt, token_file, workdir, name="operator", extra=(),
                 log_level="debug"):
        self.binary = binary
        self.metrics_port = free_port()
        self.probe_port = free_port()
        self.logfile = os.path.join(workdir, name + ".log")
        self.argv = [binary, "--kubeconfig", kube.env["KUBECONFIG"],
                     "--management-url", mgmt.base_url, "--ca-file", mgmt.cafile,
                     "--management-token-file", token_file,
                     "--metrics-addr", f"127.0.0.1:{self.metrics_port}",
                     "--probe-addr", f"127.0.0.1:{self.probe_port}",
                     "--log-format", "json", "--log-level", log_level] + list(extra)
        self.proc = None
        self.start()

    def start(self):
        env = dict(os.environ, POD_NAME=os.path.basename(self.logfile)[:-4])
        with open(self.logfile, "a") as log:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=log, env=env)

    def get(self, path):
        port = self.metrics_port if path == "/metrics" else self.probe_port
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return 0, ""

    def terminate(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_text(self):
        with open(self.logfile) as f:
            return f.read()


def dbt_manifest(name, ns, database="sensors", action="write", **spec):
    body = {"description": f"e2e {name}", "permissions": [{"action": action, "database": database}]}
    body.update(spec)
    return json.dumps({"apiVersion": "tokens.influxdb.dev/v1alpha1", "kind": "DatabaseToken",
                       "metadata": {"name": name, "namespace": ns}, "spec": body})


class Suite:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.f = Failures()
        self.secrets_seen = set()  # every access token read from a Secret
        self.kube_server = Server([args.kube_double, "--data-dir", os.path.join(workdir, "kube")],
                                  workdir, "kube-apiserver-double")
        self.kube = Kube(self.kube_server, args.kubectl, workdir)
        self.management_token = base64.b16encode(os.urandom(24)).decode().lower()
        self.token_file = os.path.join(workdir, "management-token")
        with open(self.token_file, "w") as f:
            f.write(self.management_token + "\n")
        os.chmod(self.token_file, 0o600)
        self.mgmt_server = Server([args.management_double, "--management-token-file",
                                   self.token_file, "--cert-dir", os.path.join(workdir, "mgmt")],
                                  workdir, "management-api-double")
        self.mgmt = Management(self.mgmt_server, self.management_token)
        self.operators = []
        self.cluster_id = None

    # ---- helpers --------------------------------------------------------------------------
    def operator(self, name="operator", extra=()):
        op = Operator(self.args.operator, self.kube, self.mgmt, self.token_file, self.workdir,
                      name, extra)
        self.operators.append(op)
        return op

    def ok(self, r, what):
        return self.f.check(r.returncode == 0, f"{what}: {r.stdout.strip()} {r.stderr.strip()}")

    def apply(self, manifest, what):
        return self.ok(self.kube.run("apply", "-f", "-", stdin=manifest), what)

    def wait_ready(self, ns, names, timeout=90):
        r = self.kube.run("wait", "--for=condition=Ready", "-n", ns, f"--timeout={timeout}s",
                          *[f"dbt/{n}" for n in names], timeout=timeout + 30)
        return self.ok(r, f"kubectl wait Ready {ns}/{','.join(names) if len(names) < 4 else len(names)}")

    def wait_phase(self, ns, name, phase, timeout=60):
        r = self.kube.run("wait", f"--for=jsonpath={{.status.phase}}={phase}", "-n", ns,
                          f"--timeout={timeout}s", f"dbt/{name}", timeout=timeout + 30)
        return self.ok(r, f"kubectl wait phase {phase} {ns}/{name}")

    def described(self, ns, name, pattern, timeout=30):
        """kubectl describe until its output matches (Events are written in the background)."""
        out = [""]

        def match():
            out[0] = self.kube.run("describe", "dbt", name, "-n", ns).stdout
            return re.search(pattern, out[0], re.S)
        return bool(wait_until(match, timeout, interval=0.5)), out[0]

    def secret_token(self, ns, name):
        s = self.kube.json("get", "secret", name, "-n", ns)
        if not s or "token" not in s.get("data", {}):
            return None, s
        token = base64.b64decode(s["data"]["token"]).decode()
        self.secrets_seen.add(token)
        return token, s

    def ours(self, tokens):
        """Tokens carrying a marker of this cluster, by resource UID: [token, ...]."""
        out = {}
        for t in tokens:
            m = MARKER.search(t["description"])
            if m and m.group(1) == self.cluster_id:
                out.setdefault(m.group(2), []).append(t)
        return out

    def invariants(self, label):
        """Every live resource: exactly one live token, the one in its status and Secret. Every
        revoked or deleted one: none. No live marked token without a resource."""
        resources = self.kube.json("get", "dbt", "-A")["items"]
        secrets = {(o["metadata"]["namespace"], o["metadata"]["name"]): o
                   for o in self.kube.json("get", "secret", "-A")["items"]}
        tokens = self.mgmt.tokens()
        live = {uid: [t for t in ts if not t["revokedAt"]] for uid, ts in self.ours(tokens).items()}
        uids = set()
        for res in resources:
            uid = res["metadata"]["uid"]
            uids.add(uid)
            key = f"{res['metadata']['namespace']}/{res['metadata']['name']}"
            status = res.get("status", {})
            mine = live.get(uid, [])
            if status.get("phase") == "Revoked":
                self.f.check(not mine, f"{label}: {key} is Revoked but {len(mine)} token(s) live")
                continue
            if status.get("phase") != "Active":
                continue
            if not self.f.check(len(mine) == 1, f"{label}: {key} has {len(mine)} live tokens"):
                continue
            self.f.check(mine[0]["id"] == status.get("tokenId"),
                         f"{label}: {key} status.tokenId is not its live token")
            secret_name = res["spec"].get("secretName", res["metadata"]["name"])
            secret = secrets.get((res["metadata"]["namespace"], secret_name))
            token = secret and base64.b64decode(secret.get("data", {}).get("token", "")).decode()
            if self.f.check(bool(token), f"{label}: {key} has no Secret with a token"):
                self.secrets_seen.add(token)
                self.f.check(hashlib.sha256(token.encode()).hexdigest()
                             == mine[0]["accessTokenSha256"].removeprefix("sha256:"),
                             f"{label}: {key} Secret does not hold its live token")
                self.f.check(secret["metadata"]["annotations"].get("tokens.influxdb.dev/token-id")
                             == mine[0]["id"], f"{label}: {key} Secret annotation is stale")
        for uid, ts in live.items():
            if uid not in uids and ts:
                # A Retain resource released its token: its marker is gone, so it isn't here.
                self.f.check(False, f"{label}: {len(ts)} live token(s) of a deleted resource")

    # ---- scenarios ----------------------------------------------------------------------------
    def lifecycle(self):
        ns = "telemetry"
        self.ok(self.kube.run("create", "namespace", ns), "create namespace")
        r = self.kube.run("apply", "-f", "-", stdin=dbt_manifest("bad", ns, action="admin"))
        self.f.check(r.returncode != 0 and "spec.permissions[0].action" in r.stderr,
                     f"the schema refuses a bad action, naming the field: {r.stderr.strip()}")
        self.ok(self.kube.run("apply", "-n", ns, "-f",
                              os.path.join(self.args.samples, "databasetoken-writer.yaml")),
                "apply the writer sample")
        if not self.wait_ready(ns, ["telegraf-writer"]):
            return
        r = self.kube.run("get", "dbt", "-n", ns)
        self.f.check(re.search(r"^NAME\s+PHASE\s+READY\s+TOKEN ID\s+SECRET\s+EXPIRES\s+AGE$",
                               r.stdout, re.M) and
                     re.search(r"^telegraf-writer\s+Active\s+True\s+[0-9a-f-]{36}\s+"
                               r"telegraf-writer\s+", r.stdout, re.M),
                     f"kubectl get dbt columns: {r.stdout}")
        res = self.kube.json("get", "dbt", "telegraf-writer", "-n", ns)
        status = res["status"]
        self.f.check("tokens.influxdb.dev/revoke" in res["metadata"].get("finalizers", []),
                     "the finalizer is set")
        conds = {c["type"]: c for c in status.get("conditions", [])}
        self.f.check(conds.get("Ready", {}).get("status") == "True" and
                     conds.get("Synced", {}).get("status") == "True" and
                     conds.get("Revoked", {}).get("status") == "False",
                     f"conditions Ready/Synced True, Revoked False: {conds}")
        self.f.check(status.get("observedGeneration") == res["metadata"]["generation"],
                     "status.observedGeneration follows the generation")
        token, secret = self.secret_token(ns, "telegraf-writer")
        if not self.f.check(token is not None, "the Secret holds the token"):
            return
        owner = secret["metadata"].get("ownerReferences", [{}])[0]
        self.f.check(owner.get("kind") == "DatabaseToken" and owner.get("controller") is True
                     and owner.get("uid") == res["metadata"]["uid"],
                     "the Secret is owned by its DatabaseToken")
        self.f.check(secret["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by")
                     == "influxdb-token-operator", "the Secret carries the managed-by label")
        self.f.check(self.mgmt.write(token, "sensors") == 204,
                     "the data plane accepts the Secret's token for its database")
        self.f.check(self.mgmt.write(token, "other") in (401, 403),
                     "the data plane refuses the token for another database")
        tok = [t for t in self.mgmt.tokens() if t["id"] == status["tokenId"]][0]
        self.f.check(tok["description"] == "Telegraf writer [influxdb-token-operator "
                                           f"cluster={self.cluster_id} instance=default "
                                           f"namespace={res['metadata']['namespace']} resource="
                                           f"{res['metadata']['uid']}]",
                     f"the API token carries the ownership marker: {tok['description']!r}")
        ok, text = self.described(ns, "telegraf-writer",
                                  r"Type:\s+Ready.*Normal\s+Created\s+.*influxdb-token-operator")
        self.f.check(ok, f"describe shows the conditions and the Created event: {text}")

        r = self.kube.run("patch", "dbt", "telegraf-writer", "-n", ns, "--type", "merge",
                          "-p", '{"spec":{"revoked":true}}')
        self.ok(r, "patch spec.revoked=true")
        if self.wait_phase(ns, "telegraf-writer", "Revoked"):
            res = self.kube.json("get", "dbt", "telegraf-writer", "-n", ns)
            conds = {c["type"]: c for c in res["status"].get("conditions", [])}
            self.f.check(conds.get("Revoked", {}).get("status") == "True" and
                         conds.get("Ready", {}).get("reason") == "Revoked" and
                         res["status"].get("revokedAt"), f"Revoked conditions: {conds}")
            self.f.check(self.mgmt.write(token, "sensors") == 401,
                         "the data plane refuses a revoked token")
            self.f.check(wait_until(lambda: self.kube.run("get", "secret", "telegraf-writer", "-n",
                                                          ns).returncode != 0, 20),
                         "the revoked token's Secret is deleted")
            ok, text = self.described(ns, "telegraf-writer", r"Normal\s+Revoked\s+")
            self.f.check(ok, f"describe shows the Revoked event: {text}")
        r = self.kube.run("patch", "dbt", "telegraf-writer", "-n", ns, "--type", "merge",
                          "-p", '{"spec":{"revoked":false}}')
        self.f.check(r.returncode != 0 and "revoked" in r.stderr,
                     f"revoked true -> false is refused: {r.stderr.strip()}")
        r = self.kube.run("delete", "dbt", "telegraf-writer", "-n", ns, "--timeout=60s")
        self.ok(r, "delete a revoked DatabaseToken")

    def delete(self):
        ns = "delete"
        self.ok(self.kube.run("create", "namespace", ns), "create namespace")
        self.apply(dbt_manifest("doomed", ns), "apply doomed")
        if not self.wait_ready(ns, ["doomed"]):
            return
        token, _ = self.secret_token(ns, "doomed")
        tid = self.kube.json("get", "dbt", "doomed", "-n", ns)["status"]["tokenId"]
        self.ok(self.kube.run("delete", "dbt", "doomed", "-n", ns, "--timeout=60s"),
                "delete an Active DatabaseToken")
        tok = [t for t in self.mgmt.tokens() if t["id"] == tid][0]
        self.f.check(tok["revokedAt"] is not None, "deleting the resource revoked its token")
        self.f.check(self.mgmt.write(token, "sensors") == 401, "the data plane refuses it")
        self.f.check(wait_until(lambda: self.kube.run("get", "secret", "doomed", "-n",
                                                      ns).returncode != 0, 30),
                     "the owned Secret is garbage-collected")

    def retain(self):
        ns = "retain"
        self.ok(self.kube.run("create", "namespace", ns), "create namespace")
        self.ok(self.kube.run("apply", "-n", ns, "-f", os.path.join(
            self.args.samples, "databasetoken-reader-retain.yaml")), "apply the Retain sample")
        if not self.wait_ready(ns, ["dashboards-reader"]):
            return
        token, _ = self.secret_token(ns, "dashboards-reader")
        res = self.kube.json("get", "dbt", "dashboards-reader", "-n", ns)
        self.f.check(res["status"].get("expiresAt", "").startswith("2027-12-31T23:59:59"),
                     f"status.expiresAt: {res['status'].get('expiresAt')}")
        tid = res["status"]["tokenId"]
        self.ok(self.kube.run("delete", "dbt", "dashboards-reader", "-n", ns, "--timeout=60s"),
                "delete a Retain DatabaseToken")
        tok = [t for t in self.mgmt.tokens() if t["id"] == tid][0]
        self.f.check(tok["revokedAt"] is None, "Retain leaves the token alive")
        self.f.check(not MARKER.search(tok["description"]),
                     f"Retain releases the token (no marker): {tok['description']!r}")
        self.f.check(self.mgmt.query(token, "anything") == 200,
                     "the retained token still reads on the data plane")
        self.f.check(self.kube.run("get", "secret", "dashboards-reader", "-n", ns).returncode == 0,
                     "Retain keeps the Secret that holds the token")

    def faults(self):
        ns = "faults"
        self.ok(self.kube.run("create", "namespace", ns), "create namespace")
        tokens = "/api/v0/tokens$"
        self.mgmt.faults([
            {"method": "POST", "path": tokens, "times": 2, "status": 503},
            {"method": "POST", "path": tokens, "times": 1, "status": 429, "retryAfter": 1},
        ])
        self.apply(dbt_manifest("retry", ns), "apply retry")
        self.wait_ready(ns, ["retry"])
        # The answer to a POST is lost after the token was made: the outcome is unknown, the
        # inventory is reloaded and the stray token revoked or adopted, never duplicated.
        self.mgmt.faults([{"method": "POST", "path": tokens, "times": 1, "kind": "dropAfterWork"}])
        self.apply(dbt_manifest("lost-answer", ns), "apply lost-answer")
        self.wait_ready(ns, ["lost-answer"])
        self.mgmt.faults([{"method": "POST", "path": tokens, "times": 1,
                           "kind": "statusAfterWork", "status": 500}])
        self.apply(dbt_manifest("error-after-work", ns), "apply error-after-work")
        self.wait_ready(ns, ["error-after-work"])
        # Kubernetes: the Secret create fails once (the token just made is revoked and another
        # issued), the status write conflicts once, watches drop and history expires.
        self.kube.control("POST", "faults", {"method": "POST", "path": f"/namespaces/{ns}/secrets",
                                             "count": 1, "status": 500})
        self.kube.control("POST", "faults", {"method": "PATCH", "path": "/status$", "count": 1,
                                             "status": 409})
        self.apply(dbt_manifest("kube-faults", ns), "apply kube-faults")
        self.wait_ready(ns, ["kube-faults"])
        self.kube.control("POST", "expire-history")
        self.kube.control("POST", "close-watches")
        self.apply(dbt_manifest("after-410", ns), "apply after-410")
        self.wait_ready(ns, ["after-410"])
        self.mgmt.clear_faults()
        self.kube.control("DELETE", "faults")
        # The management token is rotated at the API first: Synced=False, reason Unauthorized,
        # nothing lost; once the file holds the new token the operator re-reads it and recovers.
        new_token = base64.b16encode(os.urandom(24)).decode().lower()
        status, _ = self.mgmt.http.request("PUT", "/_double/management-token", {"token": new_token})
        self.f.check(status == 204, f"rotate the management token: {status}")
        self.mgmt.http.token = new_token
        self.apply(dbt_manifest("rotated", ns), "apply rotated")

        def reason():
            o = self.kube.json("get", "dbt", "rotated", "-n", ns)
            conds = {c["type"]: c for c in (o or {}).get("status", {}).get("conditions", [])}
            return conds.get("Synced", {}).get("status") == "False" and \
                conds["Synced"].get("reason")
        self.f.check(wait_until(reason, 30) == "Unauthorized",
                     f"a refused management token shows as Synced=False Unauthorized: {reason()}")
        with open(self.token_file, "w") as f:
            f.write(new_token + "\n")
        self.management_token_old, self.management_token = self.management_token, new_token
        self.wait_ready(ns, ["rotated"])
        self.f.check(wait_until(lambda: not self.stray_live(), 30),
                     "every token made behind a lost or failed answer is revoked")
        self.invariants("faults")

    def switches(self):
        """Every behaviour under every undocumented-API switch of the Management API double:
        one switch at a time moved off its default, a fresh namespace for each."""
        settings = [("revokedInList", "hidden"), ("revokedGet", "404"), ("secondDelete", "404"),
                    ("revokedPatch", "404"), ("revokedPatch", "200"),
                    ("duplicateDescriptions", "409"), ("activationDelayMs", 300)]
        for i, (name, value) in enumerate(settings):
            label = f"switch {name}={value}"
            status, body = self.mgmt.http.request("PUT", "/_double/behaviour", {name: value})
            if not self.f.check(status == 200, f"{label}: set: {status} {body}"):
                continue
            ns = f"switch-{i}"
            self.ok(self.kube.run("create", "namespace", ns), "create namespace")
            # Two resources with one description, so duplicateDescriptions matters.
            names = ["a", "b", "revoke-me", "delete-me", "retain-me", "drift-me"]
            self.apply(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
                json.loads(dbt_manifest(n, ns, description="shared", deletionPolicy=(
                    "Retain" if n == "retain-me" else "Revoke"))) for n in names]}),
                f"{label}: apply")
            if not self.wait_ready(ns, names):
                continue
            ids = {o["metadata"]["name"]: o["status"]["tokenId"]
                   for o in self.kube.json("get", "dbt", "-n", ns)["items"]}
            self.ok(self.kube.run("patch", "dbt", "revoke-me", "-n", ns, "--type", "merge", "-p",
                                  '{"spec":{"revoked":true}}'), f"{label}: revoke")
            self.wait_phase(ns, "revoke-me", "Revoked")
            self.ok(self.kube.run("delete", "dbt", "delete-me", "retain-me", "-n", ns,
                                  "--timeout=60s"), f"{label}: delete")
            self.mgmt.http.request("DELETE", f"/api/v0/tokens/{ids['drift-me']}")
            reissued = wait_until(lambda: self.kube.json("get", "dbt", "drift-me", "-n", ns)
                                  ["status"].get("tokenId") not in (ids["drift-me"], None), 60)
            self.f.check(reissued, f"{label}: a token revoked outside is re-issued")
            # Permissions changed outside are patched back (a PATCH, which revokedPatch
            # concerns for revoked tokens); a deleted Secret gets a new token.
            self.mgmt.http.request("PATCH", f"/api/v0/tokens/{ids['a']}", {
                "permissions": [{"action": "read", "resource": "*"}]})
            self.f.check(wait_until(lambda: [t for t in self.mgmt.tokens() if t["id"] == ids["a"]]
                                    [0]["permissions"] == [{"action": "write",
                                                            "resource": "sensors"}], 60),
                         f"{label}: changed permissions are patched back")
            self.ok(self.kube.run("delete", "secret", "b", "-n", ns), f"{label}: delete a Secret")
            self.f.check(wait_until(lambda: (self.kube.json("get", "dbt", "b", "-n", ns)["status"]
                                             .get("tokenId") != ids["b"]) and
                                    self.kube.json("get", "secret", "b", "-n", ns), 60),
                         f"{label}: a deleted Secret is re-issued")
            # Revoking a resource again (a second DELETE) and deleting a revoked one.
            self.ok(self.kube.run("delete", "dbt", "revoke-me", "-n", ns, "--timeout=60s"),
                    f"{label}: delete a revoked resource")
            tokens = {t["id"]: t for t in self.mgmt.tokens()}
            self.f.check(tokens[ids["revoke-me"]]["revokedAt"] and
                         tokens[ids["delete-me"]]["revokedAt"] and tokens[ids["b"]]["revokedAt"]
                         and
                         not tokens[ids["retain-me"]]["revokedAt"],
                         f"{label}: revoked, deleted and retained tokens are as they should be")
            self.f.check(wait_until(lambda: not self.stray_live(), 30),
                         f"{label}: no stray live token")
            self.invariants(label)
            self.mgmt.http.request("PUT", "/_double/behaviour", {
                "revokedInList": "shown", "revokedGet": "200", "secondDelete": "204",
                "revokedPatch": "409", "duplicateDescriptions": "allowed",
                "activationDelayMs": 0})

    def stray_live(self):
        """Live tokens with our marker that no resource's status names."""
        resources = self.kube.json("get", "dbt", "-A")["items"]
        named = {r.get("status", {}).get("tokenId") for r in resources}
        return [t for ts in self.ours(self.mgmt.tokens()).values() for t in ts
                if not t["revokedAt"] and t["id"] not in named]

    def crash(self, op):
        ns = "crash"
        self.ok(self.kube.run("create", "namespace", ns), "create namespace")
        names = [f"t{i:02d}" for i in range(50)]
        self.mgmt.clear_calls()
        # Slow the API down so the kill lands mid-flight.
        self.mgmt.faults([{"method": "POST", "path": "/api/v0/tokens$", "times": 50,
                           "kind": "delay", "latencyMs": 60}])
        self.apply(json.dumps({"apiVersion": "v1", "kind": "List",
                               "items": [json.loads(dbt_manifest(n, ns)) for n in names]}),
                   "apply 50 DatabaseTokens")
        wait_until(lambda: sum(1 for c in self.mgmt.calls() if c["method"] == "POST") >= 10, 60)
        op.kill()
        issued_before = sum(1 for c in self.mgmt.calls() if c["method"] == "POST")
        self.f.check(issued_before < 50, f"the kill landed mid-flight ({issued_before} POSTs)")
        op.start()
        restarted = time.time()
        self.wait_ready(ns, names, timeout=180)
        print(f"crash: all 50 Ready {time.time() - restarted:.1f} s after the restart", flush=True)
        self.mgmt.clear_faults()
        self.f.check(wait_until(lambda: not self.stray_live(), 30),
                     "tokens orphaned by the kill are revoked")
        self.invariants("crash")
        uids = {o["metadata"]["uid"]: o["status"].get("tokenId")
                for o in self.kube.json("get", "dbt", "-n", ns)["items"]}
        orphans = [t["id"] for uid, ts in self.ours(self.mgmt.tokens()).items() if uid in uids
                   for t in ts if t["id"] != uids[uid]]
        deletes = {c["path"].rsplit("/", 1)[-1] for c in self.mgmt.calls()
                   if c["method"] == "DELETE" and c["status"] in (204, 404)}
        self.f.check(all(o in deletes for o in orphans),
                     f"the call log shows every orphan revoked ({len(orphans)} orphans)")
        print(f"crash: {len(orphans)} orphan(s) of the kill, each revoked", flush=True)
        posts = sum(1 for c in self.mgmt.calls() if c["method"] == "POST" and c["status"] < 300)
        print(f"crash: {issued_before} POSTs before SIGKILL, {posts} tokens created in all for "
              f"50 resources", flush=True)

    def drift(self):
        ns = "drift"
        self.ok(self.kube.run("create", "namespace", ns), "create namespace")
        self.apply(dbt_manifest("drifter", ns), "apply drifter")
        if not self.wait_ready(ns, ["drifter"]):
            return
        old = self.kube.json("get", "dbt", "drifter", "-n", ns)["status"]["tokenId"]
        # Revoked outside Kubernetes; the next inventory (the resync period is short here)
        # notices and the operator issues a new token into the Secret.
        status, _ = self.mgmt.http.request("DELETE", f"/api/v0/tokens/{old}")
        self.f.check(status == 204, f"revoke behind the operator's back: {status}")
        new = wait_until(lambda: (self.kube.json("get", "dbt", "drifter", "-n", ns)["status"]
                                  .get("tokenId") not in (old, None)) and
                         self.kube.json("get", "dbt", "drifter", "-n", ns)["status"]["tokenId"], 60)
        self.f.check(bool(new), "a token revoked outside Kubernetes is re-issued")
        self.f.check(self.described(ns, "drifter", "TokenReissued")[0],
                     "a TokenReissued event says so")
        # Permissions changed behind the operator's back are patched back.
        current = self.kube.json("get", "dbt", "drifter", "-n", ns)["status"]["tokenId"]
        status, _ = self.mgmt.http.request("PATCH", f"/api/v0/tokens/{current}", {
            "permissions": [{"action": "read", "resource": "*"}]})
        self.f.check(status == 200, f"change permissions behind the operator's back: {status}")

        def restored():
            t = [t for t in self.mgmt.tokens() if t["id"] == current][0]
            return t["permissions"] == [{"action": "write", "resource": "sensors"}]
        self.f.check(wait_until(restored, 60), "changed permissions are patched back")
        self.f.check(self.described(ns, "drifter", "PermissionsUpdated")[0],
                     "a PermissionsUpdated event says so")
        # A deleted Secret can't be restored (the string is write-once): re-issue, revoke old.
        before = self.kube.json("get", "dbt", "drifter", "-n", ns)["status"]["tokenId"]
        self.ok(self.kube.run("delete", "secret", "drifter", "-n", ns), "delete the Secret")
        after = wait_until(lambda: (self.kube.json("get", "dbt", "drifter", "-n", ns)["status"]
                                    .get("tokenId") != before) and
                           self.kube.run("get", "secret", "drifter", "-n", ns).returncode == 0, 60)
        self.f.check(bool(after), "a deleted Secret is re-created with a new token")
        gone = [t for t in self.mgmt.tokens() if t["id"] == before]
        self.f.check(gone and gone[0]["revokedAt"], "the token whose Secret was lost is revoked")
        self.invariants("drift")

    def steady(self):
        time.sleep(2)  # let the last status writes land
        self.kube.control("DELETE", "counts")
        self.mgmt.clear_calls()
        time.sleep(4)
        _, counts = self.kube.control("GET", "counts")
        calls = self.mgmt.calls()
        writes = counts.get("writes", -1) if isinstance(counts, dict) else -1
        self.f.check(writes == 0, f"steady state: no Kubernetes writes ({counts})")
        # The only calls: the inventory, one GET /tokens per resync period (3 s here).
        others = [c for c in calls if (c["method"], c["path"]) != ("GET", "/api/v0/tokens")]
        self.f.check(not others and len(calls) <= 2,
                     f"steady state: only the inventory calls the Management API ({calls})")

    def leader(self):
        ns = "leader"
        self.ok(self.kube.run("create", "namespace", ns), "create namespace")
        le = ["--leader-elect", "--leader-election-namespace", ns,
              "--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s",
              "--leader-election-retry-period", "500ms"]
        a = self.operator("replica-a", le)
        b = self.operator("replica-b", le)

        def holder():
            lease = self.kube.json("get", "lease", "-n", ns, "influxdb-token-operator")
            return lease and lease["spec"].get("holderIdentity")
        first = wait_until(holder, 30)
        self.f.check(first and first.startswith("replica-"), f"one replica leads: {first}")
        if not first:
            return
        leader, follower = (a, b) if first.startswith("replica-a") else (b, a)
        self.apply(dbt_manifest("led", ns), "apply led")
        self.wait_ready(ns, ["led"])
        self.f.check(follower.get("/readyz")[0] == 200, "the follower is ready (it only waits)")
        leader.kill()
        second = wait_until(lambda: (holder() or "").startswith(
            "replica-b" if leader is a else "replica-a") and holder(), 30)
        self.f.check(bool(second), f"the other replica takes the lease after SIGKILL: {holder()}")
        self.apply(dbt_manifest("after-failover", ns), "apply after-failover")
        self.wait_ready(ns, ["after-failover"])
        self.f.check(follower.terminate() == 0, "SIGTERM stops a leader with status 0")

    def metrics(self, op):
        status, text = op.get("/metrics")
        self.f.check(status == 200 and re.search(r'^dbtoken_resources\{phase="Active"\} \d+', text,
                                                 re.M) and
                     "controller_runtime_reconcile_total" in text and
                     "dbtoken_management_api_requests_total" in text and
                     "dbtoken_status_condition" in text,
                     "/metrics shows resources, reconciles, API requests and conditions")
        self.f.check(op.get("/readyz")[0] == 200 and op.get("/healthz")[0] == 200,
                     "/readyz and /healthz answer 200")

    def condition(self, ns, name, kind="Ready"):
        o = self.kube.json("get", "dbt", name, "-n", ns) or {}
        conds = {c["type"]: c for c in o.get("status", {}).get("conditions", [])}
        return conds.get(kind, {})

    def issued_for(self, name):
        """Every token ever made for the e2e resource `name` (its description), revoked or not."""
        return [t for t in self.mgmt.tokens() if t["description"].startswith(f"e2e {name} [")]

    def live(self, token_id):
        return any(t["id"] == token_id and not t["revokedAt"] for t in self.mgmt.tokens())

    def edges(self):
        """The edges of issue 8, each with the real binary: two installs side by side, a
        hand-made Secret, a 409 for a revoked token, a moved Secret, an error echoing the
        management token, an expiry in the past, and the probes before the API answers."""
        slow = ["--resync-period", "10m"]  # nothing below may be rescued by a resync
        for ns in ("teama", "teamb"):
            self.ok(self.kube.run("create", "namespace", ns), f"create namespace {ns}")
        blue = self.operator("blue", slow + ["--instance", "blue"])

        # Two installs: blue over every namespace, teamb over its own namespace.
        self.apply(dbt_manifest("a1", "teama"), "apply teama/a1")
        if not self.wait_ready("teama", ["a1"]):
            return
        a1 = self.kube.json("get", "dbt", "a1", "-n", "teama")
        a1_id = a1["status"]["tokenId"]
        a1_token, _ = self.secret_token("teama", "a1")
        self.f.check(a1["metadata"].get("annotations", {}).get(INSTANCE) == "blue",
                     "the cluster-wide install took teama/a1 on (instance annotation)")
        teamb = self.operator("teamb", slow + ["--instance", "teamb", "--namespace", "teamb"])
        self.f.check(wait_until(lambda: "token inventory loaded" in teamb.log_text(), 30),
                     "the namespaced install listed the tokens and swept")
        self.f.check(self.live(a1_id) and self.mgmt.write(a1_token, "sensors") == 204,
                     "a namespaced install never revokes another namespace's live token")
        self.f.check("revoked an orphaned token" not in teamb.log_text(),
                     "the namespaced install revoked nothing")
        b1 = json.loads(dbt_manifest("b1", "teamb"))
        b1["metadata"]["annotations"] = {INSTANCE: "teamb"}
        self.apply(json.dumps(b1), "apply teamb/b1 for install teamb")
        self.apply(dbt_manifest("b2", "teamb"), "apply teamb/b2 for whichever install")
        if self.wait_ready("teamb", ["b1", "b2"]):
            for name in ("b1", "b2"):
                made = self.issued_for(name)
                self.f.check(len(made) == 1, f"two installs over teamb made {len(made)} token(s) "
                                             f"for {name} (one expected)")
            b1_token = self.issued_for("b1")[0]
            self.f.check("instance=teamb namespace=teamb" in b1_token["description"],
                         f"b1's marker names install and namespace: {b1_token['description']}")
            b2 = self.kube.json("get", "dbt", "b2", "-n", "teamb")
            self.f.check(b2["metadata"].get("annotations", {}).get(INSTANCE) in ("blue", "teamb"),
                         "b2 was taken on by one install")
        self.f.check(teamb.terminate() == 0, "the namespaced install stops with status 0")

        # A hand-made Secret holds the name: no token at all while it is there, SecretConflict,
        # and the token issued promptly once it goes (the resync here is 10 minutes).
        self.ok(self.kube.run("create", "secret", "generic", "handmade", "-n", "teama",
                              "--from-literal=token=x"), "kubectl create secret handmade")
        self.apply(dbt_manifest("hm", "teama", secretName="handmade"), "apply teama/hm")
        r = self.kube.run("wait", "-n", "teama", "dbt/hm", "--timeout=30s",
                          "--for=jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}"
                          "=SecretConflict", timeout=60)
        self.ok(r, "a hand-made Secret makes Ready=False SecretConflict")
        self.f.check("Delete it or choose another spec.secretName" in
                     self.condition("teama", "hm").get("message", ""),
                     "the SecretConflict message says what to do")
        self.f.check(not self.issued_for("hm"), "no token is created while the name is taken")
        started = time.time()
        self.ok(self.kube.run("delete", "secret", "handmade", "-n", "teama"),
                "delete the hand-made Secret")
        if self.wait_ready("teama", ["hm"], timeout=30):
            took = time.time() - started
            print(f"edges: issued {took:.2f} s after the hand-made Secret was deleted", flush=True)
            self.f.check(took < 10, f"issued promptly once the Secret is gone ({took:.1f} s)")
        self.f.check(len(self.issued_for("hm")) == 1,
                     f"one token in all for hm ({len(self.issued_for('hm'))})")

        # A token revoked outside, then a spec change: the PATCH is answered 409, and a new
        # token is issued at once instead of retrying.
        self.apply(dbt_manifest("patched", "teama"), "apply teama/patched")
        if self.wait_ready("teama", ["patched"]):
            old = self.kube.json("get", "dbt", "patched", "-n", "teama")["status"]["tokenId"]
            status, _ = self.mgmt.http.request("DELETE", f"/api/v0/tokens/{old}")
            self.f.check(status == 204, f"revoke patched's token outside: {status}")
            self.ok(self.kube.run("patch", "dbt", "patched", "-n", "teama", "--type", "merge", "-p",
                                  '{"spec":{"permissions":[{"action":"read","database":"sensors"}]}}'),
                    "kubectl patch permissions")
            started = time.time()

            def reissued():
                o = self.kube.json("get", "dbt", "patched", "-n", "teama")
                st = o.get("status", {})
                return st.get("tokenId") not in (None, old) and \
                    st.get("observedGeneration") == o["metadata"]["generation"]
            self.f.check(wait_until(reissued, 20),
                         "a PATCH refused for a revoked token issues a new token")
            patches = [c for c in self.mgmt.calls()
                       if c["method"] == "PATCH" and c["path"].endswith(old)]
            self.f.check(len(patches) <= 1, f"the revoked token was PATCHed {len(patches)} times")
            print(f"edges: re-issued {time.time() - started:.2f} s after the spec change",
                  flush=True)

        # spec.secretName changed: the same token moves; the old Secret goes.
        self.apply(dbt_manifest("mover", "teama"), "apply teama/mover")
        if self.wait_ready("teama", ["mover"]):
            before = self.kube.json("get", "dbt", "mover", "-n", "teama")["status"]["tokenId"]
            string, _ = self.secret_token("teama", "mover")
            self.ok(self.kube.run("patch", "dbt", "mover", "-n", "teama", "--type", "merge", "-p",
                                  '{"spec":{"secretName":"moved"}}'), "kubectl patch secretName")
            moved = wait_until(lambda: self.kube.json("get", "secret", "moved", "-n", "teama") and
                               not self.kube.json("get", "secret", "mover", "-n", "teama"), 20)
            self.f.check(bool(moved), "the token's Secret is moved to the new name")
            now, _ = self.secret_token("teama", "moved")
            after = self.kube.json("get", "dbt", "mover", "-n", "teama")["status"]
            self.f.check(now == string and after["tokenId"] == before and
                         after.get("secretName") == "moved" and self.live(before),
                         "the same token, still live, is in the new Secret; status says so")
            self.f.check(len(self.issued_for("mover")) == 1, "no token was issued for the move")
            self.f.check(self.described("teama", "mover", "SecretMoved")[0],
                         "a SecretMoved event says so")

        # The Management API answers an error that echoes the request, management token
        # included: the Event and conditions carry it redacted (no_secrets_printed checks all).
        self.mgmt.faults([{"method": "POST", "path": "/api/v0/tokens$", "times": 1,
                           "kind": "echo", "status": 500}])
        self.apply(dbt_manifest("echoed", "teama"), "apply teama/echoed")
        self.wait_ready("teama", ["echoed"])
        self.f.check(self.described("teama", "echoed", r"Bearer \[REDACTED\]")[0],
                     "the echoed error reaches the Event with the management token redacted")

        # An expiry in the past: InvalidSpec, nothing sent.
        self.apply(dbt_manifest("past", "teama", expiresAt="2001-01-01T00:00:00Z"),
                   "apply teama/past")
        r = self.kube.run("wait", "-n", "teama", "dbt/past", "--timeout=30s",
                          "--for=jsonpath={.status.conditions[?(@.type==\"Ready\")].reason}"
                          "=InvalidSpec", timeout=60)
        self.ok(r, "an expiresAt in the past is Ready=False InvalidSpec")
        self.f.check(not self.issued_for("past"), "no token is issued with a past expiry")
        self.invariants("edges")
        self.f.check(blue.terminate() == 0, "the cluster-wide install stops with status 0")

        # Probes before the Kubernetes API answers: /healthz at once, /readyz not.
        kubeconfig = os.path.join(self.workdir, "unreachable.kubeconfig")
        with open(self.kube.env["KUBECONFIG"]) as f:
            text = f.read()
        with open(kubeconfig, "w") as f:
            f.write(re.sub(r"server: *https://127\.0\.0\.1:\d+",
                           f"server: https://127.0.0.1:{free_port()}", text))
        waiting = self.operator("waiting", ["--kubeconfig", kubeconfig])
        self.f.check(bool(wait_until(lambda: waiting.get("/healthz")[0] == 200, 10)),
                     "/healthz answers 200 while the Kubernetes API is unreachable")
        self.f.check(waiting.get("/readyz")[0] == 503, "/readyz answers 503 until caches sync")
        self.f.check(waiting.proc.poll() is None, "the operator keeps waiting for the API")
        self.f.check(waiting.terminate() == 0, "SIGTERM stops a waiting operator with status 0")

    def log_style(self):
        """Every JSON log line: keys in camelCase."""
        bad = set()
        for op in self.operators:
            for line in op.log_text().splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                bad |= {k for k in entry if not LOG_KEY.match(k)}
        self.f.check(not bad, f"log keys not in camelCase: {sorted(bad)}")

    def no_secrets_printed(self, printed):
        texts = {"operator logs": "".join(op.log_text() for op in self.operators),
                 "events": self.kube.run("get", "events", "-A", "-o", "json").stdout,
                 "events.k8s.io": self.kube.run("get", "events.events.k8s.io", "-A", "-o",
                                                "json").stdout,
                 "DatabaseTokens": self.kube.run("get", "dbt", "-A", "-o", "json").stdout,
                 "this test's output": printed}
        secrets = set(self.secrets_seen) | {self.management_token,
                                            getattr(self, "management_token_old", "")} - {""}
        self.f.check(len(self.secrets_seen) >= 5, f"tokens collected: {len(self.secrets_seen)}")
        for where, text in texts.items():
            leaked = sum(1 for s in secrets if s in text)
            self.f.check(leaked == 0, f"{leaked} secret(s) appear in the {where}")

    def run(self):
        r = self.kube.run("apply", "-f", self.args.crd)
        self.ok(r, "apply crds/")
        self.ok(self.kube.run("wait", "--for=condition=Established",
                              "crd/databasetokens.tokens.influxdb.dev", "--timeout=30s"),
                "the CRD is Established")
        kube_system = self.kube.json("get", "namespace", "kube-system")
        self.cluster_id = kube_system["metadata"]["uid"]
        only = set(self.args.only.split(",")) if self.args.only else None
        # The edges start their own operators (installs side by side); the rest share this one.
        op = None if only == {"edges"} else self.operator(extra=["--resync-period", "3s"])
        steps = [("lifecycle", self.lifecycle), ("delete", self.delete),
                 ("retain", self.retain), ("faults", self.faults),
                 ("crash", lambda: self.crash(op)), ("drift", self.drift),
                 ("switches", self.switches), ("edges", self.edges),
                 ("metrics", lambda: self.metrics(op)), ("steady", self.steady)]
        for name, step in steps:
            if only and name not in only:
                continue
            t = time.time()
            print(f"== {name}", flush=True)
            step()
            self.invariants(name)
            print(f"   {name}: {time.time() - t:.1f} s", flush=True)
        if not only or "leader" in only:
            self.f.check(op.terminate() == 0, "SIGTERM stops the operator with status 0")
            t = time.time()
            print("== leader", flush=True)
            self.leader()
            print(f"   leader: {time.time() - t:.1f} s", flush=True)

    def stop(self):
        for op in self.operators:
            op.kill()
        self.kube_server.stop()
        self.mgmt_server.stop()


class Tee:
    """Everything printed, kept to check that no secret was among it."""

    def __init__(self, stream):
        self.stream = stream
        self.text = []

    def write(self, s):
        self.text.append(s)
        return self.stream.write(s)

    def flush(self):
        self.stream.flush()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--operator", required=True)
    p.add_argument("--kube-double", required=True)
    p.add_argument("--management-double", required=True)
    p.add_argument("--crd", required=True)
    p.add_argument("--samples", required=True)
    p.add_argument("--kubectl", default=shutil.which("kubectl"))
    p.add_argument("--only")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args()
    if not args.kubectl:
        print("kubectl not found", file=sys.stderr)
        return 1
    tee = Tee(sys.stdout)
    sys.stdout = tee
    workdir = tempfile.mkdtemp(prefix="operator-e2e-")
    suite = None
    started = time.time()
    try:
        suite = Suite(args, workdir)
        suite.run()
        suite.log_style()
        suite.no_secrets_printed("".join(tee.text))
    finally:
        if suite:
            suite.stop()
        if args.keep or (suite and suite.f.items):
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"operator e2e: {len(suite.f.items)} failure(s) in {time.time() - started:.1f} s")
    return 1 if suite.f.items else 0


if __name__ == "__main__":
    sys.exit(main())
