#!/usr/bin/env python3
"""The Bearer matrix from outside: tokens minted by PyJWT (an independent JWT library), requests
sent by Python's http.client (a plain HTTP client), against the real `orders` binary on
127.0.0.1. Usage: bearer_interop.py PATH_TO_ORDERS_BINARY  (run.sh sets everything up)."""

import json
import sys
import time

import jwt  # PyJWT

from common import Orders, Tally, request

SECRET = "interop-secret-of-at-least-32-bytes!!"
ISSUER = "https://id.interop.example"
AUDIENCE = "orders-api"
PROBLEM = "application/problem+json"

t = Tally("bearer interop")
check = t.check


def mint(scope="orders:read", alg="HS256", key=SECRET, **override):
    now = int(time.time())
    claims = {"sub": "pyjwt-user", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, "scope": scope}
    for k, v in override.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    return jwt.encode(claims, key, algorithm=alg)


METADATA = ""  # the resource_metadata parameter every Bearer challenge ends with (RFC 9728)


def refusal(name, res, status, challenge, error):
    code, headers, challenges, body = res
    challenge = challenge + METADATA if challenge else challenge
    check(f"{name}: status", code == status, f"got {code}")
    check(f"{name}: one challenge", challenges == ([challenge] if challenge else []), f"got {challenges}")
    check(f"{name}: no-store", headers.get("cache-control") == "no-store")
    check(f"{name}: problem+json", headers.get("content-type") == PROBLEM, headers.get("content-type"))
    try:
        doc = json.loads(body)
    except ValueError:
        doc = {}
    check(f"{name}: body", doc.get("error") == error and doc.get("status") == status and doc.get("type") == "about:blank", body)
    return body


def main(binary):
    global METADATA
    # Bearer only (AUTH_DPOP=off): this suite is RFC 6750's; DPoP has dpop_interop.py.
    with Orders(binary, AUTH_JWT_SECRET=SECRET, AUTH_ISSUER=ISSUER, AUTH_AUDIENCE=AUDIENCE, AUTH_FAILURE_LIMIT="0", AUTH_DPOP="off") as srv:
        METADATA = f', resource_metadata="http://127.0.0.1:{srv.port}/.well-known/oauth-protected-resource"'
        run(srv.port)
    return t.report()


def run(port):
    realm = 'Bearer realm="orders"'
    auth = lambda t: [("Authorization", f"Bearer {t}")]

    code, headers, _, body = request(port, "GET", "/orders", auth(mint()))
    check("valid token", code == 200, f"{code} {body}")
    check("valid token, lower-case scheme", request(port, "GET", "/orders", [("Authorization", f"bearer {mint()}")])[0] == 200)

    refusal("no credentials", request(port, "GET", "/orders"), 401, realm, "unauthorized")
    refusal("basic credentials", request(port, "GET", "/orders", [("Authorization", "Basic YTpi")]), 401, realm, "unauthorized")

    bad_request = f'{realm}, error="invalid_request"'
    for name, value in [("no token", "Bearer"), ("two tokens", "Bearer a b"), ("bad char", "Bearer a@b"), ("tab", f"Bearer\t{mint()}")]:
        refusal(f"malformed: {name}", request(port, "GET", "/orders", [("Authorization", value)]), 400, bad_request, "invalid_request")
    refusal("two Authorization fields", request(port, "GET", "/orders", auth(mint()) + auth(mint())), 400, bad_request, "invalid_request")

    invalid = f'{realm}, error="invalid_token"'
    now = int(time.time())
    causes = {
        "garbage": "abc",
        "wrong secret": mint(key="another-secret-of-at-least-32-bytes!"),
        "alg none": jwt.encode({"sub": "x", "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE, "scope": "orders:read"}, None, algorithm="none"),
        "HS384 not configured": mint(alg="HS384", key=SECRET + "-padding-to-48-bytes"),
        "wrong issuer": mint(iss="https://evil.example"),
        "missing issuer": mint(iss=None),
        "wrong audience": mint(aud="other"),
        "missing audience": mint(aud=None),
        "missing exp": mint(exp=None),
        "not yet valid": mint(nbf=now + 3600),
        "unknown crit": jwt.encode({"sub": "x", "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE}, SECRET, algorithm="HS256", headers={"crit": ["x-custom"], "x-custom": 1}),
        "oversized": mint(pad="x" * 9000),
    }
    bodies = set()
    for name, token in causes.items():
        bodies.add(refusal(f"invalid token: {name}", request(port, "GET", "/orders", auth(token)), 401, invalid, "invalid_token"))
    check("every invalid_token body is byte-identical", len(bodies) == 1, f"{len(bodies)} distinct bodies")

    expired = f'{invalid}, error_description="The access token expired"'
    refusal("expired", request(port, "GET", "/orders", auth(mint(exp=now - 120))), 401, expired, "token_expired")
    check("expired within leeway", request(port, "GET", "/orders", auth(mint(exp=now - 20)))[0] == 200)

    scope = f'{realm}, error="insufficient_scope", scope="orders:write"'
    order = '{"item":"tea","quantity":3}'
    refusal("insufficient scope", request(port, "POST", "/orders", auth(mint()), order), 403, scope, "insufficient_scope")
    code, headers, _, body = request(port, "POST", "/orders", auth(mint("orders:write")), order)
    check("create order", code == 201 and headers.get("location", "").startswith("/orders/"), f"{code} {headers}")
    # DELETE: `orders:write`, then a policy: the order's owner, or `orders:admin`.
    code, headers, _, body = request(port, "DELETE", "/orders/1", auth(mint("orders:write", sub="someone-else")))
    check("policy: another caller's order is 403 forbidden, no challenge",
          code == 403 and "www-authenticate" not in headers and json.loads(body).get("error") == "forbidden", f"{code} {headers} {body}")
    check("policy: the owner deletes its order", request(port, "DELETE", "/orders/1", auth(mint("orders:write")))[0] == 204)
    check("policy: an administrator is told a missing order is missing",
          request(port, "DELETE", "/orders/1", auth(mint("orders:admin orders:write")))[0] == 404)
    check("any-of scopes", request(port, "GET", "/reports", auth(mint("admin")))[0] == 200)
    code, _, _, body = request(port, "GET", "/me", auth(mint("")))
    check("me", code == 200 and json.loads(body).get("subject") == "pyjwt-user", body)

    for name, token in list(causes.items()) + [("valid", mint())]:
        code, headers, _, body = request(port, "GET", "/orders", auth(token))
        wire = json.dumps(headers) + body.decode("utf-8", "replace")
        leaked = [s for s in [ISSUER, AUDIENCE, "pyjwt-user", "evil.example", "x-custom", "HS384"] + [p for p in token.split(".") if len(p) > 3] if s in wire and code != 200]
        check(f"nothing leaks: {name}", not leaked, leaked)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
