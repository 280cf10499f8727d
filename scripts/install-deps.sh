#!/usr/bin/env bash
# Installs every Debian 12 package ferry needs to build, test, benchmark and
# fuzz. Idempotent: when everything is present it only runs `dpkg-query` and
# exits in well under a second; `apt-get update` runs only when something is
# missing. Needs root (or sudo) only in that case.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang clang-format libclang-rt-14-dev   # clang-format: CI check; rt: fuzzing
  # runtime/
  liburing-dev libabsl-dev libfmt-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # Thrift interop and codec comparisons: Apache Thrift's compiler, C++ and
  # Python libraries (libevent-dev: the headers Apache's TNonblockingServer
  # includes, for the RPC benchmark's reference server); protobuf for the
  # codec benchmark; gnuplot for charts; valgrind (callgrind) for the codec
  # benchmark's instruction counts
  thrift-compiler libthrift-dev libboost-dev python3-thrift libevent-dev
  libprotobuf-dev protobuf-compiler libprotoc-dev gnuplot-nox valgrind
  # gRPC: HTTP/2 (nghttp2), gzip message compression (zlib), and the interop
  # and benchmark peers (gRPC C++ with its protoc plugin, python3-grpcio)
  libnghttp2-dev zlib1g-dev libgrpc++-dev protobuf-compiler-grpc python3-grpcio
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
