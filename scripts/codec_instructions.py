#!/usr/bin/env python3
"""Instructions per decode, counted by callgrind, for the decode-error-path
comparison in bench/results/codec.md.

Wall-clock differences of 1% are below this VM's run-to-run noise, so the
cost of the error paths is also measured as instructions executed: each
BM_<Impl>_<Message>_Decode row runs alone under callgrind, collecting only
inside `<Message>::read` (inclusive: the reader, string and container
allocation), and the count is divided by the number of decodes. The count
is deterministic for a given binary.

    codec_instructions.py BUILD_DIR OUT.json
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROWS = [("FerryBinary", "Medium"), ("FerryBinaryNoPaths", "Medium"),
        ("FerryCompact", "Medium"), ("FerryCompactNoPaths", "Medium"),
        ("FerryBinary", "Small"), ("FerryBinaryNoPaths", "Small")]


def instructions_per_decode(bench, impl, message):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             f"--toggle-collect=*ferry::bench::{message}::read*", bench,
             f"--benchmark_filter=^BM_{impl}_{message}_Decode$",
             "--benchmark_min_time=0.02"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tree = subprocess.run(
            ["callgrind_annotate", "--inclusive=yes", "--tree=caller", out],
            check=True, capture_output=True, text=True).stdout
    # The caller line of `<Message>::read`: "<Ir> (<pct>) < ...
    # ferry_decode_bench<...> (<calls>x) [...]".
    for line in tree.splitlines():
        m = re.match(r"\s*([\d,]+) .*< .*ferry_decode_bench<.*\(([\d,]+)x\)",
                     line)
        if m:
            ir, calls = (int(g.replace(",", "")) for g in m.groups())
            return ir / calls
    raise RuntimeError(f"no decode calls found for BM_{impl}_{message}")


def main(build, out_path):
    bench = os.path.join(build, "bench/codec_bench")
    result = {f"{impl}_{message}": instructions_per_decode(bench, impl, message)
              for impl, message in ROWS}
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])
