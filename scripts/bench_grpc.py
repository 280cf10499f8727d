#!/usr/bin/env python3
"""gRPC benchmark: ferry's gRPC server against gRPC C++'s, both driven by
the same load generator (bench/rpc/grpc_loadgen, on ferry's gRPC client) in
one run.

    scripts/bench_grpc.py [--build build] [--duration 5] [--warmup 1]
                          [--quick] [--out bench/results/grpc]

Unary: Echo.Echo (../shared/bench/bench.proto), ferry's
examples/grpc_echo/grpc_echo_server against bench/rpc/grpc_cpp_echo_server
(gRPC C++'s callback API); payload {32 B, 1 KiB} x {64 conns x 1 in flight,
8 conns x 16 in flight}, as the Thrift benchmark (bench_rpc.py).

Streaming: TestService.StreamingOutputCall for 1000 responses of {32 B,
1 KiB}, ferry's examples/grpc_interop/grpc_interop_server against
bench/rpc/grpc_cpp_stream_server (gRPC C++'s callback API, a
ServerWriteReactor per call); {1 conn x 1 stream, 4 conns x 4 streams}.

Every case gets a fresh server pinned to CPU 0 (ferry: one worker; gRPC
C++: --threads 1, its ResourceQuota thread limit, though gRPC starts more
threads: all of them share CPU 0); the generator runs pinned to CPU 1. Server and generator
CPU use (share of one CPU over the run) are recorded with every result.
Writes OUT.md (tables and ratios) and OUT.json; prints the tables.
--quick: a 1 s smoke run (0.5 s warm-up) written to BUILD/bench_grpc_quick
unless --out is given.
"""

import argparse
import os
import sys

from bench_common import run_against, write_results

UNARY_CASES = [(32, 64, 1), (32, 8, 16), (1024, 64, 1), (1024, 8, 16)]
STREAM_CASES = [(32, 1, 1), (32, 4, 4), (1024, 1, 1), (1024, 4, 4)]
STREAM_MESSAGES = 1000
SERVERS = ("ferry", "grpc_cpp")


def servers(build):
    """Per mode, each side's server command line."""
    b = build
    return {
        "unary": {
            "ferry": [os.path.join(b, "examples/grpc_echo/grpc_echo_server"),
                      "--port", "0", "--threads", "1"],
            "grpc_cpp": [os.path.join(b, "bench/rpc/grpc_cpp_echo_server"),
                         "--port", "0", "--threads", "1"],
        },
        "stream": {
            "ferry": [os.path.join(
                b, "examples/grpc_interop/grpc_interop_server"),
                "--port", "0", "--threads", "1"],
            "grpc_cpp": [os.path.join(b, "bench/rpc/grpc_cpp_stream_server"),
                         "--port", "0", "--threads", "1"],
        },
    }


def run_case(args, server_cmd, mode, payload, conns, inflight):
    cmd = [os.path.join(args.build, "bench/rpc/grpc_loadgen"),
           "--mode", mode, "--connections", str(conns),
           "--inflight", str(inflight), "--payload", str(payload),
           "--duration", str(args.duration), "--warmup", str(args.warmup)]
    if mode == "stream":
        cmd += ["--stream-messages", str(STREAM_MESSAGES)]
    return run_against(server_cmd, args.server_cpu, cmd, args.client_cpu,
                       timeout=args.duration + args.warmup + 60)


def ratio(a, b):
    return a / b if b else float("nan")


def cpu(x):
    return f"{x['server_cpu']:.2f} / {x['loadgen_cpu']:.2f}"


def size(payload):
    return "1 KiB" if payload == 1024 else f"{payload} B"


def tables(args, unary, stream):
    lines = [
        "# gRPC: ferry vs gRPC C++",
        "",
        f"One run, {args.duration:g} s per case after {args.warmup:g} s "
        f"warm-up; server pinned to CPU {args.server_cpu} (ferry: 1 worker; "
        f"gRPC C++: all its threads), bench/rpc/grpc_loadgen (ferry's gRPC "
        f"client, 1 thread) to CPU {args.client_cpu}. Latencies in us. CPU: "
        "share of one CPU used over the run by server / generator.",
        "",
        "## Unary Echo.Echo (QPS: calls/s)",
        "",
        "| case | ferry QPS | gRPC C++ QPS | ratio | ferry p99 | "
        "gRPC C++ p99 | p99 ratio | ferry p50 | gRPC C++ p50 | "
        "CPU ferry | CPU gRPC C++ |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in unary:
        f, g = r["ferry"], r["grpc_cpp"]
        lines.append(
            f"| {size(r['payload'])}, {r['connections']} x {r['inflight']} | "
            f"{f['qps']:.0f} | {g['qps']:.0f} | "
            f"{ratio(f['qps'], g['qps']):.2f}x | {f['p99_us']:.0f} | "
            f"{g['p99_us']:.0f} | {ratio(f['p99_us'], g['p99_us']):.2f} | "
            f"{f['p50_us']:.0f} | {g['p50_us']:.0f} | {cpu(f)} | {cpu(g)} |")
    lines += [
        "",
        f"## Server streaming: StreamingOutputCall, {STREAM_MESSAGES} "
        "responses per call (msg/s: response messages; MB/s: their "
        "payload; p99: whole call)",
        "",
        "| case | ferry msg/s | gRPC C++ msg/s | ratio | ferry MB/s | "
        "gRPC C++ MB/s | ferry p99 | gRPC C++ p99 | p99 ratio | "
        "CPU ferry | CPU gRPC C++ |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in stream:
        f, g = r["ferry"], r["grpc_cpp"]
        lines.append(
            f"| {size(r['payload'])}, {r['connections']} x {r['inflight']} | "
            f"{f['qps']:.0f} | {g['qps']:.0f} | "
            f"{ratio(f['qps'], g['qps']):.2f}x | {f['mb_per_s']:.1f} | "
            f"{g['mb_per_s']:.1f} | {f['p99_us']:.0f} | {g['p99_us']:.0f} | "
            f"{ratio(f['p99_us'], g['p99_us']):.2f} | {cpu(f)} | {cpu(g)} |")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(
        description="ferry's gRPC server vs gRPC C++ (see the module doc)")
    p.add_argument("--build", default="build")
    p.add_argument("--duration", "--seconds", type=float, default=5)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--quick", action="store_true",
                   help="1 s per case after 0.5 s warm-up")
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--out", default=None,
                   help="default: bench/results/grpc "
                        "(--quick: BUILD/bench_grpc_quick)")
    args = p.parse_args()
    if args.quick:
        args.duration, args.warmup = 1, 0.5
    if args.out is None:
        args.out = (os.path.join(args.build, "bench_grpc_quick") if args.quick
                    else "bench/results/grpc")

    cmds = servers(args.build)
    results = {"unary": [], "stream": []}
    for mode, cases in (("unary", UNARY_CASES), ("stream", STREAM_CASES)):
        for payload, conns, inflight in cases:
            row = {"payload": payload, "connections": conns,
                   "inflight": inflight}
            for name in SERVERS:
                print(f"bench_grpc: {mode} {name} {payload} B "
                      f"{conns}x{inflight}", file=sys.stderr, flush=True)
                row[name] = run_case(args, cmds[mode][name], mode, payload,
                                     conns, inflight)
            results[mode].append(row)

    text = tables(args, results["unary"], results["stream"])
    write_results(args.out, text, results)
    print(text)


if __name__ == "__main__":
    main()
