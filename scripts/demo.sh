#!/usr/bin/env bash
# ferry's demo: builds ferry into build/ and runs a server and a client
# through the whole stack on loopback (for now the raw length-prefixed echo
# on the io_uring runtime; the RPC demo replaces it when it lands).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFERRY_WERROR="${FERRY_WERROR:-OFF}"
cmake --build build --target raw_echo
exec build/examples/raw_echo/raw_echo demo "$@"
