#!/usr/bin/env bash
# `make bench`: builds what is measured (bench/build.sh), measures everything in one run
# (bench/measure.py, inside a private network namespace so that the hub can own 8883/443,
# which the official SDKs insist on) and writes docs/benchmarks.md + docs/benchmarks.png
# (bench/report.py), ending with the targets table. Knobs: BENCH_REPS, BENCH_QUICK, BENCH_ONLY.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
start=$(date +%s)

bash "$here/build.sh"

results="$here/results"
rm -rf "$results" && mkdir -p "$results"
py="$here/.venv/bin/python"
if unshare --net true 2>/dev/null; then
  unshare --net -- bash -c 'ip link set lo up && exec "$@"' _ "$py" "$here/measure.py" "$results"
else
  echo "bench: no private network namespace (unshare --net failed); using this machine's 8883/443"
  for port in 8883 443; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "bench: port $port is in use; stop what listens there (an interop test?) and retry" >&2
      exit 1
    fi
  done
  "$py" "$here/measure.py" "$results"
fi

if [ "${BENCH_ONLY:-}" = logging ]; then
  # Section 6 alone: the rest of docs/benchmarks.md keeps the figures of the last full run.
  "$py" "$here/report.py" "$results" "$root/docs" --section logging
else
  "$py" "$here/report.py" "$results" "$root/docs"
fi
echo "bench: done in $(($(date +%s) - start)) s"
