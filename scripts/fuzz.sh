#!/usr/bin/env bash
# Builds ferry's libFuzzer targets with clang (ASan+UBSan, build-fuzz/) and
# runs each for a bounded time over a scratch copy of its seed corpus
# (tests/fuzz/corpus/<target minus _fuzz>/), so the checked-in corpus only
# changes when someone commits new seeds on purpose.
#
#   scripts/fuzz.sh [--time SECONDS] [--target NAME]
#
# Exits non-zero if any target finds a crash, leak, UB or timeout; the
# reproducer is kept in build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30
only=""
while (($#)); do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --target) only="$2"; shift 2 ;;
    *) echo "usage: $0 [--time SECONDS] [--target NAME]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DFERRY_ENABLE_FUZZ=ON -DFERRY_BUILD_TESTS=OFF -DFERRY_BUILD_BENCH=OFF \
  -DFERRY_BUILD_EXAMPLES=OFF -DFERRY_INSTALL=OFF -DFERRY_WERROR="${FERRY_WERROR:-OFF}" \
  > /dev/null
cmake --build build-fuzz --target ferry_fuzz_targets

mkdir -p build-fuzz/artifacts
failed=0
for binary in build-fuzz/tests/fuzz/*_fuzz; do
  target=$(basename "$binary")
  [[ -z "$only" || "$only" == "$target" ]] || continue
  seeds="tests/fuzz/corpus/${target%_fuzz}"
  work=$(mktemp -d)
  [[ -d "$seeds" ]] && cp -r "$seeds"/. "$work"/
  echo "fuzz: $target for ${seconds}s ($(ls "$work" | wc -l) seeds)"
  extra=()
  # The gRPC server target frees memory on the server's own threads after
  # each input returns, which libFuzzer's per-input leak check mistakes for
  # leaks (and re-runs every input to confirm); LSan still checks at exit.
  [[ "$target" == grpc_server_fuzz ]] && extra+=(-detect_leaks=0)
  if ! "$binary" -max_total_time="$seconds" "${extra[@]}" \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix=build-fuzz/artifacts/"$target"- "$work" \
      > "build-fuzz/$target.log" 2>&1; then
    echo "fuzz: $target FAILED; log build-fuzz/$target.log" >&2
    tail -40 "build-fuzz/$target.log" >&2
    failed=1
  else
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" \
      "build-fuzz/$target.log" | tail -2 || true
  fi
  rm -rf "$work"
done
exit "$failed"
