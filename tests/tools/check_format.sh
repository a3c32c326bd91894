#!/bin/sh
# Fails when a C++ file under src/, tests/ or tools/ is not as clang-format (the repository's
# .clang-format) would write it, naming each file and line. Debian 12's clang-format is version 14;
# another version may format a few constructs differently, so the check wants that one.
set -eu
root=$1
format=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$format" ]; then
  echo "clang-format not found (tools/install-deps installs it)" >&2
  exit 1
fi
cd "$root"
files=$(find src tests tools -type f \( -name '*.cpp' -o -name '*.hpp' \) | sort)
[ -n "$files" ] || { echo "no C++ files found under $root" >&2; exit 1; }
# shellcheck disable=SC2086  # one argument per file; the paths have no spaces
"$format" --dry-run --Werror $files
echo "$(echo "$files" | wc -l) files formatted as .clang-format says"
