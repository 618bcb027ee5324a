"""Shared helpers of the interop suites: a free port, the orders binary on 127.0.0.1, a plain
http.client request, and a pass/fail tally."""

import http.client
import os
import socket
import subprocess
import time


class Tally:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, what, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what} {detail}")

    def report(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, headers=(), body=None):
    """(status, {lower-case name: value}, [WWW-Authenticate values], body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path)
    for name, value in headers:
        conn.putheader(name, value)  # putheader twice sends two fields
    if body is not None:
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body.encode() if body is not None else None)
    res = conn.getresponse()
    data = res.read()
    out = (res.status, {k.lower(): v for k, v in res.getheaders()}, res.msg.get_all("WWW-Authenticate") or [], data)
    conn.close()
    return out


class Orders:
    """The orders binary on a free port of 127.0.0.1, stopped on exit."""

    def __init__(self, binary, **env):
        self.port = free_port()
        full = dict(os.environ, AUTH_ADDR=f"127.0.0.1:{self.port}", RUST_LOG="warn", **env)
        self.proc = subprocess.Popen([binary], env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            try:
                if request(self.port, "GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("the orders service did not start")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
