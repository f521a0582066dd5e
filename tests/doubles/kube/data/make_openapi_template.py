#!/usr/bin/env python3
"""Derives openapi_v3_crd_template.json from a real kube-apiserver v1.32 answer.

Input: the /openapi/v3 document a real apiserver served for the DatabaseToken CRD (step 3 of
../shared/reference/kube-apiserver-v1.32/01-openapi.json). Output: the same document with the
CRD's names replaced by placeholders, so the double renders the document of any namespaced CRD
the way the apiserver does (paths, parameters, operation ids and the meta.v1 component schemas
are the apiserver's own text). Run again only if the reference changes:

  python3 make_openapi_template.py ../../../../../shared/reference/kube-apiserver-v1.32/01-openapi.json
"""
import json
import sys

src = json.load(open(sys.argv[1]))
doc = src["steps"][3]["response"]["body"]

# The CRD's own schema is inserted by the double; keep a marker where it goes.
schemas = doc["components"]["schemas"]
crd = schemas["dev.influxdb.tokens.v1alpha1.DatabaseToken"]
crd_props = crd["properties"]
for key in ("spec", "status"):
    crd_props.pop(key, None)
crd.pop("description", None)
crd.pop("type", None)

text = json.dumps(doc, sort_keys=True, indent=1)
replacements = [
    ("dev.influxdb.tokens.v1alpha1.DatabaseTokenList", "@SCHEMA_PREFIX@.@LISTKIND@"),
    ("dev.influxdb.tokens.v1alpha1.DatabaseToken", "@SCHEMA_PREFIX@.@KIND@"),
    ("tokensInfluxdbDev_v1alpha1", "@TAG@"),
    ("TokensInfluxdbDevV1alpha1", "@OPID@"),
    ("/apis/tokens.influxdb.dev/v1alpha1", "/apis/@GROUP@/@VERSION@"),
    ("DatabaseTokenList", "@LISTKIND@"),
    ("DatabaseToken", "@KIND@"),
    ("databasetokens", "@PLURAL@"),
    ("tokens.influxdb.dev", "@GROUP@"),
    ("\"v1alpha1\"", "\"@VERSION@\""),
]
for old, new in replacements:
    text = text.replace(old, new)
leftover = [w for w in ("influx", "v1alpha1", "DatabaseToken") if w in text]
if leftover:
    sys.exit(f"template still mentions {leftover}")
open("openapi_v3_crd_template.json", "w").write(text + "\n")
print("wrote openapi_v3_crd_template.json", len(text), "bytes")
