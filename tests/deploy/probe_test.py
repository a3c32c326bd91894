#!/usr/bin/env python3
"""docker/probe.sh (the image's HEALTHCHECK and the Kubernetes exec probes) against a real HTTP
server on loopback: 200 -> exit 0; 503, a refused Host header, a closed port -> exit 1.
Usage: probe_test.py PROBE_SH"""
import http.server
import socket
import subprocess
import sys
import threading

seen_hosts = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        seen_hosts.append(self.headers.get("Host"))
        # Like the proxy: only local Host names are accepted.
        if self.headers.get("Host") != "localhost":
            code = 403
        else:
            code = {"/_proxy/healthz": 200, "/_proxy/readyz": 503}.get(self.path, 404)
        body = b"{}"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the probe stops reading after the status line

    def log_message(self, *args):
        pass


def run_probe(probe, path, port):
    return subprocess.run(["bash", probe, path, str(port)], capture_output=True, timeout=30).returncode


def main():
    probe = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    failures = []
    for path, expected in (("/_proxy/healthz", 0), ("/_proxy/readyz", 1), ("/nothing", 1)):
        rc = run_probe(probe, path, port)
        if rc != expected:
            failures.append(f"{path}: exit {rc}, expected {expected}")
    if any(h != "localhost" for h in seen_hosts) or len(seen_hosts) != 3:
        failures.append(f"unexpected Host headers {seen_hosts}")
    server.shutdown()
    server.server_close()

    # A port nobody listens on: bind to get a free one, then close it before probing.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    rc = run_probe(probe, "/_proxy/healthz", closed)
    if rc == 0:
        failures.append("a closed port probed healthy")

    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
