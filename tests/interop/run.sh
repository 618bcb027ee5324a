#!/usr/bin/env bash
# Sets up what the interop suites need on a fresh machine (PyJWT, openapi-spec-validator and
# requests in a private venv; Debian's apache2-utils for `htpasswd` and `htdigest`, and curl;
# oidc-provider and oauth4webapi from the npm registry; openssl for the mTLS test CA), builds the `orders` binary and runs every suite against
# it on 127.0.0.1. The introspection suite runs oidc-provider as an RFC 7662 authorization server
# issuing opaque tokens (oidc/introspection_provider.mjs) and stops and restarts it mid-run. The
# client suite drives auth-client (its `orders_client` example) against orders and the provider.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"

missing=()
{ command -v htpasswd && command -v htdigest; } >/dev/null || missing+=(apache2-utils)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import jwt, openapi_spec_validator, requests' 2>/dev/null \
    || "$venv/bin/pip" install --quiet --disable-pip-version-check 'PyJWT>=2.8,<3' 'openapi-spec-validator>=0.7,<0.10' \
        'requests>=2.31,<3'
if [ ! -d "$here/oidc/node_modules/oidc-provider" ] || [ ! -d "$here/oidc/node_modules/oauth4webapi" ]; then
    (cd "$here/oidc" && npm install --no-package-lock --no-audit --no-fund --silent)
fi
cargo build --quiet --manifest-path "$root/Cargo.toml" --bin orders
cargo build --quiet --manifest-path "$root/Cargo.toml" -p auth-client --example orders_client
binary="$root/target/debug/orders"
status=0
"$venv/bin/python" "$here/bearer_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/schemes_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/oidc_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/openapi_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/digest_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/dpop_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/mtls_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/introspection_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/claims_interop.py" "$binary" || status=1
"$venv/bin/python" "$here/client_interop.py" "$binary" "$root/target/debug/examples/orders_client" || status=1
exit $status
