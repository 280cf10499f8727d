#!/usr/bin/env python3
"""Regenerates the seed corpora of the codec fuzz targets with Apache's own
Python library (python3-thrift), so the seeds are encodings produced by an
independent implementation:

    tests/fuzz/make_seeds.py        # from the repository root

corpus/binary_decode, corpus/compact_decode: first byte 0 (root type
Everything) + an encoding; corpus/apache_differential: first byte 0 (binary)
or 1 (compact) + an encoding. WithUuid seeds are not made here (Debian's
thrift 0.17 predates uuid); the fuzzer reaches them through byte 1.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))


def main():
    tmp = tempfile.mkdtemp()
    idl = os.path.join(tmp, "fuzz_types.thrift")
    subprocess.run(["cmake", f"-DIN={ROOT}/fuzz_types.thrift", f"-DOUT={idl}",
                    "-DSTRIP_UUID=ON", "-P",
                    os.path.join(ROOT, "../../cmake/rewrite_thrift_idl.cmake")], check=True)
    subprocess.run(["thrift", "--gen", "py", "-out", tmp, idl], check=True,
                   capture_output=True)
    sys.path.insert(0, tmp)
    from fuzz_types.ttypes import Choice, Color, Everything, Leaf, Tree
    from thrift.protocol import TBinaryProtocol, TCompactProtocol
    from thrift.transport import TTransport

    def encode(value, factory):
        buf = TTransport.TMemoryBuffer()
        value.write(factory.getProtocol(buf))
        return buf.getvalue()

    values = [
        Everything(must=""),
        Everything(b=True, y=-1, s16=-300, s32=1 << 20, s64=-(1 << 40), d=1.5,
                   str="hello", bin=b"\x00\xff", color=Color.GREEN, ints=[1, -2, 3],
                   names={"a", "b"}, leaves={"k": Leaf(s="v", i=7)},
                   nested=[[Leaf(s="x")], []], groups={1: {2, 3}}, maybe=Leaf(s="m"),
                   must="required", choice=Choice(text="t"), flags=[True, False],
                   ds=[0.0, -0.0], tree=Tree(value=1, children=[Tree(value=2, children=[])]),
                   blobs={Color.RED: [b"x", b""]},
                   label="a label longer than a chunk",
                   view_list=["first view", "", "third"],
                   view_map={"key number one": b"value one", "k2": b""}),
        Everything(must="u", choice=Choice(leaf=Leaf(s="deep", i=-1)),
                   tree=Tree(value=0, children=[Tree(value=i, children=[]) for i in range(20)])),
    ]
    corpora = {
        "binary_decode": [(0, TBinaryProtocol.TBinaryProtocolFactory())],
        "compact_decode": [(0, TCompactProtocol.TCompactProtocolFactory())],
        "apache_differential": [(0, TBinaryProtocol.TBinaryProtocolFactory()),
                                (1, TCompactProtocol.TCompactProtocolFactory())],
    }
    for name, protocols in corpora.items():
        out_dir = os.path.join(ROOT, "corpus", name)
        os.makedirs(out_dir, exist_ok=True)
        for tag, factory in protocols:
            for i, value in enumerate(values):
                path = os.path.join(out_dir, f"seed-{tag}-{i}")
                with open(path, "wb") as f:
                    f.write(bytes([tag]) + encode(value, factory))
    print("make_seeds: wrote", ", ".join(corpora))


if __name__ == "__main__":
    main()
