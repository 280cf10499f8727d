#!/usr/bin/env python3
"""Runs one interop pair: starts a server, runs a client against it, stops
the server, and exits with the client's status.

    run_interop.py --server "SERVER COMMAND" --client "CLIENT COMMAND" \
        [--timeout 60] [--listening-regex '^LISTENING (\\d+)$']

Convention:
- Each command is one string, split like a shell command line (shlex: quote
  arguments with spaces) and run without a shell.
- Either the server command picks its own port (give it `--port 0`) and
  prints a line matching --listening-regex on stdout once it accepts
  connections; the regex's first group is the port. The default matches
  `LISTENING <port>`, which the peers here print.
- Or the server command holds `{port}`: this script picks a free port on
  127.0.0.1 (bind to port 0, read it, close), puts it there, and takes the
  server as ready once a TCP connection to 127.0.0.1:<port> succeeds (or it
  prints a line matching --listening-regex, whichever comes first).
- Every `{port}` in the client command is replaced by that port. The client
  reports through its exit status (and its own output, passed through).

The server's stdout and stderr are copied to this script's stderr, each
line prefixed with `[server]`. --timeout bounds the whole run, start-up
included: past it the client is killed and the run fails. The server is
stopped with SIGTERM, then SIGKILL after 5 s. Exit status: the client's if
it failed; otherwise 1 if the server died before it was stopped (a crash
under the client's calls is a failure even when the client did not
notice), else 0.
"""

import argparse
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time


def log(message):
    print(f"run_interop: {message}", file=sys.stderr, flush=True)


def pump(stream, port_found, regex):
    """Copies the server's output to stderr; reports the port from the first
    line matching `regex` (stdout only: regex is None for stderr)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip("\n")
        print(f"[server] {line}", file=sys.stderr, flush=True)
        if regex is not None and not port_found.is_set():
            m = regex.search(line)
            if m:
                port_found.port = int(m.group(1))
                port_found.set()
    stream.close()


def free_port():
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port):
    """Whether 127.0.0.1:port accepts a TCP connection now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop(proc, name, grace=5.0):
    """SIGTERM to the process group, then SIGKILL. Returns True if the
    process had to be killed."""
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
        return False
    except subprocess.TimeoutExpired:
        log(f"{name} ignored SIGTERM for {grace:g} s; killing it")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def main():
    parser = argparse.ArgumentParser(
        description="Runs a client against a server; see the module docs.")
    parser.add_argument("--server", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds for the whole run (default 60)")
    parser.add_argument("--listening-regex", default=r"^LISTENING (\d+)$")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    regex = re.compile(args.listening_regex)

    server_argv = shlex.split(args.server)
    probe_port = None
    if any("{port}" in a for a in server_argv):
        probe_port = free_port()
        server_argv = [a.replace("{port}", str(probe_port))
                       for a in server_argv]
    log(f"server: {shlex.join(server_argv)}")
    # Own process groups: stopping one also stops whatever it started.
    server = subprocess.Popen(server_argv, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    port_found = threading.Event()
    port_found.port = None
    pumps = [
        threading.Thread(target=pump, args=(server.stdout, port_found, regex),
                         daemon=True),
        threading.Thread(target=pump, args=(server.stderr, port_found, None),
                         daemon=True),
    ]
    for t in pumps:
        t.start()

    try:
        while not port_found.wait(0.05):
            if probe_port is not None and accepts(probe_port):
                port_found.port = probe_port
                break
            if server.poll() is not None:
                log(f"server exited with status {server.returncode} before "
                    "printing its port")
                return 1
            if time.monotonic() > deadline:
                log(f"server printed no line matching "
                    f"'{args.listening_regex}'"
                    + ("" if probe_port is None else
                       f" nor accepted connections on port {probe_port}")
                    + f" within {args.timeout:g} s")
                return 1
        port = port_found.port
        client_argv = [a.replace("{port}", str(port))
                       for a in shlex.split(args.client)]
        log(f"server listening on port {port}; client: "
            f"{shlex.join(client_argv)}")
        client = subprocess.Popen(client_argv, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            status = client.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"client still running after {args.timeout:g} s; killing it")
            stop(client, "client", grace=1.0)
            return 1
        if status != 0:
            log(f"client failed with status {status}")
            return status if status > 0 else 1
        if server.poll() is not None:
            log(f"server exited with status {server.returncode} while the "
                "client ran")
            return 1
        return 0
    finally:
        stop(server, "server")
        for t in pumps:
            t.join(timeout=2)
        if server.returncode not in (0, -signal.SIGTERM):
            log(f"server exit status after stop: {server.returncode}")


if __name__ == "__main__":
    sys.exit(main())
