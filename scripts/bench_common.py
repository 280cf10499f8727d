"""What the RPC benchmark drivers share (scripts/bench_rpc.py: Thrift,
scripts/bench_grpc.py: gRPC): starting a pinned server and reading its port,
stopping it, running a pinned load generator and reading its JSON line, with
the CPU time both used, and writing the results.

Every server prints `LISTENING <port>` (or `listening on <addr>:<port>`)
once ready; every load generator (bench/rpc/thrift_loadgen,
bench/rpc/grpc_loadgen) prints one JSON object on a line of its own.
"""

import json
import os
import re
import resource
import subprocess
import time

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def start_server(cmd, cpu):
    """Starts `cmd` pinned to `cpu`; returns (process, port) once it
    listens."""
    proc = subprocess.Popen(["taskset", "-c", str(cpu)] + cmd,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"LISTENING (\d+)|listening on [\d.]+:(\d+)", line)
        if m:
            return proc, int(m.group(1) or m.group(2))
    proc.kill()
    raise RuntimeError(f"server did not start: {' '.join(cmd)}")


def stop_server(proc):
    """SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def process_cpu_seconds(pid):
    """User + system CPU seconds used so far by process `pid` (all its
    threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        # The command name (field 2) may hold spaces: split after it.
        fields = fh.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line.
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def _children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_loadgen(cmd, cpu, server_pid, timeout):
    """Runs load generator `cmd` pinned to `cpu` and returns its JSON result,
    with `server_cpu` and `loadgen_cpu` added: the share of one CPU each
    used over the generator's run (warm-up included), 1.0 = a whole CPU."""
    server_before = process_cpu_seconds(server_pid)
    children_before = _children_cpu_seconds()
    start = time.monotonic()
    out = subprocess.run(["taskset", "-c", str(cpu)] + cmd,
                         capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - start
    loadgen_cpu = _children_cpu_seconds() - children_before
    server_cpu = process_cpu_seconds(server_pid) - server_before
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            result["server_cpu"] = round(server_cpu / wall, 3)
            result["loadgen_cpu"] = round(loadgen_cpu / wall, 3)
            return result
    raise RuntimeError(f"loadgen failed: {' '.join(cmd)}\n"
                       f"{out.stdout}{out.stderr}")


def run_against(server_cmd, server_cpu, loadgen_cmd, client_cpu, timeout):
    """One case: a fresh server, the generator against its port
    (`loadgen_cmd` gets `--port N` appended), the server stopped."""
    proc, port = start_server(server_cmd, server_cpu)
    try:
        return run_loadgen(loadgen_cmd + ["--port", str(port)], client_cpu,
                           proc.pid, timeout)
    finally:
        stop_server(proc)


def write_results(out, text, results):
    """Writes OUT.md (`text`) and OUT.json (`results`)."""
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out + ".md", "w") as fh:
        fh.write(text)
    with open(out + ".json", "w") as fh:
        json.dump(results, fh, indent=1)
