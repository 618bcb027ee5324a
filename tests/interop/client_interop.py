#!/usr/bin/env python3
"""auth-client against the real orders binary and a real OpenID provider (oidc-provider, on
127.0.0.1), driven by the crate's `orders_client` example: 200 concurrent requests through one
client while its token expires (the provider must see one token request per expiry), a
revocation mid-run (one refresh, one replay each, then an error instead of a loop), a 403 never
retried, DPoP against AUTH_DPOP_NONCE=on (at most one nonce retry), and discovery from nothing
but the resource URL (RFC 9728), with an untrusted authorization server never sent a secret.
Usage: client_interop.py ORDERS_BINARY CLIENT_BINARY"""

import json
import os
import re
import subprocess
import sys
import urllib.request

from common import Orders, Tally, free_port, request
from dpop_interop import OrdersAt

t = Tally("client interop")
HERE = os.path.dirname(os.path.abspath(__file__))


class Provider:
    def __init__(self, *args):
        self.port = free_port()
        self.proc = subprocess.Popen(["node", "provider.mjs", str(self.port), *args], cwd=f"{HERE}/oidc", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("ready "):
            self.close()
            raise RuntimeError(f"the OpenID provider did not start: {line!r}")
        self.issuer = line.split(" ", 1)[1]

    def token_requests(self, client):
        with urllib.request.urlopen(f"{self.issuer}/_test/token-requests", timeout=10) as res:
            return json.loads(res.read()).get(client, [])

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_client(client_binary, *args):
    out = subprocess.run([client_binary, *args], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        print(f"FAIL orders_client {args[0]} exited {out.returncode}: {out.stderr[-2000:]}")
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def refusals_403(port):
    _, _, _, body = request(port, "GET", "/metrics")
    return sum(float(m.group(1)) for m in re.finditer(r'^auth_refusals_total\{[^}]*status="403"[^}]*\} (\S+)$', body.decode(), re.M))


def main(orders_binary, client_binary):
    base_env = dict(AUTH_AUDIENCE="urn:orders", AUTH_FAILURE_LIMIT="0")
    ttl, seconds = 4, 9
    with Provider("--ttl", str(ttl)) as short:
        with Orders(orders_binary, AUTH_OIDC_ISSUER=short.issuer, AUTH_DPOP="off", **base_env) as srv:
            out = run_client(client_binary, "concurrent", short.issuer, srv.base, "es256-client", str(seconds))
            stamps = short.token_requests("es256-client")
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            print(f"concurrent: {out.get('requests')} requests, {len(stamps)} token requests, gaps {gaps} ms")
            t.check("concurrent: every request succeeds while the token expires", out.get("ok") == out.get("requests") and out.get("requests", 0) >= 200, out)
            t.check("concurrent: the token was renewed during the run", len(stamps) >= 3, stamps)
            t.check("concurrent: one token request per expiry (no two within a second)", all(g >= 1000 for g in gaps), gaps)
            t.check("concurrent: no more token requests than lifetimes", len(stamps) <= seconds // (ttl // 2) + 2, stamps)
            t.check("concurrent: no request replayed (the token was renewed ahead of exp)", out.get("sends") == out.get("requests"), out)

    with Provider() as provider:
        port = free_port()
        env = dict(AUTH_OIDC_ISSUER=provider.issuer, AUTH_PUBLIC_ORIGIN=f"http://127.0.0.1:{port}", AUTH_DPOP="allowed", AUTH_DPOP_NONCE="on", **base_env)
        srv = OrdersAt(orders_binary, port, **env)
        try:
            out = run_client(client_binary, "revoke", provider.issuer, srv.base, "rs256-client", "eddsa-client")
            stamps = provider.token_requests("rs256-client")
            t.check("revoke: both revocations taken (204)", out.get("revocations") == [204, 204], out)
            t.check("revoke: warm request", out.get("warm") == 1, out)
            t.check("revoke: all 200 requests succeed after the revocation", out.get("ok_after_revocation") == 200, out)
            t.check("revoke: each request sent at most twice (one replay)", 200 < out.get("sends_burst", 0) <= 400, out)
            t.check("revoke: a refused refreshed token is an error, not a loop", out.get("second") == "invalid_token after 1" and out.get("sends_second") == 2, out)
            t.check("revoke: one token request per revocation (3 in all)", len(stamps) == 3, stamps)

            before = refusals_403(port)
            out = run_client(client_binary, "forbidden", provider.issuer, srv.base, "es256-client")
            t.check("403: a typed error naming the scope", out.get("outcome") == "insufficient_scope orders:write", out)
            t.check("403: never retried (the client sent one request)", out.get("sends") == 1, out)
            t.check("403: the server counted one refusal", refusals_403(port) - before == 1, refusals_403(port) - before)

            for alg in ("ES256", "EdDSA"):
                out = run_client(client_binary, "dpop", provider.issuer, srv.base, "dpop-client", alg, "50")
                t.check(f"DPoP {alg}: every request succeeds with AUTH_DPOP_NONCE=on", out.get("ok") == 50, out)
                t.check(f"DPoP {alg}: at most one nonce retry for the origin", out.get("sends", 99) <= 51, out)
                t.check(f"DPoP {alg}: the nonce was demanded and obeyed once", out.get("sends") == 51, out)
        finally:
            srv.stop()

        port = free_port()
        resource = f"http://127.0.0.1:{port}/orders"
        srv = OrdersAt(orders_binary, port, AUTH_OIDC_ISSUER=provider.issuer, AUTH_AUDIENCE=resource, AUTH_RESOURCE=resource, AUTH_FAILURE_LIMIT="0", AUTH_DPOP="off")
        try:
            out = run_client(client_binary, "discover", provider.issuer, resource, "ed25519-client", "--untrusted")
            t.check("discovery: an authorization server not trusted is refused", out.get("first") == "untrusted", out)
            t.check("discovery: ... and never sent the client's secret", provider.token_requests("ed25519-client") == [], provider.token_requests("ed25519-client"))
            out = run_client(client_binary, "discover", provider.issuer, resource, "es256-client")
            t.check("discovery: from the resource URL alone to a 200", out.get("first") == "status 200" and out.get("sends_first") == 2, out)
            t.check("discovery: the next request carries the token at once", out.get("again") == "status 200" and out.get("sends") == 3, out)
        finally:
            srv.stop()
    return t.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
