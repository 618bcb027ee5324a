#!/usr/bin/env bash
# One command for a security review: every JWT attack refused, every leak check, the start-up
# guards and property tests (cargo test), every fuzz target for FUZZ_SECONDS each (default 60),
# and the load-under-faults run. Prints each part's own tally.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo test -p auth-tests --test suite -- attacks leaks:: startup_guards:: properties:: key_sets::
fuzz/run.sh "${FUZZ_SECONDS:-60}"
tests/load/faults.sh "${LOAD_SECONDS:-20}"
