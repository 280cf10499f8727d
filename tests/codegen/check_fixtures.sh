#!/bin/sh
# The golden-fixture test (STYLE.md 2.8): regenerates every fixture into a
# temporary directory with the given idlgen and fails on any difference from
# the checked-in out/. Fix a failure by running update_fixtures.sh and
# reviewing the diff.
#
#   tests/codegen/check_fixtures.sh path/to/idlgen
set -eu
here=$(cd "$(dirname "$0")" && pwd)
idlgen=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for dir in "$here"/fixtures/*/; do
  name=$(basename "$dir")
  mkdir -p "$tmp/$name"
  cp -R "$dir/src" "$dir/cmd" "$tmp/$name/"
  (
    cd "$tmp/$name"
    # shellcheck disable=SC2046  # cmd holds whitespace-separated arguments
    "$idlgen" --out out $(cat cmd) 2>/dev/null
  ) || { echo "FAIL: idlgen failed on fixture $name"; status=1; continue; }
  if ! diff -ru "$dir/out" "$tmp/$name/out"; then
    echo "FAIL: fixture $name differs; run tests/codegen/update_fixtures.sh"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "all fixtures match"
exit "$status"
