#!/usr/bin/env python3
"""The REST tests' OpenAPI check: every answer the tests kept (DIR/N.json with
"TEMPLATE METHOD STATUS" in DIR/N.meta) is valid against the schema that
docs/openapi.json gives for that path, method and status; every operation of
the document was answered at least once with 200, and every status a test saw
is one the document lists for that operation.

usage: openapi_check.py OPENAPI.json DIR"""
import glob
import json
import os
import sys

import jsonschema

doc = json.load(open(sys.argv[1]))
errors, seen = [], set()
for meta in sorted(glob.glob(os.path.join(sys.argv[2], "*.meta"))):
    template, method, status = open(meta).read().split()
    if template == "-":
        continue
    op = doc["paths"].get(template, {}).get(method.lower())
    if op is None:
        errors.append(f"{meta}: {method} {template} is not in the document")
        continue
    resp = op["responses"].get(status)
    if resp is None:
        errors.append(f"{meta}: {method} {template} answered {status}, not in the document")
        continue
    if status == "200":
        seen.add((template, method.lower()))
    content = resp.get("content", {})
    if "application/json" not in content:
        continue
    body = open(meta[:-5] + ".json").read()
    try:
        value = json.loads(body)
    except ValueError as e:
        errors.append(f"{meta}: {method} {template} {status}: not JSON ({e}): {body[:200]}")
        continue
    schema = dict(doc)
    schema["$ref"] = "#/components/schemas/x"
    schema["components"] = dict(doc["components"])
    schema["components"]["schemas"] = dict(doc["components"]["schemas"], x=content["application/json"]["schema"])
    try:
        jsonschema.Draft202012Validator(schema).validate(value)
    except jsonschema.ValidationError as e:
        errors.append(f"{meta}: {method} {template} {status}: {e.message} at {list(e.absolute_path)}")
for template, ops in doc["paths"].items():
    for method in ops:
        if (template, method) not in seen:
            errors.append(f"{method.upper()} {template}: never answered 200 in the tests")
for e in errors:
    print("openapi:", e)
print(f"openapi: {len(glob.glob(os.path.join(sys.argv[2], '*.meta')))} answers checked, {len(errors)} problems")
sys.exit(1 if errors else 0)
