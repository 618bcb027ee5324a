#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind (repeatable whatever else the
# machine is doing, unlike req/s): for each bench-server binary given, the Ir total after N
# requests minus the total after 1, over N-1. The same token file serves every binary, so two
# builds (say, before and after a change) are compared on identical requests.
# Usage: bench/instructions.sh TOKENS_FILE N BENCH_SERVER... (ROUTE=/hs256 by default)
#   target/release/bench-tokens hs256 valid 1500 > /tmp/unique
#   bench/instructions.sh /tmp/unique 1500 target/release/bench-server ../old/target/release/bench-server
set -euo pipefail
tokens=$1; n=$2; shift 2
route=${ROUTE:-/hs256}
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
for bin in "$@"; do
    declare -A total=()
    for count in 1 "$n"; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        out=$(mktemp)
        valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" ours "127.0.0.1:$port" >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/open" >/dev/null 2>&1 && break; sleep 0.2; done
        python3 - "$port" "$tokens" "$count" "$route" <<'PY'
import http.client, sys
port, path, count, route = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
tokens = [l.strip() for l in open(path) if l.strip()][:count]
conn = http.client.HTTPConnection("127.0.0.1", port)
for t in tokens:
    conn.request("GET", route, headers={"Authorization": t})
    res = conn.getresponse(); res.read()
    assert res.status in (200, 401), res.status
PY
        kill -INT "$pid"; wait "$pid" 2>/dev/null || true
        total[$count]=$(cat "$out"* | awk '/^summary:/ {s+=$2} END {print s}')
        rm -f "$out"*
    done
    echo "$bin: $(( (total[$n] - total[1]) / (n - 1) )) instructions per request"
done
