#!/usr/bin/env python3
"""Thrift RPC benchmark: ferry's echo_server against Apache Thrift C++'s
TNonblockingServer (framed binary, 2 IO threads) and the raw echo (no RPC
at all: frames echoed verbatim, the floor), all driven by the same load
generator (bench/rpc/thrift_loadgen) in one run.

    scripts/bench_rpc.py [--build build] [--seconds 5] [--warmup 1]
                         [--rounds 3] [--out bench/results/rpc]

Cases: payload {32 B, 1 KiB} x {64 conns x 1 in flight, 8 conns x 16 in
flight}. Every case gets a fresh server pinned to CPU 0 (one worker); the
generator runs pinned to CPU 1. The whole set runs `--rounds` times, the
three servers back to back within each round, so a slow spell of this VM
hits all three alike: the table gives each figure's median over the
rounds, and each ratio is the median of the rounds' own ratios, with its
range. Writes OUT.md (tables + ratios) and OUT.json (every run); prints
the tables.
"""

import argparse
import os
import statistics
import sys

from bench_common import run_against, write_results

CASES = [(32, 64, 1), (32, 8, 16), (1024, 64, 1), (1024, 8, 16)]


def run_case(args, server_cmd, raw, payload, conns, inflight):
    cmd = [os.path.join(args.build, "bench/rpc/thrift_loadgen"),
           "--connections", str(conns), "--inflight", str(inflight),
           "--payload", str(payload), "--duration", str(args.seconds),
           "--warmup", str(args.warmup)]
    if raw:
        cmd.append("--raw")
    return run_against(server_cmd, args.server_cpu, cmd, args.client_cpu,
                       timeout=args.seconds + args.warmup + 60)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--out", default="bench/results/rpc")
    args = p.parse_args()
    b = args.build
    servers = {
        "ferry": ([os.path.join(b, "examples/echo/echo_server"), "--port", "0",
                   "--threads", "1", "--transport", "framed",
                   "--protocol", "binary"], False),
        "apache": ([os.path.join(b, "bench/rpc/apache_nonblocking_echo_server"),
                    "--port", "0", "--io-threads", "2"], False),
        "raw": ([os.path.join(b, "examples/raw_echo/raw_echo"), "server",
                 "--port", "0", "--threads", "1"], True),
    }
    results = [{"payload": payload, "connections": conns, "inflight": inflight,
                "rounds": []} for payload, conns, inflight in CASES]
    for round_index in range(args.rounds):
        for row in results:
            runs = {}
            for name, (cmd, raw) in servers.items():
                print(f"bench_rpc: round {round_index + 1}/{args.rounds}: "
                      f"{name} {row['payload']} B "
                      f"{row['connections']}x{row['inflight']}",
                      file=sys.stderr, flush=True)
                runs[name] = run_case(args, cmd, raw, row["payload"],
                                      row["connections"], row["inflight"])
            row["rounds"].append(runs)

    def median(row, name, key):
        return statistics.median(r[name][key] for r in row["rounds"])

    def ratio(row, num, den, key):
        values = sorted(r[num][key] / r[den][key] for r in row["rounds"])
        return statistics.median(values), values[0], values[-1]

    lines = [
        "# Thrift RPC echo: ferry vs Apache TNonblockingServer vs raw echo",
        "",
        f"{args.rounds} rounds, {args.seconds} s per case after "
        f"{args.warmup} s warm-up, the three servers back to back in each "
        f"round; server pinned to CPU {args.server_cpu} (1 worker; Apache: 2 "
        f"IO threads), thrift_loadgen to CPU {args.client_cpu}. Figures are "
        "medians over the rounds (QPS range in brackets); latencies in us.",
        "",
        "| payload | conns x in flight | server | QPS | p50 | p99 | p999 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results:
        for name in servers:
            qps = sorted(r[name]["qps"] for r in row["rounds"])
            lines.append(
                f"| {row['payload']} B | {row['connections']} x "
                f"{row['inflight']} | {name} | {median(row, name, 'qps'):.0f} "
                f"[{qps[0]:.0f}-{qps[-1]:.0f}] | "
                f"{median(row, name, 'p50_us'):.0f} | "
                f"{median(row, name, 'p99_us'):.0f} | "
                f"{median(row, name, 'p999_us'):.0f} |")
    lines += ["", "Ratios: the median of the rounds' own ratios [range].", "",
              "| case | ferry/Apache QPS (>= 2) | ferry p99 / Apache p99 "
              "(<= 0.5) | ferry/raw QPS (>= 0.8) |", "|---|---|---|---|"]
    for row in results:
        cells = [ratio(row, "ferry", "apache", "qps"),
                 ratio(row, "ferry", "apache", "p99_us"),
                 ratio(row, "ferry", "raw", "qps")]
        lines.append(
            f"| {row['payload']} B, {row['connections']} x {row['inflight']} "
            "| " + " | ".join(f"{m:.2f} [{lo:.2f}-{hi:.2f}]"
                               for m, lo, hi in cells) + " |")
    text = "\n".join(lines) + "\n"
    write_results(args.out, text, results)
    print(text)


if __name__ == "__main__":
    main()
