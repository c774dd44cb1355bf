#!/usr/bin/env bash
# Runs every cargo-fuzz target of the hub (hub/fuzz: route_parser, property_bag,
# manifest_parser, mqtt_packets) for FUZZ_SECONDS each (default 30), starting from the
# corpus in hub/fuzz/corpus/<target>/. A crash, panic, hang (> 10 s per input) or
# out-of-memory fails the run; its input is copied to hub/fuzz/regressions/<target>/, where
# `cargo test` (hub/tests/fuzz_regressions.rs) replays it from then on — commit it with the
# fix. Needs a nightly toolchain and cargo-fuzz (scripts/install-deps.sh installs both).
#
# Sanitizer "none": the targets are safe Rust, so what matters is panics, hangs and memory
# blow-ups, which libFuzzer catches without AddressSanitizer (whose build is much slower).
set -euo pipefail
cd "$(dirname "$0")/../hub"

per_target="${FUZZ_SECONDS:-30}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: FAILED: cargo-fuzz or the nightly toolchain is missing; run 'bash scripts/install-deps.sh'" >&2
  exit 1
fi

status=0
total_start=$SECONDS
for target in $(cargo +nightly fuzz list); do
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  log="fuzz/artifacts/$target.log"
  echo "fuzz: $target for ${per_target}s (log: hub/$log)"
  if cargo +nightly fuzz run --sanitizer none "$target" "fuzz/corpus/$target" -- \
      -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    echo "fuzz: $target ok: ${runs:-?} inputs run"
  else
    status=1
    echo "fuzz: $target FAILED; last lines of hub/$log:" >&2
    tail -n 30 "$log" >&2
    mkdir -p "fuzz/regressions/$target"
    for crash in fuzz/artifacts/"$target"/*; do
      [ -f "$crash" ] || continue
      cp "$crash" "fuzz/regressions/$target/"
      echo "fuzz: saved $(basename "$crash") as hub/fuzz/regressions/$target/$(basename "$crash")" >&2
    done
  fi
done
echo "fuzz: all targets done in $((SECONDS - total_start))s"
exit "$status"
