#!/bin/sh
# Runs shellcheck over every shell script in the repository (found by its #! line, so a new
# script is checked without being listed here). Warnings and notes both fail: a deliberate case
# carries a "# shellcheck disable=SCnnnn" with the reason beside it.
set -eu
root=$1
command -v shellcheck >/dev/null || { echo "shellcheck not found (tools/install-deps installs it)" >&2; exit 1; }
cd "$root"
scripts=$(find . -path ./build -prune -o -path ./.git -prune -o -type f -print |
  while read -r f; do
    case "$(head -c 64 "$f" | head -n 1)" in
      '#!/bin/sh'* | '#!/bin/bash'* | '#!/usr/bin/env bash'* | '#!/usr/bin/env sh'*) echo "$f" ;;
    esac
  done | sort)
[ -n "$scripts" ] || { echo "no shell scripts found under $root" >&2; exit 1; }
# shellcheck disable=SC2086  # one argument per script; the paths have no spaces
shellcheck --external-sources $scripts
echo "$(echo "$scripts" | wc -l) scripts pass shellcheck"
