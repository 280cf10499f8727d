#!/usr/bin/env bash
# Builds what the Thrift RPC benchmark needs and runs it
# (scripts/bench_rpc.py: ferry echo_server vs Apache TNonblockingServer vs
# raw echo). Writes bench/results/rpc.md and .json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFERRY_WERROR="${FERRY_WERROR:-OFF}" > /dev/null
cmake --build build --target echo_server raw_echo thrift_loadgen \
  apache_nonblocking_echo_server
exec env GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=1073741824 \
  /usr/bin/python3 scripts/bench_rpc.py "$@"
