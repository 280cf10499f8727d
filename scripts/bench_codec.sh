#!/usr/bin/env bash
# The codec comparison in one command: builds build/bench/codec_bench, runs
# it once (every implementation in the same run, pinned to one CPU, with the
# glibc tunable ../shared/bench/README.md asks for), and writes
#   bench/results/codec.md    ns/op, MB/s and ferry's ratio to each reference
#   bench/results/codec.png   a bar chart of ns/op (gnuplot)
#   bench/results/codec.json  Google Benchmark's raw output
#   bench/results/codec_instructions.json  instructions per decode with and
#                             without error paths (callgrind; deterministic)
#
#   scripts/bench_codec.sh [BUILD_DIR]          # default: build
#
# Environment: BENCH_CPU (default 1), MIN_TIME (seconds per benchmark,
# default 0.5), REPETITIONS (default 3; the median is reported).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cpu=${BENCH_CPU:-1}
out=bench/results
mkdir -p "$out"

scripts/install-deps.sh > /dev/null
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
cmake --build "$build" --target codec_bench > /dev/null

export GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=1073741824
taskset -c "$cpu" "$build/bench/codec_bench" \
  --benchmark_min_time="${MIN_TIME:-0.5}" \
  --benchmark_repetitions="${REPETITIONS:-3}" \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/codec.json" --benchmark_out_format=json > /dev/null

/usr/bin/python3 scripts/codec_instructions.py "$build" \
  "$out/codec_instructions.json"

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
/usr/bin/python3 scripts/codec_report.py "$out/codec.json" "$out/codec.md" \
  "$out/codec.dat" "$build_type" "$out/codec_instructions.json"
gnuplot -e "datafile='$out/codec.dat'; outfile='$out/codec.png'" \
  scripts/codec_chart.gp
echo "bench_codec: wrote $out/codec.md and $out/codec.png"
