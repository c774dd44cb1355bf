# Sourced by tests/dist/*.sh: the hub and module environments for the release-artifact tests.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/dist/arches.sh
. "$ROOT/scripts/dist/arches.sh"
DIST="${DIST:-$ROOT/dist}"
VERSION="$(dist_version)"
MANIFEST="$ROOT/tests/conformance/deployment.json"
HUB_PIDS=()

stop_hubs() {
  local pid
  for pid in "${HUB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${HUB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  HUB_PIDS=()
}

# start_hub HUB_BINARY DIR: the hub on ephemeral ports, state in DIR/state; sets HUB, ADMIN
# and EDGEMODULE_HUB_STATE (the CLI reads the admin token from there).
start_hub() {
  HUB=$1
  local dir=$2
  rm -rf "$dir/state"
  mkdir -p "$dir"
  "$HUB" serve --manifest "$MANIFEST" --state "$dir/state" --bind-address 127.0.0.1 \
    --mqtt-port 0 --https-port 0 --admin-port 0 --log-level warn >"$dir/hub.out" 2>"$dir/hub.log" &
  HUB_PIDS+=($!)
  export EDGEMODULE_HUB_STATE="$dir/state"
  local _
  for _ in $(seq 1 300); do grep -q "edgemodule-hub ready" "$dir/hub.out" && break; sleep 0.1; done
  ADMIN="$(sed -n 's/.* admin=\([^ ]*\).*/\1/p' "$dir/hub.out")"
  [ -n "$ADMIN" ] || { cat "$dir/hub.log" >&2; echo "the hub did not start" >&2; return 1; }
}

# as_module MODULE COMMAND...: runs COMMAND with the environment IoT Edge gives MODULE.
as_module() {
  local module=$1
  shift
  (eval "$("$HUB" env "$module" --admin "$ADMIN" --form workload)"; exec "$@")
}

# PATH without any Rust toolchain (cargo, rustc, rustup): release artifacts must not need it.
path_without_rust() {
  local dir out=()
  IFS=: read -r -a dirs <<<"$PATH"
  for dir in "${dirs[@]}"; do
    [ -x "$dir/cargo" ] || [ -x "$dir/rustc" ] || [ -x "$dir/rustup" ] || out+=("$dir")
  done
  (IFS=:; echo "${out[*]}")
}

# Results: `run_step NAME COMMAND...` runs one test, logs to $LOGS/NAME.log, records its time.
RESULTS=()
FAILED=0
run_step() {
  local name=$1 t0=$SECONDS rc=0
  shift
  printf '\n== %s\n' "$name"
  # A background subshell, so that `set -e` holds inside the step (it would not under `||`).
  (trap stop_hubs EXIT; "$@") >"$LOGS/$name.log" 2>&1 &
  wait $! || rc=$?
  if [ "$rc" = 0 ]; then
    RESULTS+=("PASS  $name ($((SECONDS - t0)) s)")
    tail -n 3 "$LOGS/$name.log"
  else
    RESULTS+=("FAIL  $name ($((SECONDS - t0)) s, log: ${LOGS#"$ROOT"/}/$name.log)")
    FAILED=1
    tail -n 30 "$LOGS/$name.log"
  fi
}
summary() {
  printf '\n%s\n' "$1"
  printf '  %s\n' "${RESULTS[@]}"
  return "$FAILED"
}
