#!/usr/bin/env bash
# ctest: installs this build of ferry into a scratch prefix, then configures,
# builds and runs examples/idl_consumer against it with find_package(ferry):
# the installed idlgen, FerryIdl.cmake and codec headers must suffice.
#   idl_consumer_test.sh <ferry build dir> <ferry source dir>
set -euo pipefail
build=$1
source=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
cmake -S "$source/examples/idl_consumer" -B "$scratch/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$scratch/consumer"
"$scratch/consumer/idl_consumer"
