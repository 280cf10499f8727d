#!/usr/bin/env bash
# Installs build/ into a scratch prefix and builds + runs a consumer project
# against it with find_package(ferry CONFIG), then the same consumer with
# ferry pulled in by add_subdirectory. Needs a configured build/.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cmake --install build --prefix "$scratch/prefix" > /dev/null
cmake -S tests/install -B "$scratch/installed" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$scratch/installed" > /dev/null
"$scratch/installed/consumer"

cmake -S tests/install -B "$scratch/vendored" -G Ninja \
  -DFERRY_SOURCE_DIR="$PWD" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$scratch/vendored" --target consumer > /dev/null
"$scratch/vendored/consumer"
echo "check-install: find_package and add_subdirectory consumers work"
