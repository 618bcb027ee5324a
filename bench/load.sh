#!/usr/bin/env bash
# Load benchmark on 127.0.0.1: the server on CPU 0 (one actix worker), wrk on CPU 1.
# Prints req/s of the open endpoint, the hand-written baseline (actix-web-httpauth +
# jsonwebtoken) and ours, for HS256, RS256, ES256 and EdDSA, with a repeated valid token, unique
# tokens (10 000, each sent once per cycle: every request is a cache miss) and a repeated forged
# token; each figure is the median of ROUNDS runs of SECONDS. Ratios are to the open endpoint of
# the same service receiving the same requests (same Authorization header, ignored), so they
# measure what protecting the endpoint costs, not what parsing a 600-byte header costs.
# Usage: bench/load.sh [SECONDS=3] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-3}
rounds=${2:-3}
unique=${UNIQUE:-10000}
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get update -qq; $sudo apt-get install -y -qq wrk >/dev/null; }
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p auth-bench --bins
bin="$root/target/release"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cpus=$(nproc)
pin_server=""; pin_wrk=""
if [ "$cpus" -ge 2 ] && command -v taskset >/dev/null; then pin_server="taskset -c 0"; pin_wrk="taskset -c 1"; fi

algs="hs256 rs256 es256 eddsa"
for alg in $algs; do
    "$bin/bench-tokens" "$alg" valid 1 >"$work/$alg-repeated"
    "$bin/bench-tokens" "$alg" valid "$unique" >"$work/$alg-unique"
    "$bin/bench-tokens" "$alg" forged 1 >"$work/$alg-forged"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server=""
start_server() {
    $pin_server "$bin/bench-server" "$1" "127.0.0.1:$port" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/open" >/dev/null 2>&1 && return; sleep 0.05; done
    echo "server did not start" >&2; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; }

# run NAME PATH TOKENS EXPECTED -> median req/s
run() {
    local results=()
    for _ in $(seq "$rounds"); do
        local out
        out=$(TOKENS_FILE="$3" TARGET_PATH="$2" EXPECTED_STATUS="$4" $pin_wrk wrk -t1 -c32 -d"${seconds}s" -s "$here/load.lua" "http://127.0.0.1:$port")
        local bad
        bad=$(echo "$out" | awk '/^unexpected/ {print $2}')
        [ "$bad" = "0" ] || { echo "$1: $bad unexpected statuses" >&2; echo "$out" >&2; exit 1; }
        results+=("$(echo "$out" | awk '/Requests\/sec/ {print $2}')")
    done
    printf '%s\n' "${results[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

declare -A rps
for impl in baseline ours; do
    start_server "$impl"
    rps[$impl/open]=$(run "$impl open" /open "" 200)
    for alg in $algs; do
        for mode in repeated unique forged; do
            rps[$impl/$alg/$mode/open]=$(run "$impl $alg $mode open" /open "$work/$alg-$mode" 200)
        done
        rps[$impl/$alg/repeated]=$(run "$impl $alg repeated" "/$alg" "$work/$alg-repeated" 200)
        rps[$impl/$alg/unique]=$(run "$impl $alg unique" "/$alg" "$work/$alg-unique" 200)
        rps[$impl/$alg/forged]=$(run "$impl $alg forged" "/$alg" "$work/$alg-forged" 401)
    done
    stop_server
done

printf '\nmachine: %s cores, %s; server on CPU 0, wrk -t1 -c32 on CPU 1; %ss x %s rounds (median)\n' "$cpus" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$seconds" "$rounds"
printf 'open endpoint without a token: %s req/s (ours service), %s req/s (baseline service)\n\n' "${rps[ours/open]}" "${rps[baseline/open]}"
printf '| %-6s | %-8s | %10s | %10s | %10s | %9s | %9s | %9s |\n' alg token open+token baseline ours base/open ours/open ours/base
printf '|%s|\n' "--------|----------|------------|------------|------------|-----------|-----------|-----------"
for alg in $algs; do
    for mode in repeated unique forged; do
        b=${rps[baseline/$alg/$mode]}; o=${rps[ours/$alg/$mode]}
        bo=${rps[baseline/$alg/$mode/open]}; oo=${rps[ours/$alg/$mode/open]}
        awk -v a="$alg" -v m="$mode" -v b="$b" -v o="$o" -v bo="$bo" -v oo="$oo" \
            'BEGIN { printf "| %-6s | %-8s | %10.0f | %10.0f | %10.0f | %9.2f | %9.2f | %9.2f |\n", a, m, oo, b, o, b / bo, o / oo, o / b }'
    done
done
