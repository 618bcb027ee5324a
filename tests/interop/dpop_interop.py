#!/usr/bin/env python3
"""DPoP (RFC 9449) and protected-resource metadata (RFC 9728) against independent
implementations: tokens from oidc-provider (npm, on 127.0.0.1) bound to a key of panva's
oauth4webapi client (oidc/dpop_client.mjs), which also makes every proof and every call. The
orders service must accept a DPoP-bound token with a good proof (retrying once on its own
`use_dpop_nonce`), refuse the token as a Bearer token, refuse proofs for another URL, method or
token, replayed proofs and proofs of another key, announce its metadata in its challenges, and
serve the RFC 9728 document that lets a Model Context Protocol client go from a bare 401 to a
200 with nothing configured but the URL.
Usage: dpop_interop.py ORDERS_BINARY"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from common import Orders, Tally, free_port, request

t = Tally("dpop interop")
HERE = os.path.dirname(os.path.abspath(__file__))
OIDC = f"{HERE}/oidc"
ALGS = ["ES256", "ES384", "EdDSA", "Ed25519", "PS256", "RS256"]
DPOP_CHALLENGE = f'DPoP realm="orders", algs="{" ".join(ALGS)}"'
METADATA_PATH = "/.well-known/oauth-protected-resource"


class OrdersAt(Orders):
    """common.Orders on a port chosen beforehand (AUTH_PUBLIC_ORIGIN must name it), with the
    service's stderr kept to explain a start that fails."""

    def __init__(self, binary, port, **env):
        self.port = port
        self.log = tempfile.TemporaryFile()
        full = dict(os.environ, AUTH_ADDR=f"127.0.0.1:{port}", RUST_LOG="warn", **env)
        self.proc = subprocess.Popen([binary], env=full, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(400):
            if self.proc.poll() is not None:
                break
            try:
                if request(port, "GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        self.log.seek(0)
        tail = self.log.read()[-2000:].decode(errors="replace")
        self.log.close()
        raise RuntimeError(f"the orders service did not start (exit {self.proc.returncode}): {tail}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)

    def close(self):
        self.stop()
        self.log.close()


def start_provider(*flags):
    port = free_port()
    proc = subprocess.Popen(["node", "provider.mjs", str(port), *flags], cwd=OIDC, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("ready "):
        stop(proc)
        raise RuntimeError(f"the OpenID provider did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
    proc.wait(timeout=10)


def client(*args):
    """One dpop_client.mjs command: its JSON answer (with "error" when it could not run)."""
    res = subprocess.run(["node", "dpop_client.mjs", *args], cwd=OIDC, capture_output=True, text=True, timeout=120)
    lines = res.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"error": f"exit {res.returncode}: {res.stdout[-500:]} {res.stderr[-1500:]}"}


def bearer_token(issuer, client_id, resource, scope="orders:read"):
    """A plain Bearer token, requested as oidc_interop.py does (no DPoP header)."""
    data = urllib.parse.urlencode({"grant_type": "client_credentials", "resource": resource, "scope": scope}).encode()
    req = urllib.request.Request(f"{issuer}/token", data=data, method="POST")
    req.add_header("Authorization", "Basic " + base64.b64encode(f"{client_id}:{client_id}-secret".encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def payload_of(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def thumbprint(jwk):
    """RFC 7638 JWK thumbprint (SHA-256), computed here independently of both node packages."""
    members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def params(field):
    """The auth-params of one challenge field, quoted values unescaped."""
    out = {}
    for name, quoted, bare in re.findall(r'([A-Za-z0-9_\-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))', field):
        out[name.lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted or not bare else bare
    return out


def field(challenges, prefix):
    """The WWW-Authenticate field starting with prefix, or None."""
    return next((c for c in challenges if c.startswith(prefix)), None)


def dpop_call(port, path, token, proof):
    return request(port, "GET", path, [("Authorization", f"DPoP {token}"), ("DPoP", proof)])


def refused_with(name, answer, scheme_prefix, error):
    code, _, challenges, body = answer
    f = field(challenges, scheme_prefix)
    t.check(name, code == 401 and f is not None and params(f).get("error") == error, f"{code} {challenges} {body[:200]!r}")


def check_metadata(tag, srv, issuer, resource, required):
    code, headers, _, body = request(srv.port, "GET", METADATA_PATH)
    t.check(f"{tag}: metadata document served (200, JSON)", code == 200 and headers.get("content-type", "").startswith("application/json"), f"{code} {headers.get('content-type')} {body[:200]!r}")
    try:
        meta = json.loads(body)
    except ValueError:
        meta = {}
    t.check(f"{tag}: metadata resource", meta.get("resource") == resource, f"{meta.get('resource')!r} != {resource!r}")
    t.check(f"{tag}: metadata authorization_servers = [issuer]", meta.get("authorization_servers") == [issuer], meta.get("authorization_servers"))
    t.check(f"{tag}: metadata scopes_supported has orders:read", "orders:read" in (meta.get("scopes_supported") or []), meta.get("scopes_supported"))
    t.check(f"{tag}: metadata bearer_methods_supported = [header]", meta.get("bearer_methods_supported") == ["header"], meta.get("bearer_methods_supported"))
    algs = meta.get("dpop_signing_alg_values_supported")
    t.check(f"{tag}: metadata dpop_signing_alg_values_supported = the challenge's algs", isinstance(algs, list) and sorted(algs) == sorted(ALGS), algs)
    flag = meta.get("dpop_bound_access_tokens_required")
    t.check(f"{tag}: metadata dpop_bound_access_tokens_required {'true' if required else 'false or absent'}", flag is True if required else flag in (None, False), repr(flag))
    return meta


def check_unauthenticated(tag, srv, required):
    code, _, challenges, _ = request(srv.port, "GET", "/orders")
    metadata_url = f"{srv.base}{METADATA_PATH}"
    bearer, dpop = field(challenges, 'Bearer realm="orders"'), field(challenges, DPOP_CHALLENGE)
    t.check(f"{tag}: no credentials: 401 with a DPoP challenge naming the algorithms", code == 401 and dpop is not None, f"{code} {challenges}")
    if not required:
        t.check(f"{tag}: no credentials: a Bearer challenge too, as a field of its own", bearer is not None and len(challenges) >= 2, challenges)
    for name, f in (("Bearer", bearer), ("DPoP", dpop)):
        if f is None:
            continue
        p = params(f)
        t.check(f"{tag}: no credentials: the {name} challenge names resource_metadata", p.get("resource_metadata") == metadata_url, f"{f!r} (want {metadata_url})")
        t.check(f"{tag}: no credentials: the {name} challenge has no error code (RFC 6750 §3.1)", "error" not in p, f)


def check_dpop(tag, srv, issuer, resource, required, nonce):
    """A DPoP-bound token through oauth4webapi, then every way of misusing it."""
    url = f"{srv.base}/orders"
    out = client("call", "--issuer", issuer, "--resource", resource, "--url", url, "--mint")
    if "error" in out:
        t.check(f"{tag}: dpop_client call", False, out)
        return
    token, jwk = out["token"], out["jwk"]
    claims = out["token_payload"]
    t.check(f"{tag}: the provider issues a DPoP token (token_type DPoP)", out["token_type"].lower() == "dpop", out["token_type"])
    t.check(f"{tag}: the token's cnf.jkt is the RFC 7638 thumbprint of the client's key", claims.get("cnf", {}).get("jkt") == thumbprint(jwk) == out["jkt"], f"{claims.get('cnf')} {thumbprint(jwk)} {out['jkt']}")
    t.check(f"{tag}: the token's aud is the resource", claims.get("aud") == resource, claims.get("aud"))
    proof = out["proof_payload"] or {}
    t.check(f"{tag}: oauth4webapi's proof: typ dpop+jwt, htm GET, htu, ath", out["proof_header"].get("typ") == "dpop+jwt" and proof.get("htm") == "GET" and proof.get("htu") == url and proof.get("ath"), f"{out['proof_header']} {proof}")
    t.check(f"{tag}: DPoP call with a good proof: 200", out["status"] == 200, f"{out['status']} {out['www_authenticate']} {out['body'][:200]!r}")
    if nonce:
        first = out["first_www_authenticate"] or ""
        t.check(f"{tag}: nonce on: the first call, without a nonce, gets 401 use_dpop_nonce", out["first_status"] == 401 and first.startswith(DPOP_CHALLENGE) and params(first).get("error") == "use_dpop_nonce", f"{out['first_status']} {first!r}")
        t.check(f"{tag}: nonce on: that 401 carries a DPoP-Nonce header", bool(out["first_dpop_nonce"]), out["attempts"][0])
        t.check(f"{tag}: nonce on: oauth4webapi retried once with the nonce", out["retried"] and len(out["attempts"]) == 2 and proof.get("nonce") == out["first_dpop_nonce"], f"{out['retried']} {proof.get('nonce')}")
    else:
        t.check(f"{tag}: nonce off: no retry, no nonce asked for", not out["retried"] and out["first_status"] == 200 and "nonce" not in proof, out["attempts"][0])

    mint = out["mint"]
    # A proof oauth4webapi made alongside the others and never sent: accepted, so that each
    # refusal below is down to the one thing its proof has wrong.
    code, _, challenges, body = dpop_call(srv.port, "/orders", token, mint["fresh"])
    t.check(f"{tag}: a second fresh proof for the same token: 200", code == 200, f"{code} {challenges} {body[:200]!r}")

    refused_with(f"{tag}: the same proof again (replay): invalid_dpop_proof", dpop_call(srv.port, "/orders", token, out["proof_used"]), "DPoP ", "invalid_dpop_proof")
    refused_with(f"{tag}: a proof for another URL (htu): invalid_dpop_proof", dpop_call(srv.port, "/orders", token, mint["other_htu"]), "DPoP ", "invalid_dpop_proof")
    refused_with(f"{tag}: a proof for another method (htm POST): invalid_dpop_proof", dpop_call(srv.port, "/orders", token, mint["other_htm"]), "DPoP ", "invalid_dpop_proof")
    refused_with(f"{tag}: a proof for another token (ath): invalid_dpop_proof", dpop_call(srv.port, "/orders", token, mint["other_ath"]), "DPoP ", "invalid_dpop_proof")
    t.check(f"{tag}: the other key really is another key", mint["other_key_jkt"] == thumbprint(mint["other_key_jwk"]) != claims.get("cnf", {}).get("jkt"))
    refused_with(f"{tag}: a good proof of another key than cnf.jkt: invalid_token", dpop_call(srv.port, "/orders", token, mint["other_key"]), "DPoP ", "invalid_token")

    code, _, challenges, body = request(srv.port, "GET", "/orders", [("Authorization", f"Bearer {token}")])
    if required:
        t.check(f"{tag}: the DPoP-bound token as Bearer (no proof): 401", code == 401 and challenges, f"{code} {challenges}")
    else:
        f = field(challenges, 'Bearer realm="orders"')
        t.check(f"{tag}: the DPoP-bound token as Bearer (no proof): 401 Bearer invalid_token", code == 401 and f is not None and params(f).get("error") == "invalid_token", f"{code} {challenges} {body[:200]!r}")
    code, _, challenges, _ = request(srv.port, "GET", "/orders", [("Authorization", f"DPoP {token}")])
    t.check(f"{tag}: the DPoP scheme without a proof: 401 with a DPoP challenge", code == 401 and field(challenges, "DPoP ") is not None, f"{code} {challenges}")


def check_bearer(tag, srv, issuer, resource, required):
    plain = bearer_token(issuer, "es256-client", resource)
    t.check(f"{tag}: an unbound token is a Bearer token", plain["token_type"] == "Bearer" and "cnf" not in payload_of(plain["access_token"]), plain["token_type"])
    code, _, challenges, body = request(srv.port, "GET", "/orders", [("Authorization", f"Bearer {plain['access_token']}")])
    if required:
        t.check(f"{tag}: AUTH_DPOP=required: a Bearer token is refused (401, DPoP challenge)", code == 401 and field(challenges, "DPoP ") is not None, f"{code} {challenges}")
    else:
        t.check(f"{tag}: AUTH_DPOP=allowed: a Bearer token is accepted", code == 200, f"{code} {challenges} {body[:200]!r}")


def check_algorithms(tag, srv, issuer, resource, meta):
    """Each announced proof algorithm, with a key oauth4webapi generated for it."""
    url = f"{srv.base}/orders"
    cases = [("ES384", "ES384", None), ("PS256", "PS256", None), ("RS256", "RS256", None), ("EdDSA", "Ed25519", "EdDSA")]
    for name, key_alg, label in cases:
        args = ["call", "--issuer", issuer, "--resource", resource, "--url", url, "--alg", key_alg] + (["--proof-alg", label] if label else [])
        out = client(*args)
        t.check(f"{tag}: a {name} proof: 200", out.get("status") == 200 and (out.get("proof_header") or {}).get("alg") == name, {k: out.get(k) for k in ("error", "status", "www_authenticate", "proof_header")})
    # oauth4webapi labels an Ed25519 key's proofs "Ed25519" (RFC 9864), never "EdDSA": such a
    # client gets through exactly when the resource server announces that algorithm.
    out = client("call", "--issuer", issuer, "--resource", resource, "--url", url, "--alg", "Ed25519")
    announced = "Ed25519" in (meta.get("dpop_signing_alg_values_supported") or [])
    if announced:
        t.check(f"{tag}: an Ed25519-labelled proof (announced): 200", out.get("status") == 200, {k: out.get(k) for k in ("error", "status", "www_authenticate")})
    else:
        f = out.get("www_authenticate") or ""
        t.check(f"{tag}: an Ed25519-labelled proof (not announced): 401 invalid_dpop_proof", out.get("status") == 401 and params(f).get("error") == "invalid_dpop_proof", {k: out.get(k) for k in ("error", "status", "www_authenticate")})
        print(f"{tag}: note: oauth4webapi signs Ed25519 DPoP keys with alg Ed25519, which orders does not announce")


def check_discovery(tag, srv, issuer, nonce):
    """The MCP client's way in: nothing but the URL."""
    url = f"{srv.base}/orders"
    out = client("discover", "--url", url)
    brief = {k: out.get(k) for k in ("error", "challenge_parse_error", "status", "www_authenticate", "metadata_url", "metadata", "as_discovery")}
    t.check(f"{tag}: discovery: oauth4webapi parses both challenges and finds resource_metadata", out.get("metadata_url") == f"{srv.base}{METADATA_PATH}" and out.get("metadata_url_in_every_challenge") and len(out.get("challenges", [])) >= 1, brief)
    if "error" in out:
        t.check(f"{tag}: discovery: the flow runs to the end", False, brief)
        return
    t.check(f"{tag}: discovery: the metadata's resource is the one its URL was built from (RFC 9728 §3.1/§3.3, oauth4webapi)", (out.get("resource_check_metadata_url") or {}).get("ok"), out.get("resource_check_metadata_url"))
    t.check(f"{tag}: discovery: oauth4webapi's well-known URL for the resource finds the same document", out.get("well_known_url") == f"{srv.base}{METADATA_PATH}" and out.get("well_known_status") == 200 and (out.get("well_known_check") or {}).get("ok"), f"{out.get('well_known_url')} {out.get('well_known_status')} {out.get('well_known_check')}")
    t.check(f"{tag}: discovery: the resource covers the URL requested (same origin, path prefix)", out.get("resource_covers_url"), brief)
    t.check(f"{tag}: discovery: the authorization server's metadata found", out.get("authorization_server") == issuer and out.get("as_discovery"), brief)
    t.check(f"{tag}: discovery: DPoP chosen, as the metadata announces it", out.get("scheme") == "DPoP", out.get("scheme"))
    claims = out.get("token_payload") or {}
    t.check(f"{tag}: discovery: the token's aud is the metadata's resource", claims.get("aud") == (out.get("metadata") or {}).get("resource") == srv.base, claims.get("aud"))
    t.check(f"{tag}: discovery: the token is bound to the client's key", claims.get("cnf", {}).get("jkt") == out.get("jkt"), claims.get("cnf"))
    t.check(f"{tag}: discovery: the call with the discovered token: 200", out.get("status") == 200, brief)
    if nonce:
        t.check(f"{tag}: discovery: with a nonce asked for first", out.get("retried") is True, out.get("attempts"))
    strict = out.get("resource_check_request_url") or {}
    print(f"{tag}: discovery: resource = the requested URL itself (RFC 9728 §3.3, strict reading): {strict.get('ok')}")


def run(binary, issuer, tag, dpop, nonce, audience=None, checks=("core",)):
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    env = dict(AUTH_OIDC_ISSUER=issuer, AUTH_AUDIENCE=audience or origin, AUTH_FAILURE_LIMIT="0", AUTH_PUBLIC_ORIGIN=origin, AUTH_DPOP=dpop, AUTH_DPOP_NONCE="on" if nonce else "off")
    resource = audience or origin  # what tokens are requested for: the audience orders expects
    required = dpop == "required"
    with OrdersAt(binary, port, **env) as srv:
        meta = check_metadata(tag, srv, issuer, origin, required)
        check_unauthenticated(tag, srv, required)
        if "core" in checks:
            check_bearer(tag, srv, issuer, resource, required)
            check_dpop(tag, srv, issuer, resource, required, nonce)
        if "algorithms" in checks:
            check_algorithms(tag, srv, issuer, resource, meta)
        if "discovery" in checks:
            check_discovery(tag, srv, issuer, nonce)


def main(binary):
    try:
        provider, issuer = start_provider()
    except RuntimeError as err:
        print(f"FAIL {err}")
        return 1
    try:
        runs = [
            ("allowed", "allowed", False, "urn:orders", ("core", "algorithms")),
            ("required+nonce", "required", True, None, ("core", "discovery")),
            ("discovery", "allowed", False, None, ("discovery",)),
        ]
        for tag, dpop, nonce, audience, checks in runs:
            try:
                run(binary, issuer, tag, dpop, nonce, audience=audience, checks=checks)
            except RuntimeError as err:
                t.check(f"{tag}: orders starts", False, err)
    finally:
        stop(provider)
    return t.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
