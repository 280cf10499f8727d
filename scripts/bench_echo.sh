#!/usr/bin/env bash
# Echo benchmark: raw_echo's server under each I/O backend, and the
# hand-written liburing server it is measured against
# (bench/runtime/uring_echo_reference, backend "reference" below), driven by
# echo_load, over payload {32 B, 1 KiB} x {64 conns x 1 in flight, 8 conns x
# 16 in flight}. Prints a markdown table (qps, latency percentiles, server
# CPU and allocations per message) and, per case, the epoll/io_uring qps
# ratio and ferry's io_uring qps and server CPU per message against the
# reference's.
#
#   scripts/bench_echo.sh [BUILD_DIR]        # default: build
#
# Builds nothing: needs BUILD_DIR/examples/raw_echo/raw_echo and
# BUILD_DIR/bench/runtime/echo_load; the reference cases also need
# BUILD_DIR/bench/runtime/uring_echo_reference (only built with io_uring;
# without it they are skipped). Every case gets a fresh server (one worker,
# pinned to SERVER_CPU) so its allocation line covers that case alone; the
# reference counts no allocations. echo_load runs pinned to CLIENT_CPU. The
# server's backend comes from FERRY_IO_BACKEND; the load generator keeps one
# backend throughout (LOAD_BACKEND, default: the runtime's choice), so the
# ratios compare the servers only.
#
# Environment:
#   SECONDS_PER_RUN  measured seconds per case (default 5)
#   WARMUP_SECONDS   unmeasured seconds before that (default 1)
#   SERVER_CPU       CPU for the server (default 0)
#   CLIENT_CPU       CPU for echo_load (default 1)
#   LOAD_BACKEND     FERRY_IO_BACKEND for echo_load (default: unset)
#
# Progress goes to stderr, the table to stdout. Exits 1 if any case failed
# (its row then says why).
set -euo pipefail

build_dir=${1:-build}
seconds_per_run=${SECONDS_PER_RUN:-5}
warmup_seconds=${WARMUP_SECONDS:-1}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
load_backend=${LOAD_BACKEND:-}

raw_echo="$build_dir/examples/raw_echo/raw_echo"
echo_load="$build_dir/bench/runtime/echo_load"
reference="$build_dir/bench/runtime/uring_echo_reference"

die() {
  echo "bench_echo: $*" >&2
  exit 1
}

for bin in "$raw_echo" "$echo_load"; do
  [[ -x "$bin" ]] ||
    die "$bin not found; build the raw_echo and echo_load targets first"
done
for v in seconds_per_run warmup_seconds server_cpu client_cpu; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
((seconds_per_run > 0)) || die "SECONDS_PER_RUN must be at least 1"
command -v taskset >/dev/null || die "taskset not found (util-linux)"
backends=(io_uring epoll reference)
if [[ ! -x "$reference" ]]; then
  echo "bench_echo: $reference not found (built only with io_uring);" \
    "skipping the reference cases" >&2
  backends=(io_uring epoll)
fi

tmp=$(mktemp -d)
server_pid=""
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The value of `key=` in an echo_load result line.
field() {
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

# Waits up to $2 tenths of a second for process $1 to exit; 0 if it did.
wait_exit() {
  local pid=$1 tenths=$2 i
  for ((i = 0; i < tenths; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# Runs one case; appends a table row to $tmp/rows and, on success, records
# the qps in $tmp/qps.<backend>.<payload>.<conns>.<inflight>. Backend
# "reference" runs uring_echo_reference instead of raw_echo. Returns 1 on
# failure.
run_case() {
  local backend=$1 payload=$2 conns=$3 inflight=$4
  local run="$tmp/$backend.$payload.$conns.$inflight"
  local row_prefix="| $backend | $payload | $conns | $inflight"
  local i
  echo "bench_echo: $backend, $payload B, $conns conns x $inflight" \
    "in flight" >&2

  local server_cmd listening
  if [[ "$backend" == reference ]]; then
    server_cmd=("$reference" --port 0)
    listening='s/^uring_echo_reference: listening on .*:\([0-9][0-9]*\)$/\1/p'
  else
    server_cmd=(env "FERRY_IO_BACKEND=$backend" "$raw_echo" server --port 0
      --threads 1)
    listening='s/^raw_echo: listening on .*:\([0-9][0-9]*\) (.*/\1/p'
  fi
  taskset -c "$server_cpu" "${server_cmd[@]}" >"$run.server.out" \
    2>"$run.server.err" &
  server_pid=$!
  local port=""
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n "$listening" "$run.server.out" 2>/dev/null || true)
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$port" ]]; then
    local why
    why=$(tail -n 1 "$run.server.err" 2>/dev/null || true)
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    echo "$row_prefix | server did not start: ${why:-no output} | | | | |" \
      >>"$tmp/rows"
    return 1
  fi

  local load_env=(env -u FERRY_IO_BACKEND)
  [[ -n "$load_backend" ]] && load_env=(env "FERRY_IO_BACKEND=$load_backend")
  local limit=$((warmup_seconds + seconds_per_run + 30))
  local load_status=0
  "${load_env[@]}" timeout "$limit" taskset -c "$client_cpu" "$echo_load" \
    --port "$port" --connections "$conns" --inflight "$inflight" \
    --payload "$payload" --seconds "$seconds_per_run" \
    --warmup "$warmup_seconds" >"$run.load.out" 2>"$run.load.err" ||
    load_status=$?

  # Server CPU time (user + system, in clock ticks) over the whole run: with
  # two CPUs the load generator, not the server, usually bounds qps, so CPU
  # per echoed message is the fair measure of server cost.
  local cpu_ticks
  cpu_ticks=$(awk '{print $14 + $15}' "/proc/$server_pid/stat" 2>/dev/null ||
    echo "")
  # SIGINT makes the server print its allocation (or message) line and exit.
  kill -INT "$server_pid" 2>/dev/null || true
  if ! wait_exit "$server_pid" 100; then
    kill -KILL "$server_pid" 2>/dev/null || true
    echo "bench_echo: server ignored SIGINT for 10 s; killed" >&2
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""

  local line allocs
  line=$(grep '^echo_load:' "$run.load.out" || true)
  allocs=$(sed -n 's/^raw_echo: .* (\([0-9.]*\) per message)$/\1/p' \
    "$run.server.out")
  [[ "$backend" == reference ]] && allocs="n/a"
  if ((load_status != 0)) || [[ -z "$line" ]]; then
    local why
    why=$(tail -n 1 "$run.load.err" 2>/dev/null || true)
    echo "$row_prefix | echo_load failed (status $load_status):" \
      "${why:-no output} | | | | |" >>"$tmp/rows"
    return 1
  fi
  local messages cpu_us_per_msg="?"
  messages=$(sed -n 's/^[a-z_]*: \([0-9][0-9]*\) messages echoed.*/\1/p' \
    "$run.server.out")
  if [[ -n "$cpu_ticks" && -n "$messages" ]] && ((messages > 0)); then
    cpu_us_per_msg=$(awk -v t="$cpu_ticks" -v hz="$(getconf CLK_TCK)" \
      -v m="$messages" 'BEGIN { printf "%.2f", t / hz * 1e6 / m }')
    echo "$cpu_us_per_msg" >"$tmp/cpu.$backend.$payload.$conns.$inflight"
  fi
  local qps
  qps=$(field qps "$line")
  echo "$qps" >"$tmp/qps.$backend.$payload.$conns.$inflight"
  local p50 p99 p999
  p50=$(field p50_us "$line")
  p99=$(field p99_us "$line")
  p999=$(field p999_us "$line")
  echo "$row_prefix | $qps | $p50 | $p99 | $p999 | $cpu_us_per_msg" \
    "| ${allocs:-?} |" >>"$tmp/rows"
}

payloads=(32 1024)
shapes=("64 1" "8 16")
failed=0
: >"$tmp/rows"
for backend in "${backends[@]}"; do
  for payload in "${payloads[@]}"; do
    for shape in "${shapes[@]}"; do
      read -r conns inflight <<<"$shape"
      run_case "$backend" "$payload" "$conns" "$inflight" || failed=1
    done
  done
done

echo "Echo benchmark: raw_echo server (1 worker, CPU $server_cpu) vs" \
  "echo_load (CPU $client_cpu), ${seconds_per_run} s per case after" \
  "${warmup_seconds} s warm-up. Backend \"reference\" is" \
  "uring_echo_reference, a single-threaded liburing server without ferry."
echo
echo "| backend | payload (B) | conns | inflight | qps | p50 (us) | p99 (us)" \
  "| p999 (us) | server CPU (us/msg) | allocs/msg |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$tmp/rows"
echo
# The qps of file $1 over that of file $2, or n/a.
qps_ratio() {
  if [[ -s "$1" && -s "$2" ]]; then
    awk -v a="$(cat "$1")" -v b="$(cat "$2")" \
      'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
  else
    echo "n/a"
  fi
}

echo "| payload (B) | conns | inflight | epoll/io_uring qps" \
  "| io_uring/reference qps | io_uring/reference server CPU per msg |"
echo "|---:|---:|---:|---:|---:|---:|"
for payload in "${payloads[@]}"; do
  for shape in "${shapes[@]}"; do
    read -r conns inflight <<<"$shape"
    case_key="$payload.$conns.$inflight"
    uring="$tmp/qps.io_uring.$case_key"
    epoll="$tmp/qps.epoll.$case_key"
    ref="$tmp/qps.reference.$case_key"
    echo "| $payload | $conns | $inflight | $(qps_ratio "$epoll" "$uring")" \
      "| $(qps_ratio "$uring" "$ref")" \
      "| $(qps_ratio "$tmp/cpu.io_uring.$case_key" \
        "$tmp/cpu.reference.$case_key") |"
  done
done
exit "$failed"
