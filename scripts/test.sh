#!/usr/bin/env bash
# The README's test command: installs what the tests start themselves (Debian's redis-server,
# through scripts/ensure-redis.sh, when missing), then runs every Rust test of the workspace.
# Arguments go to `cargo test` (e.g. `scripts/test.sh -p auth-tests --test suite redis_store::`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-redis.sh >/dev/null
if [ "$#" -eq 0 ]; then set -- --workspace; fi
exec cargo test "$@"
