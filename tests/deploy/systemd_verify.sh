#!/bin/sh
# systemd-analyze verify on systemd/aic-proxy.service, with /usr/bin/aic-proxy replaced by the
# built binary (verify refuses a unit whose ExecStart does not exist), then the offline security
# score. Any warning counts as failure: verify exits 0 on unknown or unparsable directives.
# $1 = unit file, $2 = aic-proxy binary.
set -u
unit=$1 bin=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze not installed"; exit 77
fi
[ -x "$bin" ] || { echo "FAIL: $bin is not built"; exit 1; }
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
sed "s#/usr/bin/aic-proxy#$bin#g" "$unit" > "$work/aic-proxy.service"
grep -q "ExecStart=$bin --config" "$work/aic-proxy.service" || { echo "FAIL: ExecStart not rewritten"; exit 1; }

systemd-analyze verify "$work/aic-proxy.service" >"$work/out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || [ -s "$work/out" ]; then
    echo "FAIL: systemd-analyze verify (exit $rc):"; cat "$work/out"; exit 1
fi

# Exposure is 0..10 (threshold in tenths); the unit scores about 1.6 ("OK").
systemd-analyze security --offline=yes --threshold=25 "$work/aic-proxy.service" >"$work/sec" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "FAIL: systemd-analyze security above threshold (exit $rc):"; cat "$work/sec"; exit 1
fi
tail -n 1 "$work/sec"

# Directives the design requires, checked literally so a silent removal fails here.
# shellcheck disable=SC2016  # '$' and '\$MAINPID' are grep patterns, not expansions
for d in 'Type=notify' 'NotifyAccess=main' 'DynamicUser=yes' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
         'CapabilityBoundingSet=$' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
         'SystemCallFilter=@system-service' 'LoadCredential=sa.jwk:/etc/aic-proxy/sa.jwk' \
         'ExecReload=/bin/kill -HUP \$MAINPID' 'WantedBy=multi-user.target'; do
    grep -q "^$d" "$unit" || { echo "FAIL: $d missing from $unit"; exit 1; }
done
echo "OK"
