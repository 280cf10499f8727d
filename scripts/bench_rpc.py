#!/usr/bin/env python3
"""Thrift RPC benchmark: ferry's echo_server against Apache Thrift C++'s
TNonblockingServer (framed binary, 2 IO threads) and the raw echo (no RPC
at all: frames echoed verbatim, the floor), all driven by the same load
generator (bench/rpc/thrift_loadgen) in one run.

    scripts/bench_rpc.py [--build build] [--seconds 5] [--warmup 1]
                         [--out bench/results/rpc]

Cases: payload {32 B, 1 KiB} x {64 conns x 1 in flight, 8 conns x 16 in
flight}. Every case gets a fresh server pinned to CPU 0 (one worker); the
generator runs pinned to CPU 1. Writes OUT.md (table + ratios) and
OUT.json; prints the table.
"""

import argparse
import os
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
    results = []
    for payload, conns, inflight in CASES:
        row = {"payload": payload, "connections": conns, "inflight": inflight}
        for name, (cmd, raw) in servers.items():
            print(f"bench_rpc: {name} {payload} B {conns}x{inflight}",
                  file=sys.stderr, flush=True)
            row[name] = run_case(args, cmd, raw, payload, conns, inflight)
        results.append(row)

    lines = [
        "# Thrift RPC echo: ferry vs Apache TNonblockingServer vs raw echo",
        "",
        f"One run, {args.seconds} s per case after {args.warmup} s warm-up; "
        f"server pinned to CPU {args.server_cpu} (1 worker; Apache: 2 IO "
        f"threads), thrift_loadgen to CPU {args.client_cpu}. Latencies in us.",
        "",
        "| payload | conns x in flight | server | QPS | p50 | p99 | p999 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for name in servers:
            x = r[name]
            lines.append(
                f"| {r['payload']} B | {r['connections']} x {r['inflight']} | "
                f"{name} | {x['qps']:.0f} | {x['p50_us']:.0f} | "
                f"{x['p99_us']:.0f} | {x['p999_us']:.0f} |")
    lines += ["", "| case | ferry/Apache QPS | ferry p99 / Apache p99 | "
              "ferry/raw QPS |", "|---|---|---|---|"]
    for r in results:
        f, a, w = r["ferry"], r["apache"], r["raw"]
        lines.append(
            f"| {r['payload']} B, {r['connections']} x {r['inflight']} | "
            f"{f['qps'] / a['qps']:.2f}x | {f['p99_us'] / a['p99_us']:.2f} | "
            f"{f['qps'] / w['qps']:.2f} |")
    text = "\n".join(lines) + "\n"
    write_results(args.out, text, results)
    print(text)


if __name__ == "__main__":
    main()
