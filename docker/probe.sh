#!/bin/bash
# aic-proxy-probe [PATH] [PORT]: exit 0 when http://127.0.0.1:PORT/PATH answers 200.
# Used by the image's HEALTHCHECK and the Kubernetes exec probes. bash's /dev/tcp is enough for one
# GET on loopback, so the slim image carries no HTTP client. Host: localhost passes the proxy's
# Host allow-list.
set -u
path=${1:-/_proxy/healthz}
port=${2:-8080}
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: aic-proxy-probe\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
