#!/bin/sh
# Regenerates the golden fixtures (STYLE.md 2.8) under
# tests/codegen/fixtures/<name>/out with a built idlgen:
#
#   tests/codegen/update_fixtures.sh [path/to/idlgen]
#
# Without an argument, uses the first idlgen found in build*/codegen/.
# Each fixture's `cmd` holds idlgen's arguments, run from the fixture's
# directory (so banners name `src/...`), plus `--out out`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
idlgen=${1:-}
if [ -z "$idlgen" ]; then
  for candidate in "$root"/build/codegen/idlgen "$root"/build*/codegen/idlgen; do
    if [ -x "$candidate" ]; then idlgen=$candidate; break; fi
  done
fi
if [ -z "$idlgen" ] || [ ! -x "$idlgen" ]; then
  echo "update_fixtures.sh: no idlgen found; pass its path" >&2
  exit 1
fi
idlgen=$(cd "$(dirname "$idlgen")" && pwd)/$(basename "$idlgen")
for dir in "$here"/fixtures/*/; do
  (
    cd "$dir"
    rm -rf out
    # shellcheck disable=SC2046  # cmd holds whitespace-separated arguments
    "$idlgen" --out out $(cat cmd)
  )
  echo "updated ${dir%/}/out"
done
