#!/usr/bin/env bash
# Nested edge (issue 19) in `make bench`: the full three-level test (top <- middle <- two
# leaves, 2 x 20,000 messages, the middle killed with SIGKILL twice) and the 1/2/3-level
# throughput and p99 benchmark, both from hub/tests/nested_chain.rs in a release build.
# Appends their figures to RESULTS_DIR/nested.txt (read by bench/report.py).
# Knobs: NESTED_MESSAGES (20000 per leaf), NESTED_KILLS (2), NESTED_BENCH_MESSAGES (20000).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
results="${1:?usage: nested.sh RESULTS_DIR}"
out="$results/nested.txt"
rm -f "$out"
echo "bench: nested edge — three levels with kill -9 of the middle, and 1/2/3 levels"
EDGEMODULE_NESTED_MESSAGES="${NESTED_MESSAGES:-20000}" \
EDGEMODULE_NESTED_KILLS="${NESTED_KILLS:-2}" \
EDGEMODULE_NESTED_BENCH_MESSAGES="${NESTED_BENCH_MESSAGES:-20000}" \
EDGEMODULE_NESTED_BENCH_OUT="$out" \
  cargo test --quiet --release -p edgemodule-hub --manifest-path "$root/Cargo.toml" \
    --test nested_chain -- --test-threads 1
cat "$out"
