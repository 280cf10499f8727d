#!/usr/bin/python3
"""Differential test: idlgen's front end against Apache Thrift's.

Runs Debian's `thrift --gen json` (the oracle) and `idlgen --dump-json` over
the same IDL files and checks that both read the same structure: every
struct's field ids, names, requiredness and wire types, every enum's
values, every typedef's type, and every service's functions (name, oneway,
return type, arguments, throws, extends).

Inputs: ThriftTest.thrift from the interop suite, with its `uuid` members
removed (thrift 0.17 predates `uuid`), and every file in the oracle
directory. Exits non-zero on the first file with differences, listing them.

usage: thrift_oracle_test.py --idlgen BIN --thrift BIN --thrift-test FILE
                             --oracle-dir DIR [--perturb]
`--perturb` shifts one field id in idlgen's output before comparing; the
run must then fail (a self-check that the comparison can fail).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# The typeIds Apache's JSON generator uses for base types are already the
# canonical names idlgen prints (`i8` for byte); enums are `i32` in both.
CONTAINER_PARAMS = {
    "list": ("elemTypeId", "elemType"),
    "set": ("elemTypeId", "elemType"),
    "map": ("keyTypeId", "keyType", "valueTypeId", "valueType"),
}


def apache_type(type_id, type_info):
    """Apache's (typeId, type) pair as idlgen's wire_type string."""
    if type_id in ("struct", "exception", "union"):
        return type_info["class"]
    if type_id in CONTAINER_PARAMS:
        keys = CONTAINER_PARAMS[type_id]
        params = [apache_type(type_info[keys[i]], type_info.get(keys[i + 1]))
                  for i in range(0, len(keys), 2)]
        return "%s<%s>" % (type_id, ",".join(params))
    return type_id


def apache_fields(fields, is_union=False):
    requiredness = {"required": "required", "optional": "optional",
                    "req_out": "default"}
    return [(f["key"], f["name"], requiredness[f["required"]],
             apache_type(f["typeId"], f.get("type"))) for f in fields]


def idlgen_fields(fields, is_union=False):
    out = []
    for f in fields:
        req = f["requiredness"]
        # Apache marks every union member optional; idlgen keeps what was
        # written and the emitter treats union members as optional anyway.
        if is_union and req == "default":
            req = "optional"
        out.append((f["id"], f["name"], req, f["wire_type"]))
    return out


def apache_summary(doc):
    structs = {}
    for s in doc["structs"]:
        kind = ("exception" if s["isException"] else
                "union" if s["isUnion"] else "struct")
        structs[s["name"]] = (kind, apache_fields(s["fields"]))
    services = {}
    for svc in doc["services"]:
        functions = {}
        for fn in svc["functions"]:
            functions[fn["name"]] = (
                fn["oneway"],
                apache_type(fn["returnTypeId"], fn.get("returnType")),
                apache_fields(fn["arguments"]),
                apache_fields(fn["exceptions"]))
        services[svc["name"]] = (svc.get("extends", ""), functions)
    return {
        "structs": structs,
        "enums": {e["name"]: [(m["name"], m["value"]) for m in e["members"]]
                  for e in doc["enums"]},
        "typedefs": {t["name"]: apache_type(t["typeId"], t.get("type"))
                     for t in doc["typedefs"]},
        "services": services,
    }


def idlgen_summary(doc):
    structs = {s["name"]: (s["kind"],
                           idlgen_fields(s["fields"], s["kind"] == "union"))
               for s in doc["structs"]}
    services = {}
    for svc in doc["services"]:
        functions = {fn["name"]: (fn["oneway"], fn["return_wire_type"],
                                  idlgen_fields(fn["args"]),
                                  idlgen_fields(fn["throws"]))
                     for fn in svc["functions"]}
        services[svc["name"]] = (svc["extends"], functions)
    return {
        "structs": structs,
        "enums": {e["name"]: [(v["name"], v["value"]) for v in e["values"]]
                  for e in doc["enums"]},
        "typedefs": {t["name"]: t["wire_type"] for t in doc["typedefs"]},
        "services": services,
    }


def differences(apache, ours):
    """Human-readable differences between two summaries; [] if equal."""
    diffs = []
    for section in ("structs", "enums", "typedefs", "services"):
        a, b = apache[section], ours[section]
        for name in sorted(set(a) | set(b)):
            if name not in b:
                diffs.append("%s %s: only in thrift" % (section, name))
            elif name not in a:
                diffs.append("%s %s: only in idlgen" % (section, name))
            elif a[name] != b[name]:
                diffs.append("%s %s:\n    thrift: %r\n    idlgen: %r"
                             % (section, name, a[name], b[name]))
    return diffs


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("command failed (%d): %s\n%s"
                 % (result.returncode, " ".join(cmd), result.stderr))
    return result.stdout


def without_uuid(src, dst):
    """Copies ThriftTest.thrift minus the field and method using `uuid`."""
    uuid_member = re.compile(r"^\s*(\d+:\s*uuid\b|uuid\s+\w+\s*\()")
    with open(src) as f:
        lines = [line for line in f if not uuid_member.match(line)]
    with open(dst, "w") as f:
        f.writelines(lines)


def perturb_first_field_id(summary):
    for name, (kind, fields) in summary["structs"].items():
        if fields:
            first = fields[0]
            fields[0] = (first[0] + 1,) + first[1:]
            return


def check_file(args, path, json_dir):
    """Compares one root file (Apache's JSON is already in json_dir)."""
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(json_dir, name + ".json")) as f:
        apache = apache_summary(json.load(f))
    ours = idlgen_summary(json.loads(run([args.idlgen, "--dump-json", path])))
    if args.perturb:
        perturb_first_field_id(ours)
    diffs = differences(apache, ours)
    counts = ", ".join("%d %s" % (len(apache[s]), s) for s in apache)
    if diffs:
        print("FAIL %s (%s)" % (path, counts))
        for d in diffs:
            print("  " + d)
        return False
    print("ok   %s (%s)" % (path, counts))
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idlgen", required=True)
    parser.add_argument("--thrift", default="/usr/bin/thrift")
    parser.add_argument("--thrift-test", required=True)
    parser.add_argument("--oracle-dir", required=True)
    parser.add_argument("--perturb", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        thrift_test = os.path.join(tmp, "ThriftTest.thrift")
        without_uuid(args.thrift_test, thrift_test)
        roots = [thrift_test] + sorted(
            os.path.join(args.oracle_dir, f)
            for f in os.listdir(args.oracle_dir) if f.endswith(".thrift"))
        json_dir = os.path.join(tmp, "gen-json")
        os.mkdir(json_dir)
        ok = True
        for root in roots:
            run([args.thrift, "--gen", "json", "-out", json_dir, root])
            ok = check_file(args, root, json_dir) and ok
    if args.perturb:
        # Inverted: the perturbed comparison must have found a difference.
        print("perturbed run %s" % ("failed as it must" if not ok
                                    else "PASSED: the comparison is blind"))
        return 0 if not ok else 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
