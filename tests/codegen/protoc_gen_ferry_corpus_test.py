#!/usr/bin/env python3
"""protoc-gen-ferry over the shared corpus's .proto files, and its errors.

For every .proto under CORPUS/proto (see ../shared/idl-corpus/README.md):
runs protoc with the plugin from the file's tree root (`grpc/` and
`grpc-proto/`) into a temporary directory. Every file must produce its
`.ferry.h` with one struct per service, except the two protoc 3.21 itself
rejects (Editions syntax, a Google-internal option), whose errors must not
come from the plugin. Then the generated headers of each tree are compiled
(-fsyntax-only, ferry's warnings as errors) in one translation unit that
instantiates every service's Client<>, Interface and registration. Last,
the plugin's own errors: a parameter (it takes none) and
cc_generic_services.

usage: protoc_gen_ferry_corpus_test.py --protoc P --plugin G --corpus DIR
           --cxx CXX --source-dir DIR [--cxx-flags "F..."]
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

# Rejected by protoc 3.21's parser before any generator runs.
EXPECTED_REJECTS = {
    "grpc/src/proto/grpc/testing/compiler_test.proto":
        "Expected top-level statement",
    "grpc/src/proto/grpc/reflection/v1alpha/reflection.proto":
        "server_required_security_level",
}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run_protoc(args, root, rel, out, extra=()):
    cmd = [args.protoc, "-I", str(root), "--cpp_out=" + str(out),
           "--ferry_out=" + str(out),
           "--plugin=protoc-gen-ferry=" + os.path.abspath(args.plugin),
           *extra, rel]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True)


def services_of(text):
    return re.findall(r"^\s*service\s+(\w+)\s*\{", text, re.M)


def messages_of(text):
    return re.findall(r"^message\s+(\w+)", text, re.M)


def package_of(text):
    m = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M)
    return m.group(1) if m else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--protoc", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--cxx", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--cxx-flags", default="",
                    help="space-separated compiler flags")
    args = ap.parse_args()

    proto_dir = pathlib.Path(args.corpus) / "proto"
    trees = {"grpc": proto_dir / "grpc", "grpc-proto": proto_dir / "grpc-proto"}
    with tempfile.TemporaryDirectory(prefix="protoc-gen-ferry-") as tmp:
        tmp = pathlib.Path(tmp)
        accepted = 0
        compiled = 0
        for tree, root in trees.items():
            out = tmp / tree
            out.mkdir()
            files = sorted(p.relative_to(root).as_posix()
                           for p in root.rglob("*.proto"))
            if not files:
                fail(f"no .proto files under {root}")
            # Translation units: a file goes into the first one that defines
            # none of its messages yet (gRPC's tree has two alternative
            # definitions of grpc.testing.SimpleRequest).
            tus = []
            for rel in files:
                key = f"{tree}/{rel}"
                r = run_protoc(args, root, rel, out)
                if key in EXPECTED_REJECTS:
                    if r.returncode == 0:
                        fail(f"{key}: accepted, expected protoc to reject it")
                    elif EXPECTED_REJECTS[key] not in r.stderr or \
                            "ferry" in r.stderr:
                        fail(f"{key}: unexpected error: {r.stderr.strip()}")
                    continue
                if r.returncode != 0:
                    fail(f"{key}: protoc failed: {r.stderr.strip()}")
                    continue
                header = out / (rel[:-len(".proto")] + ".ferry.h")
                if not header.exists():
                    fail(f"{key}: no {header.name}")
                    continue
                accepted += 1
                text = (root / rel).read_text()
                generated = header.read_text()
                ns = "::" + package_of(text).replace(".", "::")
                ns = "" if ns == "::" else ns
                names = {f"{ns}::{m}" for m in messages_of(text)}
                for defined, tu in tus:
                    if not defined & names:
                        break
                else:
                    defined, tu = set(), ['#include "transport/grpc/service.h"']
                    tus.append((defined, tu))
                defined |= names
                tu.append(f'#include "{rel[:-len(".proto")]}.ferry.h"')
                for svc in services_of(text):
                    if f"struct {svc} {{" not in generated:
                        fail(f"{key}: no struct {svc} in {header.name}")
                        continue
                    q = f"{ns}::{svc}"
                    tag = re.sub(r"\W", "_", f"{tree}_{rel}_{svc}")
                    tu += [
                        f"template class {q}::Client<>;",
                        f"struct H_{tag} : {q}::Interface {{}};",
                        f"void add_{tag}(::ferry::grpc::ServiceRegistry& r,",
                        f"    H_{tag}* h) {{ r.add<{q}>(h); }}",
                    ]
            for i, (_, tu) in enumerate(tus):
                source = tmp / f"{tree}_{i}.cc"
                source.write_text("\n".join(tu) + "\n")
                cc = subprocess.run(
                    [args.cxx, "-std=c++20", "-fsyntax-only",
                     *args.cxx_flags.split(), "-Werror", "-I", args.source_dir,
                     "-I", str(out), str(source)],
                    capture_output=True, text=True)
                if cc.returncode != 0:
                    fail(f"{tree}: generated headers do not compile:\n"
                         + cc.stderr[-6000:])

            compiled += len(tus)

        print(f"protoc-gen-ferry: {accepted} corpus files generated, "
              f"{len(EXPECTED_REJECTS)} rejected by protoc as expected; "
              f"headers compiled in {compiled} translation units")

        # The plugin's own errors.
        fx = tmp / "errors"
        fx.mkdir()
        (fx / "svc.proto").write_text(
            'syntax = "proto3";\npackage e;\nmessage M {}\n'
            "service S { rpc F(M) returns (M); }\n")
        (fx / "generic.proto").write_text(
            'syntax = "proto2";\npackage g;\n'
            "option cc_generic_services = true;\nmessage M {}\n"
            "service S { rpc F(M) returns (M); }\n")
        r = run_protoc(args, fx, "svc.proto", fx, ["--ferry_opt=verbose"])
        if r.returncode == 0 or "takes no parameters" not in r.stderr:
            fail(f"--ferry_opt=verbose was not refused: {r.stderr.strip()}")
        r = run_protoc(args, fx, "generic.proto", fx)
        if r.returncode == 0 or "cc_generic_services" not in r.stderr:
            fail(f"cc_generic_services was not refused: {r.stderr.strip()}")
        r = run_protoc(args, fx, "svc.proto", fx)
        if r.returncode != 0 or not (fx / "svc.ferry.h").exists():
            fail(f"svc.proto: {r.stderr.strip()}")
        elif "// Generated by protoc-gen-ferry from svc.proto. DO NOT EDIT." \
                not in (fx / "svc.ferry.h").read_text():
            fail("svc.ferry.h: no banner")

    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
