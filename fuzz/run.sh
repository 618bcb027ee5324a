#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) and prints how many inputs each executed.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); libFuzzer's flags need nightly features, which
# RUSTC_BOOTSTRAP=1 unlocks on the stable toolchain this project pins nothing else for.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list)
for t in $targets; do cargo fuzz build -O "$t" >/dev/null; done
printf '%-18s %14s %10s\n' target executions crashes
for t in $targets; do
    log=$(mktemp)
    status=0
    cargo fuzz run -O "$t" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    crashes=0; [ $status -eq 0 ] || crashes=1
    printf '%-18s %14s %10s\n' "$t" "$runs" "$crashes"
    [ $status -eq 0 ] || { tail -n 30 "$log"; exit 1; }
    rm -f "$log"
done
