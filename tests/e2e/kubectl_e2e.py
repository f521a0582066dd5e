#!/usr/bin/env python3
"""End to end: the machine's real kubectl drives the Kubernetes API double.

Three parts, each against a kube-apiserver-double started here on 127.0.0.1 (HTTPS, its own CA
and kubeconfig) and stopped at the end:

1. Scenarios: apply a CRD and a resource (twice: idempotent), get, get -o yaml, get -w,
   describe, label, annotate, patch (merge and json), wait --for=condition, delete --wait,
   get --raw on discovery; a finalizer blocks deletion until removed; deleting an owner
   removes its owned Secret; a stale update is refused with a conflict; an invalid object is
   refused naming the field.
2. The README's install: the commands of its kustomize install block, read from README.md at
   test time and run as written (from a copy of crds/ and manifests/, with a management-token
   file) against a fresh double; each must exit 0, every object of the kustomization must
   exist afterwards, and applying again must change nothing. The Helm block likewise, with
   the real helm (scripts/install-helm.sh) on PATH.
3. Transcripts: every 90-kubectl-*.json recording (kubectl v1.32.4 against a real
   kube-apiserver, run with -v=8 and a fresh discovery cache) is run again against the double;
   the requests kubectl makes (method, path, Accept, Content-Type, status), its stdout and
   stderr and its exit code must match after the recordings' normalisation.

3. The project's own CRD (crds/databasetoken.yaml, applied last over the recorded one): a
   permission listed twice is refused naming the element; a revoked token's permissions can't
   be patched (the CEL transition rule's message); kubectl explain tells both.

Usage: kubectl_e2e.py --double PATH [--fixtures DIR] [--kubectl PATH]
Exit status 0 when everything matched; failures are listed one per line.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "deploy"))
import readme_install  # noqa: E402  (the README's install blocks, shared with check_deploy.sh)


class Failures:
    def __init__(self):
        self.items = []

    def check(self, ok, what):
        if not ok:
            self.items.append(what)
            print(f"FAIL {what}", flush=True)
        return ok


class Double:
    """A kube-apiserver-double process with its own data directory."""

    def __init__(self, binary, workdir):
        self.dir = os.path.join(workdir, "double")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", self.dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("kube-apiserver-double did not start: " + self.proc.stderr.read())
        ready = json.loads(line)
        self.url = ready["url"]
        self.kubeconfig = ready["kubeconfig"]
        with open(os.path.join(self.dir, "token")) as f:
            self.token = f.read().strip()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Kubectl:
    def __init__(self, binary, double, workdir):
        self.binary = binary
        self.double = double
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home, exist_ok=True)
        self.env = dict(os.environ, KUBECONFIG=double.kubeconfig, HOME=self.home)
        self.cache = 0

    def fresh_cache(self):
        self.cache += 1
        return os.path.join(self.home, f"cache-{self.cache}")

    def run(self, *args, stdin=None, timeout=60, cache=None):
        cmd = [self.binary, "--cache-dir", cache or self.fresh_cache()] + list(args)
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=self.env,
                              timeout=timeout)


def scenarios(k, f, fixtures):
    crd = os.path.join(fixtures, "databasetoken-crd.yaml")
    ns = "e2e"
    r = k.run("create", "namespace", ns)
    f.check(r.returncode == 0, f"create namespace: {r.stderr.strip()}")
    r = k.run("apply", "-f", crd)
    f.check(r.returncode == 0 and "created" in r.stdout, f"apply CRD: {r.stdout}{r.stderr}")
    r = k.run("wait", "--for=condition=Established", "crd/databasetokens.tokens.influxdb.dev",
              "--timeout=10s")
    f.check(r.returncode == 0, f"wait for the CRD to be Established: {r.stderr.strip()}")
    manifest = """apiVersion: tokens.influxdb.dev/v1alpha1
kind: DatabaseToken
metadata:
  name: writer
  namespace: e2e
spec:
  description: telegraf writer
  permissions:
  - action: write
    database: sensors
"""
    # The resource may answer 429 for a moment while its storage initialises: kubectl retries.
    r = k.run("apply", "-f", "-", stdin=manifest)
    f.check(r.returncode == 0 and "created" in r.stdout, f"first apply: {r.stdout}{r.stderr}")
    r = k.run("apply", "-f", "-", stdin=manifest)
    f.check(r.returncode == 0 and "unchanged" in r.stdout,
            f"second apply is idempotent: {r.stdout}{r.stderr}")
    r = k.run("get", "dbt", "-n", ns)
    f.check(r.returncode == 0 and re.search(r"^NAME\s+PHASE\s+TOKEN ID\s+AGE$", r.stdout, re.M)
            and re.search(r"^writer\s+", r.stdout, re.M), f"get dbt: {r.stdout}{r.stderr}")
    r = k.run("get", "dbt", "writer", "-n", ns, "-o", "yaml")
    f.check(r.returncode == 0 and "description: telegraf writer" in r.stdout
            and "deletionPolicy: Revoke" in r.stdout, f"get -o yaml (defaults): {r.stdout}")
    r = k.run("get", "databasetokens.tokens.influxdb.dev", "-n", ns, "-o", "name")
    f.check(r.stdout.strip() == "databasetoken.tokens.influxdb.dev/writer",
            f"get -o name: {r.stdout}{r.stderr}")
    r = k.run("get", "influxdb", "-n", ns, "-o", "name")
    f.check("databasetoken.tokens.influxdb.dev/writer" in r.stdout,
            f"get by category: {r.stdout}{r.stderr}")

    # get -w sees a change made while it watches.
    watcher = subprocess.Popen(
        [k.binary, "--cache-dir", k.fresh_cache(), "get", "dbt", "writer", "-n", ns, "-w",
         "--output-watch-events", "-o", "jsonpath={.type} {.object.spec.description}{\"\\n\"}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=k.env)
    time.sleep(1.5)
    r = k.run("patch", "dbt", "writer", "-n", ns, "--type", "merge",
              "-p", '{"spec":{"description":"merge patched"}}')
    f.check(r.returncode == 0 and "patched" in r.stdout, f"patch --type merge: {r.stderr}")
    deadline = time.time() + 10
    seen = ""
    while time.time() < deadline and "merge patched" not in seen:
        time.sleep(0.2)
        if watcher.poll() is not None:
            break
    watcher.terminate()
    out, _ = watcher.communicate(timeout=10)
    seen = out
    f.check("ADDED telegraf writer" in seen and "MODIFIED merge patched" in seen,
            f"get -w sees the change: {seen!r}")

    r = k.run("patch", "dbt", "writer", "-n", ns, "--type", "json",
              "-p", '[{"op":"replace","path":"/spec/description","value":"json patched"}]')
    f.check(r.returncode == 0, f"patch --type json: {r.stderr}")
    r = k.run("label", "dbt", "writer", "-n", ns, "team=metrics")
    f.check(r.returncode == 0 and "labeled" in r.stdout, f"label: {r.stderr}")
    r = k.run("annotate", "dbt", "writer", "-n", ns, "owner=platform")
    f.check(r.returncode == 0 and "annotated" in r.stdout, f"annotate: {r.stderr}")
    r = k.run("get", "dbt", "-n", ns, "-l", "team=metrics", "-o", "name")
    f.check("writer" in r.stdout, f"label selector: {r.stdout}{r.stderr}")
    r = k.run("describe", "dbt", "writer", "-n", ns)
    f.check(r.returncode == 0 and "json patched" in r.stdout and "team=metrics" in r.stdout,
            f"describe: {r.stdout}{r.stderr}")

    # wait --for=condition: the condition arrives while kubectl waits.
    waiter = subprocess.Popen(
        [k.binary, "--cache-dir", k.fresh_cache(), "wait", "--for=condition=Ready",
         "dbt/writer", "-n", ns, "--timeout=20s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=k.env)
    time.sleep(1.0)
    status = {"status": {"phase": "Active", "conditions": [{
        "type": "Ready", "status": "True", "reason": "Created", "message": "The token exists.",
        "lastTransitionTime": "2030-01-01T00:00:00Z"}]}}
    r = k.run("patch", "dbt", "writer", "-n", ns, "--subresource=status", "--type", "merge",
              "-p", json.dumps(status))
    f.check(r.returncode == 0, f"status patch: {r.stderr}")
    out, err = waiter.communicate(timeout=30)
    f.check(waiter.returncode == 0 and "condition met" in out, f"wait Ready: {out}{err}")

    # A stale update is refused.
    r = k.run("get", "dbt", "writer", "-n", ns, "-o", "json")
    stale = json.loads(r.stdout)
    k.run("annotate", "dbt", "writer", "-n", ns, "moved=on")
    stale["spec"]["description"] = "stale write"
    r = k.run("replace", "-f", "-", stdin=json.dumps(stale))
    f.check(r.returncode != 0 and "the object has been modified" in r.stderr,
            f"stale update is a conflict: {r.stdout}{r.stderr}")

    # An invalid object is refused with the field named.
    bad = manifest.replace("name: writer", "name: bad").replace("action: write", "action: admin")
    r = k.run("apply", "-f", "-", stdin=bad)
    f.check(r.returncode != 0 and "spec.permissions[0].action" in r.stderr
            and 'Unsupported value: "admin"' in r.stderr, f"invalid object: {r.stderr}")

    # An owner's Secret goes with it (owner reference garbage collection).
    r = k.run("get", "dbt", "writer", "-n", ns, "-o", "jsonpath={.metadata.uid}")
    uid = r.stdout.strip()
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "writer-token", "namespace": ns, "ownerReferences": [{
                  "apiVersion": "tokens.influxdb.dev/v1alpha1", "kind": "DatabaseToken",
                  "name": "writer", "uid": uid, "controller": True,
                  "blockOwnerDeletion": True}]},
              "stringData": {"token": "not-a-real-token"}}
    r = k.run("apply", "-f", "-", stdin=json.dumps(secret))
    f.check(r.returncode == 0, f"apply owned Secret: {r.stderr}")

    # A finalizer blocks deletion until it is removed.
    r = k.run("patch", "dbt", "writer", "-n", ns, "--type", "merge",
              "-p", '{"metadata":{"finalizers":["tokens.influxdb.dev/revoke"]}}')
    f.check(r.returncode == 0, f"add finalizer: {r.stderr}")
    r = k.run("delete", "dbt", "writer", "-n", ns, "--wait=false")
    f.check(r.returncode == 0 and "deleted" in r.stdout, f"delete --wait=false: {r.stderr}")
    r = k.run("get", "dbt", "writer", "-n", ns, "-o", "jsonpath={.metadata.deletionTimestamp}")
    f.check(r.returncode == 0 and r.stdout.strip() != "", "object stays while a finalizer holds it")
    r = k.run("get", "secret", "writer-token", "-n", ns)
    f.check(r.returncode == 0, "the owned Secret stays while its owner terminates")
    deleter = subprocess.Popen(
        [k.binary, "--cache-dir", k.fresh_cache(), "delete", "dbt", "writer", "-n", ns,
         "--wait=true", "--timeout=20s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=k.env)
    time.sleep(1.0)
    r = k.run("patch", "dbt", "writer", "-n", ns, "--type", "json",
              "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    f.check(r.returncode == 0, f"remove finalizer: {r.stderr}")
    out, err = deleter.communicate(timeout=30)
    f.check(deleter.returncode == 0, f"delete --wait completes once the finalizer is gone: {err}")
    r = k.run("get", "dbt", "writer", "-n", ns)
    f.check(r.returncode != 0 and "NotFound" in r.stderr, f"gone: {r.stderr}")
    deadline = time.time() + 10
    while time.time() < deadline:
        r = k.run("get", "secret", "writer-token", "-n", ns)
        if r.returncode != 0:
            break
        time.sleep(0.2)
    f.check(r.returncode != 0 and "NotFound" in r.stderr,
            f"the owned Secret is garbage collected: {r.stdout}{r.stderr}")

    # Discovery through --raw.
    r = k.run("get", "--raw", "/apis")
    groups = [g["name"] for g in json.loads(r.stdout)["groups"]] if r.returncode == 0 else []
    f.check("tokens.influxdb.dev" in groups and "coordination.k8s.io" in groups,
            f"get --raw /apis: {groups}")
    r = k.run("get", "--raw", "/apis/tokens.influxdb.dev/v1alpha1")
    f.check(r.returncode == 0 and '"databasetokens"' in r.stdout, f"get --raw group: {r.stdout}")
    r = k.run("api-resources", "--api-group=tokens.influxdb.dev")
    f.check(r.returncode == 0 and "dbt,dbtoken" in r.stdout, f"api-resources: {r.stdout}")


def project_crd(k, f, crd):
    ns = "e2e-schema"
    r = k.run("apply", "-f", crd)
    f.check(r.returncode == 0, f"apply the project's CRD: {r.stdout}{r.stderr}")
    r = k.run("wait", "--for=condition=Established", "crd/databasetokens.tokens.influxdb.dev",
              "--timeout=10s")
    f.check(r.returncode == 0, f"the project's CRD is Established: {r.stderr.strip()}")
    k.run("create", "namespace", ns)

    def token(name, permissions, revoked=False):
        return json.dumps({"apiVersion": "tokens.influxdb.dev/v1alpha1", "kind": "DatabaseToken",
                           "metadata": {"name": name, "namespace": ns},
                           "spec": {"permissions": permissions, "revoked": revoked}})

    read = {"action": "read", "database": "sensors"}
    write = {"action": "write", "database": "sensors"}
    # The resource may answer 429 for a moment after the CRD changed: kubectl retries.
    r = k.run("apply", "-f", "-", stdin=token("dup", [read, write, read]))
    f.check(r.returncode != 0 and "spec.permissions[2]: Duplicate value" in r.stderr
            and '"action":"read", "database":"sensors"' in r.stderr,
            f"a permission listed twice is refused naming it: {r.stdout}{r.stderr}")

    r = k.run("apply", "-f", "-", stdin=token("gone", [read], revoked=True))
    f.check(r.returncode == 0 and "created" in r.stdout, f"apply a revoked token: {r.stderr}")
    rule = "permissions cannot change once the token is revoked"
    r = k.run("patch", "dbt", "gone", "-n", ns, "--type", "merge",
              "-p", json.dumps({"spec": {"permissions": [read, write]}}))
    f.check(r.returncode != 0 and rule in r.stderr and "spec: Invalid value" in r.stderr,
            f"merge patch of a revoked token's permissions: {r.stdout}{r.stderr}")
    r = k.run("patch", "dbt", "gone", "-n", ns, "--type", "json",
              "-p", '[{"op":"replace","path":"/spec/permissions/0/action","value":"write"}]')
    f.check(r.returncode != 0 and rule in r.stderr,
            f"json patch of a revoked token's permissions: {r.stdout}{r.stderr}")
    r = k.run("patch", "dbt", "gone", "-n", ns, "--type", "merge",
              "-p", '{"spec":{"description":"still revoked"}}')
    f.check(r.returncode == 0, f"other edits of a revoked token go through: {r.stderr}")

    r = k.run("explain", "databasetoken.spec.permissions")
    text = " ".join(r.stdout.split())
    f.check(r.returncode == 0 and "may appear only once" in text
            and "Once the token is revoked its permissions cannot change" in text,
            f"kubectl explain tells the rules: {r.stdout}{r.stderr}")


# ---- transcripts -------------------------------------------------------------------------

REQUEST = re.compile(r"\] (GET|POST|PUT|PATCH|DELETE) (https?://[^/]+)(\S*)$")
HEADER = re.compile(r"\]\s+(Accept|Content-Type): (.*)$")
STATUS = re.compile(r"\] Response Status: (\d+)")


def run_block(k, f, name, commands, cwd, tools=()):
    """Runs each README command with bash in cwd (kubectl, and helm if given, on PATH)."""
    path = [os.path.dirname(os.path.abspath(t)) for t in (k.binary,) + tuple(tools)]
    env = dict(k.env, PATH=os.pathsep.join(path + [k.env.get("PATH", "")]))
    ok = True
    outputs = []
    for command in commands:
        r = subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=120)
        ok = f.check(r.returncode == 0,
                     f"README {name} install: `{command}` exited {r.returncode}: "
                     f"{r.stdout}{r.stderr}") and ok
        outputs.append(r.stdout)
    return ok, outputs


def install_site(workdir):
    """Where a user runs the README's install: a copy of the repository's crds/, manifests/ and
    charts/, and the management-token file the README's Secret line reads."""
    site = os.path.join(workdir, "install")
    os.makedirs(site)
    for d in ("crds", "manifests", "charts"):
        shutil.copytree(os.path.join(REPO, d), os.path.join(site, d))
    with open(os.path.join(site, "management-token"), "w") as out:
        out.write("management-token-for-the-e2e\n")
    return site


def readme_kustomize_install(k, f, workdir):
    """The README's kustomize install lines, as written, against this (fresh) double."""
    site = install_site(workdir)
    commands = readme_install.commands("kustomize", os.path.join(REPO, "README.md"))
    f.check(any(c.startswith("kubectl apply -k manifests") for c in commands),
            f"README's kustomize block applies manifests/: {commands}")
    ok, _ = run_block(k, f, "kustomize", commands, site)
    ns = "influxdb-token-operator"
    r = k.run("get", "-k", os.path.join(site, "manifests"), "-o", "name")
    names = set(r.stdout.split())
    f.check(r.returncode == 0 and len(names) >= 10,
            f"every object of manifests/ exists after the README's install: {r.stdout}{r.stderr}")
    for want in ("customresourcedefinition.apiextensions.k8s.io/databasetokens.tokens.influxdb.dev",
                 "namespace/influxdb-token-operator", "deployment.apps/influxdb-token-operator",
                 "serviceaccount/influxdb-token-operator",
                 "clusterrole.rbac.authorization.k8s.io/influxdb-token-operator",
                 "clusterrolebinding.rbac.authorization.k8s.io/influxdb-token-operator",
                 "role.rbac.authorization.k8s.io/influxdb-token-operator-leader-election",
                 "rolebinding.rbac.authorization.k8s.io/influxdb-token-operator-leader-election",
                 "configmap/influxdb-token-operator", "service/influxdb-token-operator-metrics"):
        f.check(want in names, f"README's kustomize install created {want}: {sorted(names)}")
    r = k.run("-n", ns, "get", "secret", "influxdb-management-token", "-o",
              "jsonpath={.data.token}")
    f.check(r.returncode == 0 and r.stdout.strip(), f"the management token Secret: {r.stderr}")
    r = k.run("wait", "--for=condition=Established",
              "crd/databasetokens.tokens.influxdb.dev", "--timeout=10s")
    f.check(r.returncode == 0, f"the installed CRD is Established: {r.stderr}")
    r = k.run("-n", ns, "get", "deploy", "influxdb-token-operator", "-o",
              "jsonpath={.spec.template.spec.serviceAccountName} {.spec.replicas}")
    f.check(r.stdout.strip() == "influxdb-token-operator 2",
            f"the Deployment as applied: {r.stdout}{r.stderr}")
    # Applying again (an upgrade, a GitOps resync) succeeds and changes nothing.
    again = [c for c in commands if c.startswith("kubectl apply")]
    run_block(k, f, "kustomize (again)", again, site)
    r = k.run("apply", "-k", os.path.join(site, "manifests"))
    f.check(r.returncode == 0 and "configured" not in r.stdout and "created" not in r.stdout,
            f"a third apply -k changes nothing: {r.stdout}{r.stderr}")
    print(("ok   " if ok else "FAIL ") + "README kustomize install", flush=True)


def readme_helm_install(k, f, workdir, helm):
    """The README's Helm block, as written, with the real helm (3.17) against this double."""
    site = install_site(workdir)
    commands = readme_install.commands("helm", os.path.join(REPO, "README.md"))
    f.check(any(c.startswith("helm install ") for c in commands),
            f"README's helm block installs the chart: {commands}")
    ok, outputs = run_block(k, f, "helm", commands, site, tools=(helm,))
    full = "token-operator-influxdb-token-operator"
    lease = f"kubectl -n influxdb-token-operator get lease {full}"
    f.check(lease in open(os.path.join(REPO, "README.md")).read() and lease in "".join(outputs),
            f"the chart's NOTES and the README's troubleshooting name the same Lease: {outputs}")
    ns = "influxdb-token-operator"
    r = k.run("-n", ns, "get", "deploy,sa,svc,role,rolebinding,secret", "-o", "name")
    names = set(r.stdout.split())
    r = k.run("get", "crd,clusterrole,clusterrolebinding", "-o", "name")
    names |= set(r.stdout.split())
    for want in ("customresourcedefinition.apiextensions.k8s.io/databasetokens.tokens.influxdb.dev",
                 f"deployment.apps/{full}", f"serviceaccount/{full}", f"service/{full}-metrics",
                 f"clusterrole.rbac.authorization.k8s.io/{full}",
                 f"clusterrolebinding.rbac.authorization.k8s.io/{full}",
                 f"role.rbac.authorization.k8s.io/{full}-leader-election",
                 f"rolebinding.rbac.authorization.k8s.io/{full}-leader-election",
                 "secret/influxdb-management-token", "secret/sh.helm.release.v1.token-operator.v1"):
        f.check(want in names, f"README's helm install created {want}: {sorted(names)}")
    r = k.run("-n", ns, "get", "deploy", full, "-o",
              "jsonpath={.spec.template.spec.containers[0].args}")
    f.check(f"--leader-election-id={full}" in r.stdout and "--instance=token-operator" in r.stdout,
            f"the Lease the README names and the release's instance: {r.stdout}{r.stderr}")
    print(("ok   " if ok else "FAIL ") + "README helm install", flush=True)


def parse_log(stderr):
    """kubectl -v=8 log -> [{method, path, accept, contentType, status}]."""
    requests = []
    current = None
    in_request_headers = False
    for line in stderr.splitlines():
        m = REQUEST.search(line)
        if m and "round_trippers" in line:
            current = {"method": m.group(1), "path": m.group(3), "accept": None,
                       "contentType": None, "status": None}
            requests.append(current)
            in_request_headers = False
            continue
        if current is None:
            continue
        if "Request Headers:" in line:
            in_request_headers = True
            continue
        if "Response Headers:" in line or "Response Status" in line:
            in_request_headers = False
        m = HEADER.search(line)
        if m and in_request_headers:
            current["accept" if m.group(1) == "Accept" else "contentType"] = m.group(2)
            continue
        m = STATUS.search(line)
        if m:
            current["status"] = int(m.group(1))
    return requests


def log_text(stderr):
    """What kubectl printed for the user (not the -v=8 log lines)."""
    return "\n".join(line for line in stderr.splitlines()
                     if not re.match(r"^[IWE]\d{4} ", line)) + ("\n" if stderr.strip() else "")


class Matcher:
    """Placeholders of the recordings: <rv-N>, <uid-N> bind; <time>, <age>, <random> match."""

    WILD = {"<time>": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z", "<age>": r"[0-9]+[smhdy][0-9smhdy]*",
            "<random>": r"[0-9]+"}

    def __init__(self):
        self.bound = {}

    @staticmethod
    def sorted_field_selector(path):
        # kubectl builds some field selectors from a Go map: their term order varies per run.
        def sort_terms(m):
            terms = m.group(2).split("%2C")
            return m.group(1) + "%2C".join(sorted(terms))
        return re.sub(r"(fieldSelector=)([^&]*)", sort_terms, path)

    def matches(self, recorded, actual):
        if recorded is None or actual is None:
            return recorded == actual
        if "fieldSelector=" in recorded:
            recorded = self.sorted_field_selector(recorded)
            actual = self.sorted_field_selector(actual)
        pattern = ""
        groups = []
        for part in re.split(r"(<(?:rv|uid)-[0-9]+>|<time>|<age>|<random>|hash=[0-9A-F]{128})",
                             recorded):
            if part in self.WILD:
                pattern += "(?:" + self.WILD[part] + ")"
            elif part.startswith("hash="):
                pattern += "hash=[0-9A-F]{128}"  # the double hashes its own documents
            elif re.fullmatch(r"<(rv|uid)-[0-9]+>", part):
                if part in self.bound:
                    pattern += re.escape(self.bound[part])
                else:
                    groups.append(part)
                    pattern += "([0-9]+)" if part.startswith("<rv") else "([0-9a-f-]{36})"
            else:
                pattern += re.escape(part)
        m = re.fullmatch(pattern, actual, re.S)
        if not m:
            return False
        for i, name in enumerate(groups):
            self.bound[name] = m.group(i + 1)
        return True


def transcripts(k, f, fixtures_dir, e2e_fixtures):
    ns = "ref-90-kubectl"
    k.run("create", "namespace", ns)
    crd = os.path.join(e2e_fixtures, "databasetoken-crd.yaml")
    cr = os.path.join(e2e_fixtures, "cr.yaml")
    ready = {"status": {"phase": "Active", "conditions": [{
        "type": "Ready", "status": "True", "reason": "Created", "message": "The token exists.",
        "lastTransitionTime": "2030-01-01T00:00:00Z"}]}}

    def delete_crd():
        k.run("delete", "crd", "databasetokens.tokens.influxdb.dev", "--ignore-not-found")

    def wait_served():
        for _ in range(100):
            if k.run("get", "--raw", f"/apis/tokens.influxdb.dev/v1alpha1/namespaces/{ns}/databasetokens").returncode == 0:
                return
            time.sleep(0.05)

    # (recording, setup before it, kubectl arguments as recorded, cwd-relative files)
    plan = [
        ("90-kubectl-apply-crd.json", delete_crd, ["apply", "-f", crd]),
        ("90-kubectl-apply-cr-first.json", wait_served, ["apply", "-f", cr]),
        ("90-kubectl-apply-cr-second.json", None, ["apply", "-f", cr]),
        ("90-kubectl-get-dbt.json", None, ["get", "dbt", "-n", ns]),
        ("90-kubectl-get-dbt-warm-cache.json", None, ["get", "dbt", "-n", ns]),
        ("90-kubectl-get-dbt-x-yaml.json", None, ["get", "dbt", "x", "-n", ns, "-o", "yaml"]),
        ("90-kubectl-describe-dbt-x.json", None, ["describe", "dbt", "x", "-n", ns]),
        ("90-kubectl-explain.json", None, ["explain", "databasetoken.spec"]),
        ("90-kubectl-get-raw-apis.json", None, ["get", "--raw", "/apis"]),
        ("90-kubectl-patch-merge.json", None,
         ["patch", "dbt", "x", "-n", ns, "--type", "merge", "-p",
          '{"spec":{"description":"merge patched"}}']),
        ("90-kubectl-patch-json.json", None,
         ["patch", "dbt", "x", "-n", ns, "--type", "json", "-p",
          '[{"op":"replace","path":"/spec/description","value":"json patched"}]']),
        ("90-kubectl-label.json", None, ["label", "dbt", "x", "-n", ns, "a=b"]),
        ("90-kubectl-annotate.json", None, ["annotate", "dbt", "x", "-n", ns, "a=b"]),
        ("90-kubectl-wait-ready.json",
         lambda: k.run("patch", "dbt", "x", "-n", ns, "--subresource=status", "--type", "merge",
                       "-p", json.dumps(ready)),
         ["wait", "--for=condition=Ready", "dbt/x", "-n", ns, "--timeout=3s"]),
        ("90-kubectl-wait-timeout.json", None,
         ["wait", "--for=condition=Synced", "dbt/x", "-n", ns, "--timeout=3s"]),
        ("90-kubectl-delete-wait.json", None, ["delete", "dbt", "x", "-n", ns, "--wait"]),
        ("90-kubectl-apply-server-side.json", None, ["apply", "--server-side", "-f", cr]),
    ]
    warm_cache = None
    for name, setup, args in plan:
        with open(os.path.join(fixtures_dir, name)) as fh:
            rec = json.load(fh)
        if setup:
            setup()
        cache = warm_cache if "warm-cache" in name else k.fresh_cache()
        r = k.run("-v=8", *args, cache=cache, timeout=60)
        if name == "90-kubectl-get-dbt.json":
            warm_cache = cache
        m = Matcher()
        got = parse_log(r.stderr)
        want = rec["requests"]
        ok = f.check(r.returncode == rec["exitCode"],
                     f"{name}: exit {r.returncode}, recorded {rec['exitCode']}: {log_text(r.stderr)}")
        if len(got) != len(want):
            f.check(False, f"{name}: {len(got)} requests, recorded {len(want)}: " +
                    ", ".join(f"{g['method']} {g['path']} {g['status']}" for g in got))
            continue
        for i, (g, w) in enumerate(zip(got, want)):
            for field in ("method", "path", "status", "accept", "contentType"):
                if w.get(field) is None and field in ("accept", "contentType"):
                    continue
                recorded = w[field]
                actual = g[field]
                same = m.matches(str(recorded), str(actual)) if field == "path" else recorded == actual
                ok = f.check(same, f"{name} request {i}: {field} {actual!r}, recorded {recorded!r}") and ok
        stdout = rec.get("stdout", "")
        if "(truncated" in stdout:
            prefix = stdout[:stdout.index("...")]
            ok = f.check(r.stdout.startswith(prefix[:60]),
                         f"{name}: stdout starts {r.stdout[:80]!r}") and ok
        else:
            ok = f.check(m.matches(stdout, r.stdout),
                         f"{name}: stdout\n{r.stdout}\nrecorded\n{stdout}") and ok
        if rec.get("stderr"):
            ok = f.check(m.matches(rec["stderr"].strip(), log_text(r.stderr).strip()),
                         f"{name}: stderr {log_text(r.stderr)!r}, recorded {rec['stderr']!r}") and ok
        print(("ok   " if ok else "FAIL ") + name, flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--double", required=True)
    p.add_argument("--fixtures", default=os.path.join(HERE, "..", "fixtures", "kube-apiserver-v1.32"))
    p.add_argument("--kubectl", default=shutil.which("kubectl"))
    p.add_argument("--helm", help="helm binary (default: scripts/install-helm.sh)")
    a = p.parse_args()
    if not a.kubectl:
        print("FAIL kubectl is not on PATH: the end-to-end test needs the real client")
        return 1
    workdir = tempfile.mkdtemp(prefix="kubectl-e2e-")
    f = Failures()
    double = Double(a.double, workdir)
    try:
        k = Kubectl(a.kubectl, double, workdir)
        scenarios(k, f, os.path.join(HERE, "fixtures"))
        transcripts(k, f, a.fixtures, os.path.join(HERE, "fixtures"))
        project_crd(k, f, os.path.join(HERE, "..", "..", "crds", "databasetoken.yaml"))
    finally:
        double.stop()
    for part in ("kustomize", "helm"):
        fresh = os.path.join(workdir, part)
        os.makedirs(fresh)
        install_double = Double(a.double, fresh)
        try:
            k = Kubectl(a.kubectl, install_double, fresh)
            if part == "kustomize":
                readme_kustomize_install(k, f, fresh)
            else:
                helm = a.helm or subprocess.run(
                    [os.path.join(REPO, "scripts", "install-helm.sh")], capture_output=True,
                    text=True).stdout.strip()
                if f.check(bool(helm), "helm is available (scripts/install-helm.sh)"):
                    readme_helm_install(k, f, fresh, helm)
        finally:
            install_double.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if f.items:
        print(f"{len(f.items)} failure(s)")
        return 1
    print("all kubectl end-to-end checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
