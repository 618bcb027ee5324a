#!/usr/bin/env python3
"""OpenID Connect discovery against a real, independently written provider (oidc-provider from
the npm registry, on 127.0.0.1): the orders service, configured with nothing but the issuer URL
and the audience, must accept the provider's RS256, ES256 and EdDSA JWT access tokens with the
right scope, refuse them without it (403), and refuse tokens for another audience (401).
Usage: oidc_interop.py ORDERS_BINARY"""

import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from common import Orders, Tally, free_port, request

t = Tally("oidc interop")
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = {"rs256-client": "RS256", "es256-client": "ES256", "eddsa-client": "EdDSA", "ed25519-client": "Ed25519"}


def token(issuer, client, resource="urn:orders", scope="orders:read"):
    data = urllib.parse.urlencode({"grant_type": "client_credentials", "resource": resource, "scope": scope}).encode()
    req = urllib.request.Request(f"{issuer}/token", data=data, method="POST")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{client}:{client}-secret".encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())["access_token"]


def header_of(jwt):
    part = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def main(binary):
    port = free_port()
    provider = subprocess.Popen(["node", "provider.mjs", str(port)], cwd=f"{HERE}/oidc", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = provider.stdout.readline().strip()
        if not line.startswith("ready "):
            print(f"FAIL the OpenID provider did not start: {line!r}")
            return 1
        issuer = line.split(" ", 1)[1]
        with Orders(binary, AUTH_OIDC_ISSUER=issuer, AUTH_AUDIENCE="urn:orders", AUTH_FAILURE_LIMIT="0", AUTH_DPOP="off") as srv:
            run(srv, issuer)
    finally:
        provider.terminate()
        provider.wait(timeout=10)
    return t.report()


def metadata(srv):
    """The resource_metadata parameter every Bearer challenge ends with (RFC 9728 §5.1)."""
    return f', resource_metadata="http://127.0.0.1:{srv.port}/.well-known/oauth-protected-resource"'


def run(srv, issuer):
    for client, alg in CLIENTS.items():
        good = token(issuer, client)
        t.check(f"{alg}: the provider signs with {alg} and typ at+jwt", header_of(good).get("alg") == alg and header_of(good).get("typ") == "at+jwt", header_of(good))
        start = time.perf_counter()
        code, _, _, body = request(srv.port, "GET", "/orders", [("Authorization", f"Bearer {good}")])
        elapsed = (time.perf_counter() - start) * 1000
        t.check(f"{alg}: accepted with orders:read", code == 200, f"{code} {body}")
        print(f"{alg}: first request {elapsed:.1f} ms")
        code, _, challenges, _ = request(srv.port, "GET", "/me", [("Authorization", f"Bearer {good}")])
        t.check(f"{alg}: /me", code == 200)

        no_scope = token(issuer, client, scope="orders:write")
        code, _, challenges, _ = request(srv.port, "GET", "/orders", [("Authorization", f"Bearer {no_scope}")])
        t.check(f"{alg}: refused without the scope (403)", code == 403 and challenges == [f'Bearer realm="orders", error="insufficient_scope", scope="orders:read"{metadata(srv)}'], f"{code} {challenges}")

        other = token(issuer, client, resource="urn:other-api")
        code, _, challenges, _ = request(srv.port, "GET", "/orders", [("Authorization", f"Bearer {other}")])
        t.check(f"{alg}: refused for another audience (401)", code == 401 and challenges == [f'Bearer realm="orders", error="invalid_token"{metadata(srv)}'], f"{code} {challenges}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
