#!/usr/bin/env python3
"""Load under faults: wrk on 127.0.0.1 sends valid, expired, forged and malformed tokens to the
orders service at once, while its key-set endpoint answers, fails with 503, disappears entirely,
and comes back. Passes when there is no 5xx but the documented 503, no wrong answer (a forged
token never 200, a valid one never refused), and memory stays bounded.
Usage: faults.py ORDERS_BINARY SECONDS"""

import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

import jwt  # PyJWT[crypto]
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from common import Orders, Tally, free_port  # noqa: E402

KEYS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "keys")
t = Tally("load under faults")


def read(name):
    with open(os.path.join(KEYS, name), "rb") as f:
        return f.read()


class KeySetServer:
    """A JWKS endpoint on 127.0.0.1 whose behaviour the test switches: up, 503, gone."""

    def __init__(self, jwks):
        self.port, self.mode, self.hits, self.jwks = free_port(), "up", 0, jwks
        self.httpd = None
        self.start()

    def start(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.hits += 1
                if owner.mode == "503":
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps(owner.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def main(binary, seconds):
    private = read("rsa_private.pem")
    public = serialization.load_pem_public_key(read("rsa_public.pem"))
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
    jwk.update(kid="load-key", alg="RS256", use="sig")
    keys = KeySetServer({"keys": [jwk]})
    now = int(time.time())

    def token(key, kid, exp):
        return jwt.encode({"sub": "load", "scope": "orders:read", "exp": exp}, key, algorithm="RS256", headers={"kid": kid})

    attacker = read("attacker_rsa_private.pem")
    classes = {
        "valid": [f"Bearer {token(private, 'load-key', now + 3600)}"],
        "expired": [f"Bearer {token(private, 'load-key', now - 3600)}"],
        "forged": [f"Bearer {token(attacker, 'load-key', now + 3600)}"] + [f"Bearer {token(attacker, f'rotated-{i}', now + 3600)}" for i in range(50)],
        "malformed": ["Bearer", "Bearer a b", "Bearer\tabc", 'Bearer "quoted"'],
    }
    allowed = {"valid": {"200"}, "expired": {"401"}, "forged": {"401"}, "malformed": {"400"}}

    with Orders(binary, AUTH_JWKS_URL=f"http://127.0.0.1:{keys.port}/jwks", AUTH_FAILURE_LIMIT="0") as srv:
        rss_before = rss_kib(srv.proc.pid)
        files, procs = [], {}
        for name, values in classes.items():
            f = tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt")
            f.write("\n".join(values) + "\n")
            f.close()
            files.append(f.name)
            procs[name] = subprocess.Popen(
                ["wrk", "-t1", "-c4", f"-d{seconds}s", "--timeout", "5s", "-s", os.path.join(os.path.dirname(os.path.abspath(__file__)), "status.lua"), srv.base],
                env=dict(os.environ, TOKENS_FILE=f.name), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        phase = seconds / 4
        time.sleep(phase)
        keys.mode = "503"
        time.sleep(phase)
        keys.stop()  # gone: connections refused
        time.sleep(phase)
        keys.mode = "up"
        keys.start()
        outputs = {name: p.communicate(timeout=seconds + 30)[0] for name, p in procs.items()}
        rss_after = rss_kib(srv.proc.pid)
        for path in files:
            os.unlink(path)

    print(f"{'class':10} {'requests/s':>11}  statuses")
    for name, out in outputs.items():
        counts = dict(kv.split("=") for kv in re.search(r"counts (.*)", out).group(1).split())
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
        seen = {k for k, v in counts.items() if k not in ("errors",) and int(v) > 0}
        print(f"{name:10} {rps:>11}  " + " ".join(f"{k}={v}" for k, v in counts.items() if int(v) > 0))
        t.check(f"{name}: only {sorted(allowed[name])}", seen <= allowed[name], counts)
        t.check(f"{name}: no 5xx but 503", counts["5xx"] == "0", counts)
        t.check(f"{name}: no socket errors", counts["errors"] == "0", counts)
        t.check(f"{name}: traffic flowed", sum(int(v) for k, v in counts.items() if k != "errors") > 100, counts)
    print(f"key-set fetches during the run: {keys.hits}; RSS before {rss_before} KiB, after {rss_after} KiB")
    t.check("memory bounded (RSS grew by less than 64 MiB)", rss_after - rss_before < 64 * 1024, (rss_before, rss_after))
    keys.stop()
    return t.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20))
