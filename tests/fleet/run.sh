#!/usr/bin/env bash
# The fleet test (fleet.py): two orders processes sharing one real Redis on 127.0.0.1.
# Installs redis-server (scripts/ensure-redis.sh), openssl (the TLS scenario's certificates) and
# PyJWT (the interop venv) when missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
"$root/scripts/ensure-redis.sh" >/dev/null
command -v openssl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }
venv="$root/tests/interop/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import jwt' 2>/dev/null || "$venv/bin/pip" install --quiet --disable-pip-version-check 'PyJWT[crypto]>=2.8,<3'
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
    cargo build --quiet --release --manifest-path "$root/Cargo.toml" --bin orders
    binary="$root/target/release/orders"
else
    cargo build --quiet --manifest-path "$root/Cargo.toml" --bin orders
    binary="$root/target/debug/orders"
fi
exec "$venv/bin/python" "$here/fleet.py" "$binary"
