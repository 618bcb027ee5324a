#!/usr/bin/env python3
"""Certificate-bound access tokens (RFC 8705) against independent parts: a test CA and client
certificates made with `openssl`, requests sent by `curl --cert`, the token minted by PyJWT
with the certificate's SHA-256 thumbprint in `cnf.x5t#S256`. The orders service, serving TLS
with optional client certificates (AUTH_TLS_CERT, AUTH_TLS_KEY, AUTH_TLS_CLIENT_CA), must
accept the token over a connection with that certificate (200) and refuse it with another
certificate or none (401 invalid_token); a certificate from no trusted CA never completes the
handshake; plain bearer tokens still work without a certificate.
Usage: mtls_interop.py ORDERS_BINARY"""

import base64
import hashlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import jwt

from common import Tally, free_port

t = Tally("mtls interop")
SECRET = "mtls-interop-secret-of-at-least-32-bytes"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d):
    """ca.pem/ca.key; server.pem/key (127.0.0.1); client certificates a and b from the CA,
    rogue self-signed."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=orders test CA", cwd=d)
    with open(f"{d}/server.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    with open(f"{d}/client.ext", "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, ext in [("server", "server.ext"), ("a", "client.ext"), ("b", "client.ext")]:
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", ext, cwd=d)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "rogue.key", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=a", cwd=d)


def thumbprint(d, name):
    der = subprocess.run(["openssl", "x509", "-in", f"{d}/{name}.pem", "-outform", "DER"], check=True, capture_output=True).stdout
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def token(cnf=None, scope="orders:read"):
    now = int(time.time())
    claims = {"sub": "svc", "scope": scope, "iat": now, "exp": now + 600}
    if cnf is not None:
        claims["cnf"] = cnf
    return jwt.encode(claims, SECRET, algorithm="HS256")


def curl(d, port, path, bearer=None, cert=None):
    """(status or None when the TLS handshake failed, WWW-Authenticate values, body)."""
    args = ["curl", "-s", "-D", "-", "--cacert", f"{d}/ca.pem", f"https://127.0.0.1:{port}{path}"]
    if bearer:
        args += ["-H", f"Authorization: Bearer {bearer}"]
    if cert:
        args += ["--cert", f"{d}/{cert}.pem", "--key", f"{d}/{cert}.key"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=20)
    if out.returncode != 0 or not out.stdout.startswith("HTTP/"):
        return None, [], ""
    # Text mode reads CRLF as LF.
    head, _, body = out.stdout.partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    challenges = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("www-authenticate:")]
    return status, challenges, body


def main(binary):
    with tempfile.TemporaryDirectory() as d:
        make_pki(d)
        port = free_port()
        env = dict(os.environ, AUTH_ADDR=f"127.0.0.1:{port}", RUST_LOG="warn", AUTH_JWT_SECRET=SECRET, AUTH_FAILURE_LIMIT="0",
                   AUTH_TLS_CERT=f"{d}/server.pem", AUTH_TLS_KEY=f"{d}/server.key", AUTH_TLS_CLIENT_CA=f"{d}/ca.pem")
        proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            context = ssl.create_default_context(cafile=f"{d}/ca.pem")
            for _ in range(400):
                try:
                    with urllib.request.urlopen(f"https://127.0.0.1:{port}/health", context=context, timeout=2) as res:
                        if res.status == 200:
                            break
                except OSError:
                    time.sleep(0.05)
            else:
                print("FAIL the orders service did not start over TLS")
                return 1
            run(d, port)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return t.report()


def run(d, port):
    bound = token({"x5t#S256": thumbprint(d, "a")})
    status, _, body = curl(d, port, "/orders", bound, cert="a")
    t.check("the token's own certificate: 200", status == 200, f"{status} {body}")
    for cert in ["b", None]:
        status, challenges, _ = curl(d, port, "/orders", bound, cert=cert)
        t.check(f"another certificate or none ({cert}): 401 invalid_token", status == 401 and challenges[:1] and challenges[0].startswith('Bearer realm="orders", error="invalid_token"'), f"{status} {challenges}")
    status, _, _ = curl(d, port, "/orders", bound, cert="rogue")
    t.check("a certificate from no trusted CA (same subject): no response at all", status is None, status)
    status, _, _ = curl(d, port, "/orders", token(), cert=None)
    t.check("a plain bearer token without a certificate: 200", status == 200, status)
    status, _, _ = curl(d, port, "/orders", token(), cert="b")
    t.check("a plain bearer token with a certificate: 200", status == 200, status)
    both = token({"x5t#S256": thumbprint(d, "a"), "jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})
    status, _, _ = curl(d, port, "/orders", both, cert="a")
    t.check("bound to a certificate and a DPoP key, presented as Bearer: 401 (every binding it names)", status == 401, status)
    status, _, body = curl(d, port, "/.well-known/oauth-protected-resource")
    meta = json.loads(body) if status == 200 else {}
    t.check("metadata says tls_client_certificate_bound_access_tokens", meta.get("tls_client_certificate_bound_access_tokens") is True and meta.get("resource") == f"https://127.0.0.1:{port}", meta)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
