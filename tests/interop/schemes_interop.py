#!/usr/bin/env python3
"""Basic, API keys and throttling from outside, with independently written clients that
negotiate from our challenges: `curl --anyauth` (it must pick Basic from WWW-Authenticate) and
Python's urllib.request.HTTPBasicAuthHandler (it retries only when the realm parses); user
files written by Debian's `htpasswd` tool. Usage: schemes_interop.py ORDERS_BINARY"""

import base64
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import jwt  # PyJWT

from common import Orders, Tally, request

SECRET = "interop-secret-of-at-least-32-bytes!!"
OPS_PASSWORD = "correct horse battery"
UNICODE_USER, UNICODE_PASSWORD = "ünï", "pä:ss:wörd"
PARTNER_KEY = "pk_interop_0123456789abcdef"
t = Tally("schemes interop")


def curl(*args):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", *args],
                         capture_output=True, text=True)
    return out.stdout.strip(), out.stderr


def urllib_get(url, realm, user, password):
    manager = urllib.request.HTTPPasswordMgr()
    manager.add_password(realm, url, user, password)
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager))
    try:
        with opener.open(url, timeout=10) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def basic(user, password):
    return [("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())]


def main(binary):
    with tempfile.TemporaryDirectory() as tmp:
        users = f"{tmp}/users"
        subprocess.run(["htpasswd", "-cbB", users, "ops", OPS_PASSWORD], check=True, capture_output=True)
        subprocess.run(["htpasswd", "-bB", users, UNICODE_USER, UNICODE_PASSWORD], check=True, capture_output=True)
        weak = f"{tmp}/weak"
        subprocess.run(["htpasswd", "-cbm", weak, "old", "x"], check=True, capture_output=True)
        env = dict(AUTH_JWT_SECRET=SECRET, AUTH_HTPASSWD=users, AUTH_API_KEYS=f"partner-a={PARTNER_KEY}")

        refused = subprocess.run([binary], env=dict(env, AUTH_HTPASSWD=weak, AUTH_ADDR="127.0.0.1:0", PATH="/usr/bin:/bin"),
                                 capture_output=True, text=True, timeout=30)
        t.check("an $apr1$ file is refused at start-up, naming the line", refused.returncode != 0 and "line 1" in refused.stderr, refused.stderr)

        with Orders(binary, AUTH_FAILURE_LIMIT="0", **env) as srv:
            matrix(srv)
        with Orders(binary, AUTH_FAILURE_LIMIT="5", **env) as srv:
            throttling(srv)
    return t.report()


def matrix(srv):
    url = f"{srv.base}/ops/status"
    code, err = curl("--anyauth", "-v", "-u", f"ops:{OPS_PASSWORD}", url)
    t.check("curl --anyauth picks Basic from the challenge", code == "200" and "Authorization: Basic" in err, code)
    code, _ = curl("--anyauth", "-u", f"{UNICODE_USER}:{UNICODE_PASSWORD}", url)
    t.check("curl: UTF-8 user-id and a password with colons", code == "200", code)
    code, _ = curl("--anyauth", "-u", "ops:wrong", url)
    t.check("curl: wrong password is 401", code == "401", code)

    status, body = urllib_get(url, "orders-ops", "ops", OPS_PASSWORD)
    t.check("urllib HTTPBasicAuthHandler retries with the parsed realm", status == 200 and json.loads(body)["operator"] == "ops", status)
    status, _ = urllib_get(url, "orders-ops", UNICODE_USER, UNICODE_PASSWORD)
    t.check("urllib: UTF-8 credentials", status == 200, status)
    status, _ = urllib_get(url, "another-realm", "ops", OPS_PASSWORD)
    t.check("urllib: a realm that does not match is not answered", status == 401, status)
    status, _ = urllib_get(url, "orders-ops", "ops", "wrong")
    t.check("urllib: wrong password is 401", status == 401, status)

    code, headers, challenges, body = request(srv.port, "GET", "/ops/status")
    t.check("no credentials: Basic challenge with charset", code == 401 and challenges == ['Basic realm="orders-ops", charset="UTF-8"'], challenges)

    # One answer for an unknown user and a wrong password: same bytes, same timing class.
    answers, timings = {}, {"unknown user": [], "wrong password": []}
    for _ in range(15):
        for case, creds in [("unknown user", basic("nobody", OPS_PASSWORD)), ("wrong password", basic("ops", "nope"))]:
            start = time.perf_counter()
            code, headers, challenges, body = request(srv.port, "GET", "/ops/status", creds)
            timings[case].append(time.perf_counter() - start)
            headers.pop("date", None)
            answers.setdefault(case, set()).add((code, json.dumps(headers, sort_keys=True), tuple(challenges), body))
    t.check("unknown user and wrong password: byte-identical answers", len(answers["unknown user"] | answers["wrong password"]) == 1, answers)
    medians = {k: statistics.median(v) * 1000 for k, v in timings.items()}
    ratio = medians["unknown user"] / medians["wrong password"]
    print(f"timing: unknown user {medians['unknown user']:.1f} ms, wrong password {medians['wrong password']:.1f} ms (median of 15), ratio {ratio:.2f}")
    t.check("unknown user costs a password check too", 0.5 < ratio < 2.0, ratio)

    code, _, challenges, _ = request(srv.port, "GET", "/partner/orders", [("X-API-Key", PARTNER_KEY)])
    t.check("API key accepted", code == 200)
    code, _, challenges, _ = request(srv.port, "GET", "/partner/orders", [("X-API-Key", "pk_interop_guess_0000000")])
    t.check("wrong API key: 401 ApiKey challenge", code == 401 and challenges == ['ApiKey realm="orders"'], challenges)
    code, _ = curl("-H", f"X-API-Key: {PARTNER_KEY}", f"{srv.base}/partner/orders")
    t.check("curl with the API key", code == "200", code)

    code, _, challenges, _ = request(srv.port, "GET", "/whoami")
    t.check("/whoami: one challenge per scheme", code == 401 and challenges == [f'Bearer realm="orders", resource_metadata="http://127.0.0.1:{srv.port}/.well-known/oauth-protected-resource"', 'Basic realm="orders", charset="UTF-8"'], challenges)
    code, err = curl("--anyauth", "-v", "-u", f"ops:{OPS_PASSWORD}", f"{srv.base}/whoami")
    t.check("curl --anyauth picks Basic among Bearer and Basic", code == "200" and "Authorization: Basic" in err, code)
    token = jwt.encode({"sub": "jwt-user", "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    code, _, _, body = request(srv.port, "GET", "/whoami", [("Authorization", f"Bearer {token}")])
    t.check("/whoami with a Bearer token", code == 200 and json.loads(body) == {"scheme": "Bearer", "subject": "jwt-user"}, body)


def throttling(srv):
    url = f"{srv.base}/ops/status"
    attempts, retry_after = 0, None
    for _ in range(20):
        code, headers, _, _ = request(srv.port, "GET", "/ops/status", basic("ops", f"guess-{attempts}"))
        if code == 429:
            retry_after = headers.get("retry-after")
            break
        attempts += 1
    print(f"throttling: {attempts} failed attempts answered 401, then 429 with Retry-After: {retry_after}")
    t.check("a guessing loop is throttled after AUTH_FAILURE_LIMIT failures", attempts == 5 and retry_after is not None and 1 <= int(retry_after) <= 60)
    code, _ = curl("--anyauth", "-u", f"ops:{OPS_PASSWORD}", url)
    t.check("while blocked, even the right password is 429", code == "429", code)
    status, _ = urllib_get(url, "orders-ops", "ops", OPS_PASSWORD)
    t.check("urllib sees the 429 too", status == 429, status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
