#!/usr/bin/env bash
# Load benchmark on 127.0.0.1: the server on CPU 0 (one actix worker), wrk on CPU 1.
# Prints req/s of the open endpoint, the hand-written baseline (actix-web-httpauth +
# jsonwebtoken) and ours, for HS256, RS256, ES256 and EdDSA, with a repeated valid token, unique
# tokens (40 000 cycling: far more than the verdict cache and its doorkeeper remember, so every
# request is a miss) and a repeated forged
# token; each figure is the median of ROUNDS runs of SECONDS. Ratios are to the open endpoint of
# the same service receiving the same requests (same Authorization header, ignored), so they
# measure what protecting the endpoint costs, not what parsing a 600-byte header costs.
# Usage: bench/load.sh [SECONDS=3] [ROUNDS=3]; ALGS="hs256 …" and MODES="unique …" narrow it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-3}
rounds=${2:-3}
unique=${UNIQUE:-40000}
algs=${ALGS:-hs256 rs256 es256 eddsa}
modes=${MODES:-repeated unique forged}
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk curl >/dev/null
fi
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p auth-bench --bins
bin="$root/target/release"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cpus=$(nproc)
pin_server=""; pin_wrk=""
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then pin_server="taskset -c 0"; pin_wrk="taskset -c 1"; fi

for alg in $algs; do
    "$bin/bench-tokens" "$alg" valid 1 >"$work/$alg-repeated"
    "$bin/bench-tokens" "$alg" valid "$unique" >"$work/$alg-unique"
    "$bin/bench-tokens" "$alg" forged 1 >"$work/$alg-forged"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A port pid
# Both services run at once, pinned to the same core, and are measured alternately, so that the
# VM's drift in speed hits the four runs of one round alike; ratios are taken per round.
for impl in ours baseline; do
    port[$impl]=$(free_port)
    $pin_server "$bin/bench-server" "$impl" "127.0.0.1:${port[$impl]}" >/dev/null 2>&1 &
    pid[$impl]=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:${port[$impl]}/open" >/dev/null 2>&1 && break; sleep 0.05; done
done
server="${pid[ours]} ${pid[baseline]}"
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

# once IMPL PATH TOKENS EXPECTED -> req/s of one run
once() {
    local out bad
    out=$(TOKENS_FILE="$3" TARGET_PATH="$2" EXPECTED_STATUS="$4" $pin_wrk wrk -t1 -c32 -d"${seconds}s" -s "$here/load.lua" "http://127.0.0.1:${port[$1]}")
    bad=$(echo "$out" | awk '/^unexpected/ {print $2}')
    [ "$bad" = "0" ] || { echo "$1 $2: $bad unexpected statuses" >&2; echo "$out" >&2; exit 1; }
    echo "$out" | awk '/Requests\/sec/ {print $2}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

open_ours=$(for _ in $(seq "$rounds"); do once ours /open "" 200; done | median)
open_base=$(for _ in $(seq "$rounds"); do once baseline /open "" 200; done | median)
printf '\nmachine: %s cores, %s; servers on CPU 0 (one actix worker each), wrk -t1 -c32 on CPU 1; %ss runs, median of %s rounds\n' "$cpus" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$seconds" "$rounds"
printf 'open endpoint without a token: %s req/s (ours), %s req/s (baseline)\n\n' "$open_ours" "$open_base"
printf '| %-6s | %-8s | %10s | %10s | %10s | %9s | %9s | %9s |\n' alg token open+token baseline ours base/open ours/open ours/base
printf '|%s|\n' "--------|----------|------------|------------|------------|-----------|-----------|-----------"
for alg in $algs; do
    for mode in $modes; do
        expected=200; [ "$mode" = forged ] && expected=401
        rows=$(for _ in $(seq "$rounds"); do
            oo=$(once ours /open "$work/$alg-$mode" 200)
            o=$(once ours "/$alg" "$work/$alg-$mode" "$expected")
            bo=$(once baseline /open "$work/$alg-$mode" 200)
            b=$(once baseline "/$alg" "$work/$alg-$mode" "$expected")
            echo "$oo $o $bo $b"
        done)
        col() { echo "$rows" | awk "{print $1}" | median; }
        awk -v a="$alg" -v m="$mode" -v oo="$(col '$1')" -v b="$(col '$4')" -v o="$(col '$2')" \
            -v rb="$(col '$4/$3')" -v ro="$(col '$2/$1')" -v rob="$(col '$2/$4')" \
            'BEGIN { printf "| %-6s | %-8s | %10.0f | %10.0f | %10.0f | %9.2f | %9.2f | %9.2f |\n", a, m, oo, b, o, rb, ro, rob }'
    done
done
