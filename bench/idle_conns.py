#!/usr/bin/env python3
"""Opens N keep-alive client connections to a proxy, completes one request on each, then holds them
idle so the caller can read the proxy's RSS. Prints "ready <ok> <failed>" once every connection has
its response, then sleeps until killed (or --hold seconds pass, so it can never outlive the bench)."""

import argparse
import socket
import sys
import time


def read_response(sock: socket.socket) -> int:
    """Reads one HTTP/1.1 response with a Content-Length body; returns the status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        body += chunk
    return status


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/openidm/managed/alpha_user?_queryFilter=true")
    p.add_argument("-n", type=int, default=256)
    p.add_argument("--hold", type=float, default=120.0)
    a = p.parse_args()

    request = (f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1:{a.port}\r\n"
               "User-Agent: aic-bench-idle\r\n\r\n").encode()
    socks, ok, failed = [], 0, 0
    for _ in range(a.n):
        try:
            s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
            s.sendall(request)
            if read_response(s) == 200:
                ok += 1
            else:
                failed += 1
            socks.append(s)
        except OSError:
            failed += 1
    print(f"ready {ok} {failed}", flush=True)
    deadline = time.monotonic() + a.hold
    while time.monotonic() < deadline:
        time.sleep(0.2)
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
