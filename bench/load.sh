#!/usr/bin/env bash
# Load benchmark on 127.0.0.1: the server on CPU 0 (one actix worker), wrk on CPU 1.
# Prints req/s of the open endpoint, the hand-written baseline (actix-web-httpauth +
# jsonwebtoken) and ours, for HS256, RS256, ES256 and EdDSA, with a repeated valid token, unique
# tokens (10 000, more than the verdict cache holds, so every request is a miss) and a repeated
# forged token; each figure is the median of ROUNDS runs of SECONDS; then the ratios to the open
# endpoint. Usage: bench/load.sh [SECONDS=5] [ROUNDS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-5}
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
        rps[$impl/$alg/repeated]=$(run "$impl $alg repeated" "/$alg" "$work/$alg-repeated" 200)
        rps[$impl/$alg/unique]=$(run "$impl $alg unique" "/$alg" "$work/$alg-unique" 200)
        rps[$impl/$alg/forged]=$(run "$impl $alg forged" "/$alg" "$work/$alg-forged" 401)
    done
    stop_server
done

open=${rps[ours/open]}
printf '\nmachine: %s cores, %s; server on CPU 0, wrk -t1 -c32 on CPU 1; %ss x %s rounds (median)\n' "$cpus" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$seconds" "$rounds"
printf 'open endpoint: %s req/s (ours service), %s req/s (baseline service)\n\n' "$open" "${rps[baseline/open]}"
printf '| %-6s | %-8s | %12s | %12s | %9s | %9s | %14s |\n' alg token baseline ours base/open ours/open ours/baseline
printf '|%s|\n' "--------|----------|--------------|--------------|-----------|-----------|----------------"
for alg in $algs; do
    for mode in repeated unique forged; do
        b=${rps[baseline/$alg/$mode]}; o=${rps[ours/$alg/$mode]}
        awk -v a="$alg" -v m="$mode" -v b="$b" -v o="$o" -v bo="${rps[baseline/open]}" -v oo="$open" \
            'BEGIN { printf "| %-6s | %-8s | %12s | %12s | %9.2f | %9.2f | %14.2f |\n", a, m, b, o, b / bo, o / oo, o / b }'
    done
done
