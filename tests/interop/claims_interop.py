#!/usr/bin/env python3
"""Claim layouts from outside: one orders process per AUTH_CLAIMS preset (default, keycloak,
keycloak:orders-api, keycloak:orders.api, entra, auth0, okta, google), each sent PyJWT tokens
shaped like that provider's documented access tokens, over Python's http.client, on 127.0.0.1.

The shapes follow the providers' documentation and decoded samples: Keycloak (`realm_access.roles`,
`resource_access.<client>.roles` for every client of the realm, `scope`, `azp`, `typ: Bearer`,
`preferred_username`, `allowed-origins`, an `aud` array with `account`); Microsoft Entra ID v2.0
access tokens (`scp` space-delimited, app `roles`, `oid`, `tid`, `azp`, `azpacr`, `uti`, `rh`,
`ver: "2.0"`); Auth0 (`scope: "openid profile"`, RBAC's `permissions` array, an `aud` array with
the tenant's `/userinfo`, `https://…` namespaced claims); Okta (`ver: 1`, `jti: "AT.…"`, `cid`,
`uid`, `scp` array, `groups`); Google-shaped (tokeninfo's `azp`, `scope` space-delimited of URLs,
`email`, `email_verified`, `expires_in`, `access_type`); the default is RFC 9068's (`typ: at+jwt`,
`client_id`, `jti`, `roles`). Every provider claim is kept, so the suite also proves extra claims
are harmless; only `iss`/`aud` are the values orders enforces, and tokens are HS256 with
AUTH_JWT_SECRET: the layouts are under test, not the providers' keys.

Per preset: (1) `orders:read` the provider's way is 200 on GET /orders, and /me names `sub`;
(2) the same token without it is 403 insufficient_scope whose challenge names
`scope="orders:read"` and no role; (3) the scope the wrong provider's way is 403; (4) where the
preset reads roles, `orders:write` plus the role `orders-admin` deletes another subject's order
(204) and without it is 403 `forbidden` without WWW-Authenticate; roles where the preset does not
read them never count (Keycloak client roles without `keycloak:<client>`, another client's roles
ever, `roles` for Okta, `groups` for Entra, anything for Auth0 and Google); (5) a role claim of
the wrong type is 401 invalid_token, and a wrong-typed claim the preset does not read is harmless.
Unknown AUTH_CLAIMS values stop the service at start-up.
Usage: claims_interop.py PATH_TO_ORDERS_BINARY"""

import json
import os
import subprocess
import sys
import time
import uuid

import jwt  # PyJWT

from common import Orders, Tally, free_port, request

SECRET = "claims-interop-secret-of-at-least-32-bytes!"
ISSUER = "https://id.claims.interop.example"
AUDIENCE = "orders-api"
PROBLEM = "application/problem+json"
REALM = 'Bearer realm="orders"'
ORDER = '{"item":"tea","quantity":1}'
# Every role name any token of this suite carries: none may ever appear in a challenge.
ROLE_NAMES = ["orders-admin", "offline_access", "uma_authorization", "default-roles-orders", "manage-account",
              "view-profile", "Everyone", "Support", "Orders.Admin", "billing-admin"]

t = Tally("claims interop")


def check(what, cond, detail=""):
    if cond:
        print(f"PASS {what}")
    t.check(what, cond, detail)


def now():
    return int(time.time())


def sign(claims, typ=None):
    headers = {"typ": typ} if typ else None
    return jwt.encode(claims, SECRET, algorithm="HS256", headers=headers)


# --- tokens shaped like each provider's ------------------------------------------------------


def keycloak(sub="f1b2c3d4-0000-4a5b-8c9d-000000000001", scope="openid profile email", realm_roles=(),
             clients=None, **extra):
    """A Keycloak access token: realm roles (with the realm's defaults), the `account` client's
    roles every user holds, the clients in `clients` ({client: [roles]})."""
    n = now()
    resource_access = {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}}
    resource_access.update({client: {"roles": list(roles)} for client, roles in (clients or {}).items()})
    claims = {
        "exp": n + 300, "iat": n, "auth_time": n - 30, "jti": f"onrtac:{uuid.uuid4()}",
        "iss": ISSUER, "aud": [AUDIENCE, "account"], "sub": sub, "typ": "Bearer", "azp": "orders-web",
        "sid": str(uuid.uuid4()), "acr": "1", "allowed-origins": ["https://orders.example.com"],
        "realm_access": {"roles": ["offline_access", "default-roles-orders", "uma_authorization", *realm_roles]},
        "resource_access": resource_access,
        "scope": scope, "email_verified": True, "name": "Alice Liddell", "preferred_username": "alice",
        "given_name": "Alice", "family_name": "Liddell", "email": "alice@example.com",
    }
    return sign(patch(claims, extra))


def entra(sub="HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ", scp=None, roles=None, **extra):
    """A Microsoft Entra ID v2.0 access token for a registered API."""
    n = now()
    claims = {
        "aud": AUDIENCE, "iss": ISSUER, "iat": n, "nbf": n, "exp": n + 3600,
        "aio": "AXQAi/8TAAAAr0u7k1bT8g0BzH1y8xw4xVr1n5dAqQcEBr4A4+2yE0w=",
        "azp": "6e74172b-be56-4843-9ff4-e66a39bb12e3", "azpacr": "0", "name": "Abe Lincoln",
        "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": "abeli@contoso.example",
        "rh": "I", "sub": sub, "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47", "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "2.0",
    }
    if scp is not None:
        claims["scp"] = scp
    if roles is not None:
        claims["roles"] = roles
    return sign(patch(claims, extra))


def auth0(sub="auth0|5f7c8ec7c33c6c004bbafe82", scope="openid profile", permissions=None, **extra):
    """An Auth0 access token with RBAC and "Add Permissions in the Access Token"."""
    n = now()
    claims = {
        "iss": ISSUER, "sub": sub, "aud": [AUDIENCE, "https://my-tenant.auth0.example/userinfo"],
        "azp": "Xv7hZ2o1bQmPpT8s9kLwYc3dFgR4aN6e", "exp": n + 86400, "iat": n, "scope": scope,
        "https://orders.example.com/email": "alice@example.com",
        "https://orders.example.com/roles": ["orders-admin"],
    }
    if permissions is not None:
        claims["permissions"] = permissions
    return sign(patch(claims, extra))


def okta(sub="alice@example.com", scp=["openid", "profile"], groups=["Everyone"], **extra):
    """An Okta access token from a custom authorization server with a groups claim."""
    n = now()
    claims = {
        "ver": 1, "jti": "AT.MNAoEQ_jbKqoinrQo1D0XKjMX28U5d7ZszBceot7-Ts", "iss": ISSUER, "aud": AUDIENCE,
        "sub": sub, "iat": n, "exp": n + 3600, "cid": "0oa1b2c3d4e5f6g7h8i9", "uid": "00u1a2b3c4d5e6f7g8h9",
        "auth_time": n - 60,
    }
    if scp is not None:
        claims["scp"] = scp
    if groups is not None:
        claims["groups"] = groups
    return sign(patch(claims, extra))


def google(sub="110169484474386276334", scope="https://www.googleapis.com/auth/userinfo.email openid", **extra):
    """Google-shaped: the fields of Google's tokeninfo answer."""
    n = now()
    claims = {
        "iss": ISSUER, "azp": "1234567890-abc123def456.apps.googleusercontent.com", "aud": AUDIENCE,
        "sub": sub, "scope": scope, "iat": n, "exp": n + 3599, "expires_in": "3599",
        "email": "alice@example.com", "email_verified": "true", "access_type": "online",
    }
    return sign(patch(claims, extra))


def rfc9068(sub="5ba552d67", scope="openid", roles=None, **extra):
    """An RFC 9068 JWT access token (the default layout's)."""
    n = now()
    claims = {
        "iss": ISSUER, "sub": sub, "aud": AUDIENCE, "exp": n + 600, "iat": n, "jti": str(uuid.uuid4()),
        "client_id": "s6BhdRkqt3", "scope": scope, "auth_time": n - 10, "acr": "urn:mace:incommon:iap:silver",
    }
    if roles is not None:
        claims["roles"] = roles
    return sign(patch(claims, extra), typ="at+jwt")


NULL = object()  # a claim present with the JSON value null (None removes the claim)


def patch(claims, extra):
    """The provider's claims (those given as None left out), then `extra` on top (None removes
    a claim, NULL makes it null)."""
    claims = {k: v for k, v in claims.items() if v is not None}
    for k, v in extra.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = None if v is NULL else v
    return claims


# --- requests and expectations ----------------------------------------------------------------


class Service:
    def __init__(self, srv, preset):
        self.port, self.preset = srv.port, preset
        self.metadata = f', resource_metadata="http://127.0.0.1:{srv.port}/.well-known/oauth-protected-resource"'

    def call(self, method, path, token, body=None):
        return request(self.port, method, path, [("Authorization", f"Bearer {token}")], body)

    def ok(self, name, token, path="/orders"):
        code, _, _, body = self.call("GET", path, token)
        check(f"{self.preset}: {name}: 200", code == 200, f"got {code} {body[:200]!r}")
        return body

    def refused(self, name, res, status, error, challenge):
        """`challenge` None: no WWW-Authenticate at all."""
        code, headers, challenges, body = res
        tag = f"{self.preset}: {name}"
        want = [challenge + self.metadata] if challenge else []
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        check(f"{tag}: {status} {error}", code == status and doc.get("error") == error and doc.get("status") == status,
              f"got {code} {body[:200]!r}")
        check(f"{tag}: challenge", challenges == want, f"got {challenges}, want {want}")
        check(f"{tag}: problem+json", headers.get("content-type") == PROBLEM, headers.get("content-type"))
        leaked = [r for r in ROLE_NAMES if any(r in c for c in challenges) or r.encode() in body]
        check(f"{tag}: no role name in the answer", not leaked, leaked)

    def scope_refused(self, name, token, scope="orders:read", method="GET", path="/orders", body=None):
        self.refused(name, self.call(method, path, token, body), 403, "insufficient_scope",
                     f'{REALM}, error="insufficient_scope", scope="{scope}"')

    def invalid(self, name, token):
        self.refused(name, self.call("GET", "/orders", token), 401, "invalid_token", f'{REALM}, error="invalid_token"')

    def subject(self, name, token, want, scopes=None):
        """/me names `want` (the `sub`), and, when given, exactly `scopes` (in token order)."""
        code, _, _, body = self.call("GET", "/me", token)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        check(f"{self.preset}: {name}: /me names the sub", code == 200 and doc.get("subject") == want, f"{code} {body[:200]!r}")
        if scopes is not None:
            check(f"{self.preset}: {name}: /me scopes", doc.get("scopes") == scopes, f"{doc.get('scopes')} (want {scopes})")

    def create(self, name, token):
        """Places an order with `token`; its id ("0" when refused)."""
        code, headers, _, body = self.call("POST", "/orders", token, ORDER)
        location = headers.get("location", "")
        check(f"{self.preset}: {name}: 201", code == 201 and location.startswith("/orders/"), f"{code} {body[:200]!r}")
        return location.rsplit("/", 1)[-1] if code == 201 else "0"

    def deletes(self, name, order, token):
        code, headers, _, body = self.call("DELETE", f"/orders/{order}", token)
        check(f"{self.preset}: {name}: 204", code == 204, f"got {code} {body[:200]!r}")

    def forbidden(self, name, writer, token):
        """An order placed by `writer`, which `token` may not delete: the policy's 403 `forbidden`,
        no challenge; the order is still there (its owner deletes it)."""
        order = self.create(f"{name}: another subject places an order", writer)
        self.refused(name, self.call("DELETE", f"/orders/{order}", token), 403, "forbidden", None)
        self.deletes(f"{name}: the order is still there, for its owner", order, writer)

    def roles_count(self, name, writer, admin_token):
        """`admin_token` deletes an order placed by `writer` (another subject)."""
        self.deletes(name, self.create(f"{name}: another subject places an order", writer), admin_token)

    def roles_do_not_count(self, name, writer, token):
        self.forbidden(name, writer, token)


# --- the presets ------------------------------------------------------------------------------


def default_preset(s):
    read = rfc9068(scope="openid orders:read", roles=["orders-admin"])
    s.ok("RFC 9068 token, scope `orders:read`", read)
    s.subject("RFC 9068 token", read, "5ba552d67", ["openid", "orders:read"])
    s.ok("`scp` array when there is no `scope`", rfc9068(scope=None, scp=["orders:read"]))
    s.scope_refused("RFC 9068 token without `orders:read` (it has a role)", rfc9068(scope="openid", roles=["orders-admin"]))
    s.scope_refused("Auth0's `permissions` only", rfc9068(scope=None, permissions=["orders:read"]))
    s.scope_refused("`scope` present decides, `scp` not read", rfc9068(scope="openid", scp=["orders:read"]))
    s.scope_refused("Keycloak-shaped `realm_access` is no scope", rfc9068(scope=None, realm_access={"roles": ["orders:read"]}))

    writer = rfc9068(sub="writer", scope="orders:write")
    s.roles_count("role `orders-admin` in `roles`", writer, rfc9068(sub="admin", scope="orders:write", roles=["orders-admin"]))
    s.roles_count("role `orders-admin` as a string `roles`", writer, rfc9068(sub="admin", scope="orders:write", roles="orders-admin"))
    s.roles_do_not_count("a role string is one name, never split at spaces", writer,
                         rfc9068(sub="other-admin", scope="orders:write", roles="support orders-admin"))
    s.roles_do_not_count("without the role", writer, rfc9068(sub="other", scope="orders:write", roles=["support"]))
    s.roles_do_not_count("`groups` is not `roles`", writer, rfc9068(sub="other", scope="orders:write", groups=["orders-admin"]))
    s.roles_do_not_count("Keycloak's `realm_access.roles` is not `roles`", writer,
                         rfc9068(sub="other", scope="orders:write", realm_access={"roles": ["orders-admin"]}))
    s.roles_count("`orders:admin` scope", writer, rfc9068(sub="admin", scope="orders:write orders:admin"))
    s.deletes("the owner deletes its order", s.create("owner places an order", writer), writer)
    s.scope_refused("the role without `orders:write`", rfc9068(sub="admin", scope="openid", roles=["orders-admin"]),
                    scope="orders:write", method="DELETE", path="/orders/1")

    s.invalid("`roles: 7`", rfc9068(scope="orders:read", roles=7))
    s.invalid("`roles: [\"a\", 1]`", rfc9068(scope="orders:read", roles=["a", 1]))
    s.invalid("`roles: {…}`", rfc9068(scope="orders:read", roles={"orders-admin": True}))
    s.ok("a wrong-typed claim it does not read (`groups: 7`)", rfc9068(scope="orders:read", groups=7, realm_access=["x"]))


def keycloak_realm_preset(s):
    read = keycloak(scope="openid profile email orders:read", realm_roles=["orders-admin"])
    s.ok("Keycloak token, `orders:read` in `scope`", read)
    s.subject("Keycloak token (not preferred_username)", read, "f1b2c3d4-0000-4a5b-8c9d-000000000001",
              ["openid", "profile", "email", "orders:read"])
    s.subject("`scp` beside `scope` is not read", keycloak(scope="openid", scp="orders:admin"),
              "f1b2c3d4-0000-4a5b-8c9d-000000000001", ["openid"])
    s.scope_refused("Keycloak token without `orders:read` (realm role orders-admin)",
                    keycloak(realm_roles=["orders-admin"], clients={"orders-api": ["orders-admin"]}))
    s.scope_refused("Entra's `scp` only", keycloak(scope=None, scp="orders:read"))
    s.scope_refused("Okta's `scp` array beside a `scope` without it", keycloak(scp=["orders:read"]))
    s.scope_refused("Auth0's `permissions`", keycloak(permissions=["orders:read"]))
    s.scope_refused("the realm role `orders:read` is a role, not a scope", keycloak(realm_roles=["orders:read"]))

    writer = keycloak(sub="kc-writer", scope="openid orders:write")
    s.roles_count("realm role `orders-admin`", writer, keycloak(sub="kc-admin", scope="openid orders:write", realm_roles=["orders-admin"]))
    s.roles_do_not_count("without the role", writer, keycloak(sub="kc-other", scope="openid orders:write"))
    s.roles_do_not_count("client role under resource_access.orders-api without keycloak:<client>", writer,
                         keycloak(sub="kc-other", scope="openid orders:write", clients={"orders-api": ["orders-admin"]}))
    s.roles_do_not_count("another client's role (resource_access.billing)", writer,
                         keycloak(sub="kc-other", scope="openid orders:write", clients={"billing": ["orders-admin", "billing-admin"]}))
    s.roles_do_not_count("Entra-style top-level `roles`", writer,
                         keycloak(sub="kc-other", scope="openid orders:write", roles=["orders-admin"]))
    s.deletes("the owner deletes its order", s.create("owner places an order", writer), writer)
    s.scope_refused("the realm role without `orders:write`", keycloak(sub="kc-admin", realm_roles=["orders-admin"]),
                    scope="orders:write", method="DELETE", path="/orders/1")

    good = "openid orders:read"
    s.invalid("`realm_access: [\"x\"]`", keycloak(scope=good, realm_access=["x"]))
    s.invalid("`realm_access: \"orders-admin\"`", keycloak(scope=good, realm_access="orders-admin"))
    s.invalid("`realm_access.roles: {…}`", keycloak(scope=good, realm_access={"roles": {"orders-admin": True}}))
    s.invalid("`realm_access: null`", keycloak(scope=good, realm_access=NULL))
    s.ok("`resource_access` not read without a client (`resource_access: 7`)", keycloak(scope=good, resource_access=7))


def keycloak_client_preset(s):
    read = keycloak(scope="openid orders:read", clients={"orders-api": ["orders-admin"]})
    s.ok("Keycloak token, `orders:read` in `scope`", read)
    s.scope_refused("without `orders:read` (client role orders-admin)", keycloak(clients={"orders-api": ["orders-admin"]}))
    s.scope_refused("the client role `orders:read` is a role, not a scope", keycloak(clients={"orders-api": ["orders:read"]}))
    s.scope_refused("Entra's `scp` only", keycloak(scope=None, scp="orders:read"))

    writer = keycloak(sub="kc-writer", scope="openid orders:write")
    s.roles_count("client role under resource_access.orders-api", writer,
                  keycloak(sub="kc-admin", scope="openid orders:write", clients={"orders-api": ["orders-admin"]}))
    s.roles_count("realm role still counts", writer, keycloak(sub="kc-admin", scope="openid orders:write", realm_roles=["orders-admin"]))
    s.roles_do_not_count("another client's role (resource_access.billing)", writer,
                         keycloak(sub="kc-other", scope="openid orders:write", clients={"billing": ["orders-admin"], "orders-api": ["viewer"]}))
    s.roles_do_not_count("the role as a client id (resource_access.orders-admin)", writer,
                         keycloak(sub="kc-other", scope="openid orders:write", clients={"orders-admin": ["orders-api"]}))
    s.roles_do_not_count("without the role", writer, keycloak(sub="kc-other", scope="openid orders:write", clients={"orders-api": []}))

    good = "openid orders:read"
    s.invalid("`resource_access.orders-api: []`", keycloak(scope=good, resource_access={"orders-api": []}))
    s.invalid("`resource_access: [\"x\"]`", keycloak(scope=good, resource_access=["x"]))
    s.invalid("`resource_access.orders-api.roles: 7`", keycloak(scope=good, resource_access={"orders-api": {"roles": 7}}))
    s.invalid("`realm_access: [\"x\"]`", keycloak(scope=good, realm_access=["x"]))
    s.ok("another client's malformed roles are not read", keycloak(scope=good, resource_access={"billing": [], "orders-api": {"roles": ["x"]}}))


def keycloak_dotted_preset(s):
    """A client id holding dots is one member: `resource_access["orders.api"]`, never
    `resource_access.orders.api`."""
    writer = keycloak(sub="kc-writer", scope="openid orders:write")
    s.ok("Keycloak token, `orders:read` in `scope`", keycloak(scope="openid orders:read"))
    s.roles_count("client role under resource_access[\"orders.api\"]", writer,
                  keycloak(sub="kc-admin", scope="openid orders:write", clients={"orders.api": ["orders-admin"]}))
    s.roles_do_not_count("nested resource_access.orders.api.roles", writer,
                         keycloak(sub="kc-other", scope="openid orders:write", resource_access={"orders": {"api": {"roles": ["orders-admin"]}}}))


def entra_preset(s):
    read = entra(scp="User.Read orders:read", roles=["Orders.Admin"])
    s.ok("Entra v2.0 token, `orders:read` in `scp`", read)
    s.subject("Entra token (sub, not oid)", read, "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ", ["User.Read", "orders:read"])
    s.scope_refused("Entra token without `orders:read` (app role orders-admin)", entra(scp="User.Read", roles=["orders-admin"]))
    s.scope_refused("Keycloak's/Google's `scope`", entra(scope="orders:read"))
    s.scope_refused("`scope` beside an `scp` without it", entra(scp="User.Read", scope="orders:read"))
    s.scope_refused("an app role `orders:read` is a role, not a scope", entra(roles=["orders:read"]))

    writer = entra(sub="entra-writer", scp="orders:write")
    s.roles_count("app role `orders-admin` in `roles`", writer, entra(sub="entra-admin", scp="orders:write", roles=["orders-admin"]))
    s.roles_do_not_count("without the role", writer, entra(sub="entra-other", scp="orders:write", roles=["Orders.Admin"]))
    s.roles_do_not_count("`groups` is not `roles`", writer, entra(sub="entra-other", scp="orders:write", groups=["orders-admin"]))
    s.roles_do_not_count("wids are not roles", writer, entra(sub="entra-other", scp="orders:write", wids=["orders-admin"]))
    s.deletes("the owner (by sub) deletes its order", s.create("owner places an order", writer), writer)
    s.forbidden("the same oid, another sub", writer, entra(sub="entra-pairwise-2", scp="orders:write"))

    s.invalid("`roles: 7`", entra(scp="orders:read", roles=7))
    s.invalid("`roles: [\"orders-admin\", true]`", entra(scp="orders:read", roles=["orders-admin", True]))
    s.invalid("`scp: 7`", entra(scp=7))
    s.ok("a wrong-typed claim it does not read (`scope: 7`, `groups: 7`)", entra(scp="orders:read", scope=7, groups=7))


def auth0_preset(s):
    # `scope`: what the client was granted; `permissions`: the user's, whatever the client asked
    # for, read as roles (never as scopes).
    read = auth0(scope="openid profile orders:read", permissions=["orders:read"])
    s.ok("Auth0 token, `orders:read` in `scope`", read)
    s.subject("Auth0 token", read, "auth0|5f7c8ec7c33c6c004bbafe82", ["openid", "profile", "orders:read"])
    s.scope_refused("`orders:read` in `permissions` only (the user's, not the client's grant)",
                    auth0(permissions=["orders:read"]))
    s.scope_refused("Auth0 token without `orders:read`", auth0(permissions=["orders:write"]))
    s.scope_refused("Okta's `scp` array", auth0(scp=["orders:read"]))
    s.scope_refused("Entra's `scp` string", auth0(permissions=[], scp="orders:read"))

    writer = auth0(sub="auth0|writer", scope="openid orders:write", permissions=["orders:write"])
    s.roles_count("permission `orders-admin` (a role)", writer,
                  auth0(sub="auth0|admin", scope="openid orders:write", permissions=["orders:write", "orders-admin"]))
    s.roles_do_not_count("`orders:admin` in `permissions` is not a scope", writer,
                         auth0(sub="auth0|other", scope="openid orders:write", permissions=["orders:write", "orders:admin"]))
    s.roles_do_not_count("`roles` orders-admin is not Auth0's", writer,
                         auth0(sub="auth0|other", scope="openid orders:write", permissions=["orders:write"], roles=["orders-admin"]))
    s.roles_count("`orders:admin` in `scope`", writer,
                  auth0(sub="auth0|admin2", scope="openid orders:write orders:admin", permissions=[]))
    s.deletes("the owner deletes its order", s.create("owner places an order", writer), writer)

    s.invalid("`permissions: {…}`", auth0(scope="openid orders:read", permissions={"orders:read": True}))
    s.invalid("`permissions: [\"orders:read\", 1]`", auth0(scope="openid orders:read", permissions=["orders:read", 1]))
    s.invalid("`scope: 7`", auth0(scope=7, permissions=["orders:read"]))
    s.ok("a wrong-typed claim it does not read (`roles: 7`, `scp: 7`)",
         auth0(scope="openid orders:read", permissions=["orders:read"], roles=7, scp=7))


def okta_preset(s):
    read = okta(scp=["openid", "profile", "orders:read"], groups=["Everyone", "orders-admin"])
    s.ok("Okta token, `orders:read` in the `scp` array", read)
    s.subject("Okta token (sub, not uid)", read, "alice@example.com", ["openid", "profile", "orders:read"])
    s.ok("`scp` as a string", okta(scp="openid orders:read"))
    s.scope_refused("Okta token without `orders:read` (group orders-admin)", okta(groups=["Everyone", "orders-admin"]))
    s.scope_refused("Keycloak's/Google's `scope`", okta(scope="openid orders:read"))
    s.scope_refused("Auth0's `permissions`", okta(permissions=["orders:read"]))

    writer = okta(sub="writer@example.com", scp=["orders:write"])
    s.roles_count("group `orders-admin`", writer, okta(sub="admin@example.com", scp=["orders:write"], groups=["Everyone", "orders-admin"]))
    s.roles_do_not_count("without the group", writer, okta(sub="other@example.com", scp=["orders:write"], groups=["Everyone", "Support"]))
    s.roles_do_not_count("`roles` is not `groups`", writer, okta(sub="other@example.com", scp=["orders:write"], roles=["orders-admin"]))
    s.deletes("the owner deletes its order", s.create("owner places an order", writer), writer)
    s.forbidden("the same uid, another sub", writer, okta(sub="writer2@example.com", scp=["orders:write"]))

    s.invalid("`groups: {…}`", okta(scp=["orders:read"], groups={"Everyone": True}))
    s.invalid("`groups: 7`", okta(scp=["orders:read"], groups=7))
    s.invalid("`scp: [\"orders:read\", null]`", okta(scp=["orders:read", None]))
    s.ok("a wrong-typed claim it does not read (`roles: 7`, `scope: 7`)", okta(scp=["orders:read"], roles=7, scope=7))


def google_preset(s):
    read = google(scope="https://www.googleapis.com/auth/userinfo.email openid orders:read")
    s.ok("Google-shaped token, `orders:read` in `scope`", read)
    s.subject("Google-shaped token (sub, not email)", read, "110169484474386276334")
    s.scope_refused("Google-shaped token without `orders:read`", google())
    s.scope_refused("Entra's `scp`", google(scp="orders:read"))
    s.scope_refused("Okta's `scp` array", google(scope=None, scp=["orders:read"]))
    s.scope_refused("Auth0's `permissions`", google(permissions=["orders:read"]))

    writer = google(sub="1001", scope="openid orders:write")
    s.roles_do_not_count("no roles: `roles` orders-admin", writer, google(sub="1002", scope="openid orders:write", roles=["orders-admin"]))
    s.roles_do_not_count("no roles: `groups` orders-admin", writer, google(sub="1002", scope="openid orders:write", groups=["orders-admin"]))
    s.roles_count("`orders:admin` in `scope`", writer, google(sub="1003", scope="openid orders:write orders:admin"))
    s.deletes("the owner deletes its order", s.create("owner places an order", writer), writer)
    s.forbidden("the same email, another sub", writer, google(sub="1004", scope="openid orders:write"))

    s.invalid("`scope: 7`", google(scope=7))
    s.invalid("`scope: [\"orders:read\", {}]`", google(scope=["orders:read", {}]))
    s.ok("a wrong-typed claim it does not read (`roles: 7`, `scp: 7`)", google(scope="openid orders:read", roles=7, scp=7))


PRESETS = [
    ("default", default_preset),
    ("keycloak", keycloak_realm_preset),
    ("keycloak:orders-api", keycloak_client_preset),
    ("keycloak:orders.api", keycloak_dotted_preset),
    ("entra", entra_preset),
    ("auth0", auth0_preset),
    ("okta", okta_preset),
    ("google", google_preset),
]


def env(preset):
    return dict(AUTH_JWT_SECRET=SECRET, AUTH_ISSUER=ISSUER, AUTH_AUDIENCE=AUDIENCE, AUTH_FAILURE_LIMIT="0",
                AUTH_DPOP="off", AUTH_CLAIMS=preset)


def refuses_to_start(binary, value):
    """An AUTH_CLAIMS the service does not know stops it at start-up (never a default layout)."""
    port = free_port()
    full = dict(os.environ, AUTH_ADDR=f"127.0.0.1:{port}", RUST_LOG="warn", **env(value))
    proc = subprocess.Popen([binary], env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=10)
        check(f"AUTH_CLAIMS={value!r}: refused at start-up", proc.returncode != 0 and "AUTH_CLAIMS" in err,
              f"exit {proc.returncode}: {err.strip()[:200]}")
    except subprocess.TimeoutExpired:
        check(f"AUTH_CLAIMS={value!r}: refused at start-up", False, "the service started")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def main(binary):
    started = time.monotonic()
    for preset, run in PRESETS:
        with Orders(binary, **env(preset)) as srv:
            try:
                run(Service(srv, preset))
            except Exception as e:  # a broken case must not hide the others
                check(f"{preset}: ran to the end", False, repr(e))
    for value in ["keycloak:", "Keycloak", "cognito", "entra:orders-api"]:
        refuses_to_start(binary, value)
    print(f"claims interop took {time.monotonic() - started:.1f} s")
    return t.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
