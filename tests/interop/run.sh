#!/usr/bin/env bash
# Sets up what the interop suite needs on a fresh machine (PyJWT in a private venv), builds the
# `orders` binary and runs the suite against it on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import jwt' 2>/dev/null || "$venv/bin/pip" install --quiet --disable-pip-version-check 'PyJWT>=2.8,<3'
cargo build --quiet --manifest-path "$root/Cargo.toml" --bin orders
"$venv/bin/python" "$here/bearer_interop.py" "$root/target/debug/orders"
