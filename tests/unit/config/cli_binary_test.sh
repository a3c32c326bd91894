#!/bin/sh
# Runs the real aic-proxy binary: $1 = binary, $2 = source dir, $3 = case.
# The test-only credentials are copied into a private directory with mode 0600 (git keeps 0644)
# and reached through $CREDENTIALS_DIRECTORY, as systemd's LoadCredential= would provide them.
set -u
bin=$1 src=$2 case=$3
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
cp "$src"/tests/data/config/test-only-credentials/* "$work"/
chmod 600 "$work"/*
export CREDENTIALS_DIRECTORY="$work"
unset AIC_TENANT

expect() {  # expect CODE PATTERN STREAM -- ARGS...
    code=$1 pattern=$2 stream=$3
    shift 4
    "$bin" "$@" >"$work/out" 2>"$work/err"
    rc=$?
    if [ "$rc" -ne "$code" ]; then
        echo "FAIL: aic-proxy $*: exit $rc, expected $code"; cat "$work/out" "$work/err"; exit 1
    fi
    if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$work/$stream"; then
        echo "FAIL: aic-proxy $*: '$pattern' not in std$stream"; cat "$work/out" "$work/err"; exit 1
    fi
    # No secret from the fixtures may ever be printed.
    if grep -q -e 'test-only-iga-client-secret' -e 'test-only-log-api-secret' -e '"d"' -e 'PRIVATE KEY' "$work/out" "$work/err"; then
        echo "FAIL: aic-proxy $*: a secret was printed"; exit 1
    fi
}

case $case in
example)  expect 0 '^OK$' out -- check --config "$src/config/aic-proxy.example.json"
          grep -q 'client_secret: set (27 bytes)' "$work/out" || { echo "FAIL: masked secret line missing"; cat "$work/out"; exit 1; } ;;
minimal)  expect 0 'routes (built-in AIC table)' out -- check --config "$src/config/minimal.json" ;;
broken)   expect 1 'credentials.sa.key_fle: unknown key' err -- check --config "$src/tests/data/config/broken-unknown-key.json" ;;
bad-key)  expect 1 'credentials.sa: key not usable' err -- check --config "$src/tests/data/config/bad-key.json" ;;
run-broken) expect 2 'credentials.sa.key_fle' err -- --config "$src/tests/data/config/broken-unknown-key.json" ;;
usage)    expect 64 'unknown option --bogus' err -- --bogus ;;
version)  expect 0 '^aic-proxy [0-9]' out -- --version ;;
*)        echo "unknown case $case"; exit 1 ;;
esac
echo "ok: $case"
