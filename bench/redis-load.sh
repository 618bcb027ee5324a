#!/usr/bin/env bash
# What the Redis store costs under load, side by side in one run: the same bench-server (one
# actix worker on CPU 0, wrk -t1 -c32 on CPU 1) in memory (without and with the in-memory
# throttle), with revocations checked through a
# RedisStore, and with failures counted there too (limit 10^9 per minute: every forged token's
# failure is written, none blocks); redis-server on 127.0.0.1 (CPU 1 with wrk). Rows: the open
# endpoint, a repeated valid HS256 token, a repeated forged one; ratios to the open endpoint of
# the same server in the same round. Usage: bench/redis-load.sh [SECONDS=3] [ROUNDS=3].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${1:-3}
rounds=${2:-3}
"$root/scripts/ensure-redis.sh" >/dev/null
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p auth-bench --bins
bin="$root/target/release"
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$bin/bench-tokens" hs256 valid 1 >"$work/valid"
"$bin/bench-tokens" hs256 forged 1 >"$work/forged"
rport=$(free_port)
taskset -c 1 redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null &
pids+=($!)
sleep 0.3
declare -A port
start() { # NAME ENV...
    local name=$1; shift
    port[$name]=$(free_port)
    env "$@" taskset -c 0 "$bin/bench-server" ours "127.0.0.1:${port[$name]}" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:${port[$name]}/open" >/dev/null 2>&1 && break; sleep 0.05; done
}
start memory
start memory+throttle BENCH_THROTTLE=1000000000
start redis BENCH_REDIS_URL="redis://127.0.0.1:$rport/"
start redis+throttle BENCH_REDIS_URL="redis://127.0.0.1:$rport/" BENCH_THROTTLE=1000000000
sleep 1.5 # the Redis views' first read-back
once() { # NAME PATH TOKENS EXPECTED
    local out bad
    out=$(TOKENS_FILE="$3" TARGET_PATH="$2" EXPECTED_STATUS="$4" taskset -c 1 wrk -t1 -c32 -d"${seconds}s" -s "$here/load.lua" "http://127.0.0.1:${port[$1]}")
    bad=$(echo "$out" | awk '/^unexpected/ {print $2}')
    [ "$bad" = "0" ] || { echo "$1 $2: $bad unexpected statuses" >&2; echo "$out" >&2; exit 1; }
    echo "$out" | awk '/Requests\/sec/ {print $2}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '\nmachine: %s cores, %s; %ss runs, median of %s rounds\n\n' "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$seconds" "$rounds"
printf '| %-15s | %-8s | %10s | %10s | %9s |\n' store token open+token ours ours/open
printf '|%s|\n' "-----------------|----------|------------|------------|-----------"
for name in memory memory+throttle redis redis+throttle; do
    for mode in valid forged; do
        expected=200; [ "$mode" = forged ] && expected=401
        rows=$(for _ in $(seq "$rounds"); do
            oo=$(once "$name" /open "$work/$mode" 200)
            o=$(once "$name" /hs256 "$work/$mode" "$expected")
            echo "$oo $o"
        done)
        col() { echo "$rows" | awk "{print $1}" | median; }
        awk -v n="$name" -v m="$mode" -v oo="$(col '$1')" -v o="$(col '$2')" -v r="$(col '$2/$1')" \
            'BEGIN { printf "| %-15s | %-8s | %10.0f | %10.0f | %9.2f |\n", n, m, oo, o, r }'
    done
done
