#!/usr/bin/env bash
# Builds what the gRPC benchmark needs and runs it (scripts/bench_grpc.py:
# ferry's gRPC servers vs gRPC C++'s, unary echo and server streaming).
# Writes bench/results/grpc.md and .json (--quick: a 1 s smoke run, written
# into the build directory).
#
#   scripts/bench_grpc.sh [--duration 5] [--quick]   # other flags: see .py
#
# FERRY_BUILD_DIR (default build) is the build directory; FERRY_WERROR=ON
# turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${FERRY_BUILD_DIR:-build}"
bash scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFERRY_WERROR="${FERRY_WERROR:-OFF}" > /dev/null
cmake --build "$build" --target grpc_echo_server grpc_cpp_echo_server \
  grpc_interop_server grpc_cpp_stream_server grpc_loadgen
exec env GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=1073741824 \
  /usr/bin/python3 scripts/bench_grpc.py --build "$build" "$@"
