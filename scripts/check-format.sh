#!/usr/bin/env bash
# Fails (and prints the diff) if any of ferry's own C++ sources is not
# formatted with the root .clang-format. Debian's clang-format 14 is pinned:
# other versions format differently.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format)
version=$("$cf" --version)
if [[ "$version" != *"version 14."* ]]; then
  echo "check-format: need clang-format 14, found: $version" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.h' '*.cc' | grep -v '^tests/codegen/fixtures/')
bad=0
for f in "${files[@]}"; do
  if ! diff -u "$f" <("$cf" --style=file "$f") > /tmp/ferry-format.diff; then
    cat /tmp/ferry-format.diff
    bad=1
  fi
done
if ((bad)); then
  echo "check-format: run clang-format -i on the files above" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
