#!/usr/bin/env bash
# ctest: installs this build of ferry into a scratch prefix, then configures,
# builds and runs a copy of examples/idl_consumer against it with
# find_package(ferry): the installed idlgen, protoc-gen-ferry, FerryIdl.cmake
# and the codec, transport and gRPC headers (generated service code uses
# them) must suffice.
# Then checks the build dependencies: editing the *included* shared.thrift
# must regenerate greeter.thrift's code too (the depfile), and a rebuild
# with nothing changed must run nothing.
#   idl_consumer_test.sh <ferry build dir> <ferry source dir>
set -euo pipefail
build=$1
source=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
cp -r "$source/examples/idl_consumer" "$scratch/project"
cmake -S "$scratch/project" -B "$scratch/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$scratch/consumer"
"$scratch/consumer/idl_consumer"
"$scratch/consumer/idl_consumer_grpc"

if ! ninja -C "$scratch/consumer" -n | grep -q "no work to do"; then
  echo "FAIL: a second build with nothing changed still has work" >&2
  exit 1
fi
sleep 1  # mtime granularity
touch "$scratch/project/idl/shared.thrift"
plan=$(ninja -C "$scratch/consumer" -n)
if ! grep -q "idlgen idl/greeter.thrift" <<<"$plan"; then
  echo "FAIL: editing the included shared.thrift did not regenerate greeter.thrift:" >&2
  echo "$plan" >&2
  exit 1
fi
echo "idl_consumer: installed build works; included files trigger regeneration"
