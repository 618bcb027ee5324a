#!/usr/bin/env bash
# Load under faults (see faults.py). Installs wrk (Debian) and PyJWT[crypto] (a private venv) when
# missing, builds the orders binary, runs for SECONDS (default 20) on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-20}
profile=${PROFILE:-release}
if ! command -v wrk >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi
venv="$root/tests/interop/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import jwt, cryptography' 2>/dev/null || "$venv/bin/pip" install --quiet --disable-pip-version-check 'PyJWT[crypto]>=2.8,<3'
if [ "$profile" = release ]; then
    cargo build --quiet --release --manifest-path "$root/Cargo.toml" --bin orders
    binary="$root/target/release/orders"
else
    cargo build --quiet --manifest-path "$root/Cargo.toml" --bin orders
    binary="$root/target/debug/orders"
fi
exec "$venv/bin/python" "$here/faults.py" "$binary" "$seconds"
