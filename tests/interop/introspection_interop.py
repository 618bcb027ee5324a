#!/usr/bin/env python3
"""Opaque access tokens by token introspection (RFC 7662) against a real, independently written
authorization server (oidc-provider from the npm registry, on 127.0.0.1: oidc/introspection_provider.mjs).

Two orders processes: one finds the introspection endpoint by OpenID discovery from
AUTH_OIDC_ISSUER (JWTs keep working beside opaque tokens, with keys from the same document),
one is given AUTH_INTROSPECTION_URL (and AUTH_ISSUER, which the answers' `iss` must equal); both
authenticate as `orders-api` with a secret that needs form-encoding in client_secret_basic.
Two more are misconfigured: a wrong client secret (503, never 401) and a wrong issuer (401).

Cases: scope granted (200) and missing (403 insufficient_scope); another audience (401); a
revoked token served from the cache within AUTH_INTROSPECTION_CACHE_SECS=2 and refused after;
an unknown token (401); the provider stopped (503 with Retry-After for a new token and for one
whose cached answer expired, never 401 or 500; a freshly cached answer still 200); the provider
started again on the same port (200 for a fresh token); and 1 000 concurrent requests carrying
one new token cost the provider exactly one introspection call (latencies printed), once as fast
as it answers and once with the answer held 300 ms so that every request is waiting on it; the
same burst with one JWT first, as the baseline that costs no introspection.
Usage: introspection_interop.py ORDERS_BINARY"""

import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import jwt

from common import Orders, Tally, free_port, request

t = Tally("introspection interop")
HERE = os.path.dirname(os.path.abspath(__file__))
RS_ID, RS_SECRET = "orders-api", "rs:secret%+"
AUDIENCE = "urn:orders"
DEV_SECRET = b"orders-development-key-not-for-production-use"
BURST = 1000
STARTED = []  # every Provider started, stopped by main whatever happens


def check(what, cond, detail=""):
    if cond:
        print(f"PASS {what}")
    t.check(what, cond, detail)


class Provider:
    """introspection_provider.mjs on a given port of 127.0.0.1."""

    def __init__(self, port):
        self.port = port
        self.proc = subprocess.Popen(["node", "introspection_provider.mjs", str(port)], cwd=f"{HERE}/oidc",
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        STARTED.append(self)
        for line in self.proc.stdout:
            if line.startswith("ready "):
                self.issuer = line.split(" ", 1)[1].strip()
                return
        self.stop()
        raise RuntimeError("the authorization server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)


def post_form(url, fields, user, password):
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.status, res.read()


def token(issuer, scope="orders:read", resource=AUDIENCE, client="app-client"):
    _, body = post_form(f"{issuer}/token", {"grant_type": "client_credentials", "resource": resource, "scope": scope},
                        client, f"{client}-secret")
    return json.loads(body)["access_token"]


def revoke(issuer, tok):
    return post_form(f"{issuer}/token/revocation", {"token": tok, "token_type_hint": "access_token"},
                     "app-client", "app-client-secret")[0]


def counts(issuer):
    with urllib.request.urlopen(f"{issuer}/test/introspections", timeout=10) as res:
        return json.loads(res.read())


def introspections(issuer):
    return counts(issuer)["introspections"]


def set_delay(issuer, ms):
    urllib.request.urlopen(urllib.request.Request(f"{issuer}/test/introspection-delay?ms={ms}", method="POST"), timeout=10).read()


def orders(srv, tok):
    return request(srv.port, "GET", "/orders", [("Authorization", f"Bearer {tok}")])


def challenge(srv, error, extra=""):
    """The Bearer challenges allowed for a refusal: with and without resource_metadata (RFC 9728)."""
    bare = f'Bearer realm="orders", error="{error}"{extra}'
    return [[bare], [f'{bare}, resource_metadata="http://127.0.0.1:{srv.port}/.well-known/oauth-protected-resource"']]


def refused(what, srv, res, status, error, extra=""):
    code, _, challenges, body = res
    check(what, code == status and challenges in challenge(srv, error, extra), f"{code} {challenges} {body[:200]!r}")


def unavailable(what, res):
    """503 with Retry-After and `temporarily_unavailable` in the problem+json body; no Bearer
    challenge (docs/schemes.md: 503 carries none), so nothing tells the client to drop its token."""
    code, headers, challenges, body = res
    retry = headers.get("retry-after", "")
    try:
        error = json.loads(body).get("error")
    except ValueError:
        error = None
    ok = code == 503 and retry.isdigit() and error == "temporarily_unavailable" and not challenges
    check(what, ok, f"{code} Retry-After={retry!r} {challenges} {body[:200]!r}")
    return code, retry, error


def main(binary):
    port = free_port()
    provider = Provider(port)
    issuer = provider.issuer
    common = dict(AUTH_AUDIENCE=AUDIENCE, AUTH_INTROSPECTION_CLIENT_ID=RS_ID, AUTH_INTROSPECTION_CACHE_SECS="2",
                  AUTH_FAILURE_LIMIT="0", AUTH_DPOP="off")
    servers = []
    try:
        start = time.perf_counter()
        discovery = Orders(binary, AUTH_OIDC_ISSUER=issuer, AUTH_INTROSPECTION_CLIENT_SECRET=RS_SECRET, **common)
        servers.append(discovery)
        explicit = Orders(binary, AUTH_INTROSPECTION_URL=f"{issuer}/token/introspection", AUTH_ISSUER=issuer,
                          AUTH_INTROSPECTION_CLIENT_SECRET=RS_SECRET, **common)
        servers.append(explicit)
        wrong_secret = Orders(binary, AUTH_INTROSPECTION_URL=f"{issuer}/token/introspection", AUTH_ISSUER=issuer,
                              AUTH_INTROSPECTION_CLIENT_SECRET="rs:secret", **common)
        servers.append(wrong_secret)
        wrong_issuer = Orders(binary, AUTH_INTROSPECTION_URL=f"{issuer}/token/introspection",
                              AUTH_ISSUER="http://127.0.0.1:1", AUTH_INTROSPECTION_CLIENT_SECRET=RS_SECRET, **common)
        servers.append(wrong_issuer)
        run(provider, discovery, explicit, wrong_secret, wrong_issuer)
        print(f"introspection interop: {time.perf_counter() - start:.1f} s")
    finally:
        for srv in servers:
            srv.close()
        for started in STARTED:
            started.stop()
    return t.report()


def run(provider, discovery, explicit, wrong_secret, wrong_issuer):
    issuer = provider.issuer
    variants = {"discovery": discovery, "explicit URL": explicit}
    order = json.dumps({"item": "widget", "quantity": 2})

    for name, srv in variants.items():
        # (1) scope granted
        before = introspections(issuer)
        read = token(issuer)
        check(f"{name}: the token is opaque (not JWS-shaped)", read.count(".") != 2, read)
        start = time.perf_counter()
        code, _, challenges, body = orders(srv, read)
        elapsed = (time.perf_counter() - start) * 1000
        check(f"{name}: opaque token with orders:read -> 200 on GET /orders", code == 200, f"{code} {challenges} {body[:200]!r}")
        print(f"{name}: first request (one introspection) {elapsed:.1f} ms")
        code, _, _, _ = orders(srv, read)
        check(f"{name}: the same token again -> 200, answered from the cache (1 introspection call)",
              code == 200 and introspections(issuer) - before == 1, f"{code} calls={introspections(issuer) - before}")
        code, _, _, body = request(srv.port, "GET", "/me", [("Authorization", f"Bearer {read}")])
        check(f"{name}: /me with the opaque token", code == 200, f"{code} {body[:200]!r}")

        # (2) scope missing
        write = token(issuer, scope="orders:write")
        refused(f"{name}: token with only orders:write -> 403 insufficient_scope on GET /orders", srv, orders(srv, write),
                403, "insufficient_scope", ', scope="orders:read"')
        code, _, _, body = request(srv.port, "POST", "/orders", [("Authorization", f"Bearer {write}")], order)
        check(f"{name}: the orders:write token places an order (201)", code == 201, f"{code} {body[:200]!r}")
        refused(f"{name}: the orders:read token cannot place one (403 insufficient_scope)", srv,
                request(srv.port, "POST", "/orders", [("Authorization", f"Bearer {read}")], order),
                403, "insufficient_scope", ', scope="orders:write"')

        # another audience
        refused(f"{name}: token for urn:other-api -> 401 invalid_token", srv, orders(srv, token(issuer, resource="urn:other-api")),
                401, "invalid_token")

        # (4) unknown
        refused(f"{name}: unknown random opaque token -> 401 invalid_token", srv, orders(srv, secrets.token_urlsafe(32)),
                401, "invalid_token")

    # (7) JWTs beside opaque tokens; a JWS-shaped token is never introspected
    before = introspections(issuer)
    provider_jwt = token(issuer, client="jwt-client")
    code, _, challenges, body = orders(discovery, provider_jwt)
    check("discovery: the provider's RS256 JWT access token -> 200", code == 200, f"{code} {challenges} {body[:200]!r}")
    refused("discovery: JWT with only orders:write -> 403", discovery, orders(discovery, token(issuer, scope="orders:write", client="jwt-client")),
            403, "insufficient_scope", ', scope="orders:read"')
    now = int(time.time())
    hs256 = jwt.encode({"sub": "pyjwt-user", "iss": issuer, "aud": AUDIENCE, "iat": now, "exp": now + 600, "scope": "orders:read"},
                       DEV_SECRET, algorithm="HS256")
    code, _, challenges, body = orders(explicit, hs256)
    check("explicit URL: a PyJWT HS256 token (the JWT side, no discovery) -> 200", code == 200, f"{code} {challenges} {body[:200]!r}")
    refused("explicit URL: the provider's RS256 JWT (no key for it here) -> 401", explicit, orders(explicit, provider_jwt), 401, "invalid_token")
    check("no JWT was sent to introspection", introspections(issuer) == before, f"calls={introspections(issuer) - before}")

    # misconfigured resource servers
    code, retry, error = unavailable("wrong client secret: the server refuses our credentials -> 503 with Retry-After, never 401",
                                     orders(wrong_secret, token(issuer)))
    print(f"wrong client secret: {code}, Retry-After: {retry}, error: {error}")
    refused("wrong issuer configured: the answer's iss differs -> 401 invalid_token", wrong_issuer, orders(wrong_issuer, token(issuer)),
            401, "invalid_token")

    # (8) the measurement
    burst("explicit URL", explicit, issuer, jwt_token=hs256)
    for name, srv in variants.items():
        burst(name, srv, issuer)
    burst("discovery", discovery, issuer, delay_ms=300)

    # (3) revocation is seen once the cached answer's bound has passed; (5) prepared: a token whose
    # answer will have expired when the provider is down
    while time.time() % 1 > 0.3:  # at the start of a second: the bound is whole seconds
        time.sleep(0.02)
    t0 = time.time()
    revoked, expired, seen = {}, {}, 0.0
    for name, srv in variants.items():
        revoked[name], expired[name] = token(issuer), token(issuer)
        for tok in (revoked[name], expired[name]):
            code, _, _, body = orders(srv, tok)
            seen = time.time()  # after the introspection: its answer is kept until at most seen + 2 s
            check(f"{name}: token accepted before revocation", code == 200, f"{code} {body[:200]!r}")
        check(f"{name}: the provider revokes the token (RFC 7009)", revoke(issuer, revoked[name]) == 200)
        code, _, _, body = orders(srv, revoked[name])
        check(f"{name}: revoked token still 200 within the cache bound ({time.time() - t0:.2f} s after introspection)", code == 200,
              f"{code} {body[:200]!r}")
    time.sleep(max(0.0, seen + 2.05 - time.time()))
    for name, srv in variants.items():
        refused(f"{name}: revoked token -> 401 invalid_token once the bound passed ({time.time() - t0:.2f} s)", srv,
                orders(srv, revoked[name]), 401, "invalid_token")

    # (5) the provider stopped
    fresh = {}
    for name, srv in variants.items():
        fresh[name] = token(issuer)
        check(f"{name}: a token introspected just before the stop", orders(srv, fresh[name])[0] == 200)
    provider.stop()
    print("authorization server stopped")
    for name, srv in variants.items():
        code, retry, error = unavailable(f"{name}: provider down, token whose cached answer expired -> 503 with Retry-After",
                                         orders(srv, expired[name]))
        print(f"{name}: provider down: {code}, Retry-After: {retry}, error: {error}")
        unavailable(f"{name}: provider down, the same token again (a failure is not cached) -> 503", orders(srv, expired[name]))
        unavailable(f"{name}: provider down, a new token string -> 503 with Retry-After", orders(srv, secrets.token_urlsafe(32)))
        code, _, _, body = orders(srv, fresh[name])
        check(f"{name}: provider down, a token with a fresh cached answer -> 200", code == 200, f"{code} {body[:200]!r}")
    code, _, _, body = orders(discovery, provider_jwt)
    check("discovery: provider down, the JWT (keys already known) -> 200", code == 200, f"{code} {body[:200]!r}")

    # (6) started again on the same port (a new, empty in-memory token store)
    provider = Provider(provider.port)
    print("authorization server started again on the same port")
    for name, srv in variants.items():
        code, _, challenges, body = orders(srv, token(issuer))
        check(f"{name}: provider back, a fresh token -> 200", code == 200, f"{code} {challenges} {body[:200]!r}")
        refused(f"{name}: provider back, a token of its previous life (unknown now) -> 401", srv, orders(srv, expired[name]),
                401, "invalid_token")


def burst(name, srv, issuer, delay_ms=0, jwt_token=None):
    """BURST concurrent requests (one connection each) carrying one new opaque token (or, as the
    baseline that costs no introspection, one JWT). Latencies are from each request's write to
    the end of its response; the first response is the one that completed first."""
    set_delay(issuer, delay_ms)
    try:
        tok = jwt_token or token(issuer)
        before = counts(issuer)
        statuses, first, first_at, rest, sending, wall = asyncio.run(fire(srv.port, tok, BURST))
        after = counts(issuer)
    finally:
        set_delay(issuer, 0)
    calls = after["introspections"] - before["introspections"]
    what = "one JWT (baseline, no introspection)" if jwt_token else "one new opaque token"
    held = f", answer held {delay_ms} ms" if delay_ms else ""
    rest.sort()
    p50, p99 = rest[len(rest) // 2], rest[min(len(rest) - 1, int(len(rest) * 0.99))]
    print(f"{name}: {BURST} concurrent requests, {what}{held}: {calls} introspection call(s); "
          f"all sent in {sending:.1f} ms; first response {first:.1f} ms ({first_at:.1f} ms into the burst), "
          f"rest p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {rest[-1]:.1f} ms; burst {wall:.0f} ms")
    bad = {s: statuses.count(s) for s in set(statuses) if s != 200}
    check(f"{name}: {BURST} concurrent requests, {what}{held} -> every answer 200", not bad, f"non-200: {bad}")
    expected = 0 if jwt_token else 1
    check(f"{name}: {BURST} concurrent requests, {what}{held} -> exactly {expected} introspection call(s)",
          calls == expected and after["active"] - before["active"] == expected, f"calls={calls}")


async def fire(port, tok, n):
    """Opens n connections, then writes one request on each (Connection: close) and reads every
    response. Returns (statuses, first latency, first completion, other latencies, send time,
    wall time), times in ms."""
    req = (f"GET /orders HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {tok}\r\n"
           "Connection: close\r\n\r\n").encode()
    conns = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(n)))
    begin = time.perf_counter()
    sent = []
    for _, writer in conns:
        writer.write(req)
        sent.append(time.perf_counter())
    sending = (time.perf_counter() - begin) * 1000

    async def answer(i, reader, writer):
        data = await asyncio.wait_for(reader.read(), timeout=20)
        done = time.perf_counter()
        writer.close()
        line = data.split(b"\r\n", 1)[0].split()
        return (int(line[1]) if len(line) > 1 else 0), done, (done - sent[i]) * 1000

    results = await asyncio.gather(*(answer(i, r, w) for i, (r, w) in enumerate(conns)))
    results.sort(key=lambda r: r[1])
    latencies = [r[2] for r in results]
    return ([r[0] for r in results], latencies[0], (results[0][1] - begin) * 1000, latencies[1:], sending,
            (results[-1][1] - begin) * 1000)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
