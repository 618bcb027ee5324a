#!/usr/bin/env bash
# Load benchmark of cached opaque tokens on 127.0.0.1: `bench-server ours-opaque` (one actix
# worker on CPU 0; JWTs and opaque tokens, the latter introspected against an authorization
# server in the same process) under wrk on CPU 1. Per round, alternately: the open endpoint
# receiving the same request, a repeated opaque token (a cache hit after its first request),
# and a repeated HS256 JWT (the verdict cache) for comparison; ratios are to the open endpoint,
# taken per round, medians of ROUNDS runs of SECONDS.
# Usage: bench/introspection-load.sh [SECONDS=3] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-3}
rounds=${2:-3}
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk curl >/dev/null
fi
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p auth-bench --bins
bin="$root/target/release"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pin_server=""; pin_wrk=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then pin_server="taskset -c 0"; pin_wrk="taskset -c 1"; fi
$pin_server "$bin/bench-server" ours-opaque "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/open" >/dev/null 2>&1 && break; sleep 0.05; done
# A 43-character opaque token, as authorization servers issue them (32 random bytes, base64url).
echo "Bearer $(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" >"$work/opaque"
"$bin/bench-tokens" hs256 valid 1 >"$work/jwt"
# Each line is a whole Authorization value (load.lua sends it as it is).
curl -sf -H "Authorization: $(cat "$work/opaque")" "http://127.0.0.1:$port/hs256" >/dev/null \
    || { echo "the opaque token is not accepted" >&2; exit 1; }
once() {
    local out bad
    out=$(TOKENS_FILE="$2" TARGET_PATH="$1" EXPECTED_STATUS=200 $pin_wrk wrk -t1 -c32 -d"${seconds}s" -s "$here/load.lua" "http://127.0.0.1:$port")
    bad=$(echo "$out" | awk '/^unexpected/ {print $2}')
    [ "$bad" = "0" ] || { echo "$1: $bad unexpected statuses" >&2; echo "$out" >&2; exit 1; }
    echo "$out" | awk '/Requests\/sec/ {print $2}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rows=$(for _ in $(seq "$rounds"); do
    oo=$(once /open "$work/opaque")
    o=$(once /hs256 "$work/opaque")
    jo=$(once /open "$work/jwt")
    j=$(once /hs256 "$work/jwt")
    echo "$oo $o $jo $j"
done)
col() { echo "$rows" | awk "{print $1}" | median; }
printf '\nmachine: %s cores, %s; server on CPU 0 (one actix worker), wrk -t1 -c32 on CPU 1; %ss runs, median of %s rounds\n' "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$seconds" "$rounds"
printf '| token | open+token req/s | protected req/s | protected/open |\n|---|---:|---:|---:|\n'
printf '| opaque, cached introspection answer | %.0f | %.0f | **%.2f** |\n' "$(col '$1')" "$(col '$2')" "$(col '$2/$1')"
printf '| HS256 JWT, verdict cache | %.0f | %.0f | %.2f |\n' "$(col '$3')" "$(col '$4')" "$(col '$4/$3')"
