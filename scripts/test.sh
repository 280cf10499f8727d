#!/usr/bin/env bash
# Builds ferry into build/ (RelWithDebInfo) and runs every test with ctest.
#
#   scripts/test.sh                      # the README's test command
#   scripts/test.sh --sanitize address,undefined   # into build-asan/
#   scripts/test.sh --sanitize thread --filter 'Runtime'  # into build-tsan/
#   ... --targets 'runtime_test thrift_rpc_test'   # build only these
#
# Installs missing Debian packages first (scripts/install-deps.sh).
# FERRY_WERROR=ON (set by CI) turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
filter=""
targets=()
while (($#)); do
  case "$1" in
    --sanitize) sanitize="$2"; shift 2 ;;
    --sanitize=*) sanitize="${1#*=}"; shift ;;
    --filter) filter="$2"; shift 2 ;;
    --filter=*) filter="${1#*=}"; shift ;;
    --targets) read -ra targets <<< "$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

bash scripts/install-deps.sh

build=build
extra=()
if [[ -n "$sanitize" ]]; then
  case "$sanitize" in
    thread) build=build-tsan ;;
    *) build=build-asan ;;
  esac
  # Sanitizer passes need only the tests.
  extra+=(-DFERRY_SANITIZE="$sanitize" -DFERRY_BUILD_BENCH=OFF
          -DFERRY_BUILD_EXAMPLES=OFF)
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFERRY_WERROR="${FERRY_WERROR:-OFF}" "${extra[@]}"
if ((${#targets[@]})); then
  cmake --build "$build" --target "${targets[@]}"
else
  cmake --build "$build"
fi

ctest_args=(--test-dir "$build" --output-on-failure -j "$(nproc)"
            --timeout 300)
[[ -n "$filter" ]] && ctest_args+=(-R "$filter")
ctest "${ctest_args[@]}"
