#!/usr/bin/env python3
"""Instructions per decode, counted by callgrind, for the decode-error-path
comparison in bench/results/codec.md.

Wall-clock differences of 1% are below this VM's run-to-run noise, so the
cost of the error paths is also measured as instructions executed: each
BM_<Impl>_<Message>_Decode row runs alone under callgrind, collecting only
inside `<Message>::read` and its callees, and the count of instructions in
ferry's own code (generated, codec, inlined standard-library headers; not
glibc's malloc/free/memcpy) is divided by the number of decodes. It is the
same from run to run for a given binary.

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
        flat = subprocess.run(
            ["callgrind_annotate", "--threshold=100", out],
            check=True, capture_output=True, text=True).stdout
    # Self cost of every function built from ferry's and the generated
    # sources and the headers they inline (paths starting with "/"); glibc's
    # malloc, free and memcpy (paths like "./malloc/malloc.c" or "???") are
    # left out: they do the same work in both variants but their instruction
    # counts drift with heap state.
    own = 0
    for line in flat.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S+?):", line)
        if m and m.group(2).startswith("/"):
            own += int(m.group(1).replace(",", ""))
    # The number of decodes: the call count on the caller line of
    # `<Message>::read` ("... < ...ferry_decode_bench<...> (<calls>x) [...]").
    for line in tree.splitlines():
        m = re.search(r"< .*ferry_decode_bench<.*\(([\d,]+)x\)", line)
        if m:
            return own / int(m.group(1).replace(",", ""))
    raise RuntimeError(f"no decode calls found for BM_{impl}_{message}")


def main(build, out_path):
    bench = os.path.join(build, "bench/codec_bench")
    result = {f"{impl}_{message}": instructions_per_decode(bench, impl, message)
              for impl, message in ROWS}
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])
