#!/usr/bin/env bash
# The process form of the container test, for machines where containers cannot run:
# the same Python and C filters, installed from the same packages (dist/), run by
# `edgemodule-hub up --run-modules processes` from their x-edgemodule commands, with the
# demo's end-to-end checks and a killed filter restarted after edgeAgent's cool-off.
# Called by tests/containers/run.sh, which has already said loudly that containers are
# NOT RUN; this script says it again at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PROFILE="${PROFILE:-debug}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE"
HUB="$BIN/edgemodule-hub"
SENSOR="$BIN/sensor"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgemodule-processes.XXXXXX")"
T0=$SECONDS
fail() {
    echo "PROCESS-FORM TEST FAILED: $*" >&2
    [[ -s "$WORK/hub.log" ]] && tail -n 30 "$WORK/hub.log" >&2
    exit 1
}
# shellcheck source=lib.sh
. "$ROOT/tests/containers/lib.sh"
trap 'stop_hub; rm -rf "$WORK"' EXIT

echo "== Installing the filters from dist/ on the host"
bash "$ROOT/scripts/dist/ensure.sh" x64 >&2
VENV="$ROOT/target/containers/process-venv"
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps \
    "$ROOT"/dist/edgemodule-*-cp39-abi3-manylinux_*_x86_64.whl
mkdir -p "$WORK/c"
tar -xzf "$ROOT"/dist/edgemodule-[0-9]*-linux-x64.tar.gz -C "$WORK/c"
pc_dir="$(dirname "$(find "$WORK/c" -name edgemodule.pc | head -n 1)")"
PKG_CONFIG_PATH="$pc_dir" make -s -C "$ROOT/examples/c/filter" PKG_CONFIG="pkg-config --define-prefix" filter
mv "$ROOT/examples/c/filter/filter" "$WORK/filter-c"

write_deployment "$WORK/deployment.json" localhost/filter-python:0.1.0-amd64 localhost/filter-c:0.1.0-amd64 \
    "[\"$VENV/bin/python\", \"-u\", \"$ROOT/examples/python/filter/main.py\"]" "[\"$WORK/filter-c\"]"

echo "== edgemodule-hub up --run-modules processes"
start_hub "$WORK/deployment.json" processes
check_pipeline

echo "== Kill the Python filter: restarted after edgeAgent's 10 s cool-off"
pid="$(module_field filter-py x-edgemodule.pid)"
kill -KILL "$pid"
killed=$SECONDS
restarted() { [[ "$(module_field filter-py runtimeStatus)" == running && "$(module_field filter-py restartCount)" == 1 ]]; }
wait_for "filter-py to be restarted" restarted
(( SECONDS - killed >= 9 )) || fail "restarted before the cool-off"
echo "  filter-py: running again after $((SECONDS - killed)) s, exit code $(module_field filter-py exitCode)"
hub ps | sed 's/^/  /'

cat >&2 <<BANNER

  ###########################################################################
  ##  PROCESS FORM OK in $((SECONDS - T0)) s. CONTAINERS WERE NOT RUN on this machine:   ##
  ##  the images were neither built nor started (see the reason above).    ##
  ###########################################################################
BANNER
