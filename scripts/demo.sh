#!/usr/bin/env bash
# ferry's demo: builds ferry into build/, starts examples/echo_server (the
# Echo service of ../shared/bench/bench.thrift on ferry's Thrift server) on
# a free loopback port, and runs examples/echo_client against it through a
# middleware stack (metrics, timeout, retry): a few calls, a 5-second
# throughput run, then the client's metrics. Extra arguments go to the
# client (e.g. --protocol compact --transport buffered --inflight 16).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFERRY_WERROR="${FERRY_WERROR:-OFF}" > /dev/null
cmake --build build --target echo_server echo_client

out=$(mktemp)
build/examples/echo/echo_server --port 0 > "$out" &
server=$!
trap 'kill "$server" 2> /dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do
  port=$(sed -n 's/^LISTENING //p' "$out")
  [[ -n "$port" ]] && break
  kill -0 "$server" 2> /dev/null || { cat "$out"; exit 1; }
  sleep 0.1
done
[[ -n "${port:-}" ]] || { echo "demo: echo_server did not start" >&2; exit 1; }
grep -v '^LISTENING' "$out" || true

status=0
build/examples/echo/echo_client --port "$port" "$@" || status=$?
kill -TERM "$server"
wait "$server" || true
grep -v '^LISTENING' "$out" | tail -n 1
exit "$status"
