#!/usr/bin/env bash
# The browser test: installs Debian's Chromium and playwright-core (no browser download: the
# test launches /usr/bin/chromium), builds the `orders` binary and drives a cross-origin
# single-page app against it on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if ! command -v chromium >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm install --no-package-lock --no-audit --no-fund --silent)
fi
cargo build --quiet --manifest-path "$root/Cargo.toml" --bin orders
exec node "$here/browser_test.mjs" "${CARGO_TARGET_DIR:-$root/target}/debug/orders"
