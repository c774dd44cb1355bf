#!/usr/bin/env bash
# `make demo-containers`: the demo with modules as container images, run by the hub like
# edgeAgent runs them. Builds the Python and C filter images (base images made locally
# with mmdebstrap, edgemodule installed from the packages in dist/), then `edgemodule-hub
# up` starts the deployment: both filters as podman containers, two sensors as host
# processes. Each sensor sends 10 readings; the readings above 25 must reach $upstream
# through its filter, the filter must answer the `reset` method and apply a desired
# property. Prints `DEMO-CONTAINERS OK` and the time taken.
#
# Where containers cannot run (no podman, no privileges) it says so loudly and runs the
# process form of the same modules. The first run on a fresh machine installs podman & co
# and makes the base images (about 2 minutes); later runs reuse them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PROFILE="${DEMO_PROFILE:-release}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE"
HUB="$BIN/edgemodule-hub"
SENSOR="$BIN/sensor"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgemodule-demo-containers.XXXXXX")"
T0=$SECONDS
fail() {
    echo "DEMO-CONTAINERS FAILED: $*" >&2
    [[ -s "$WORK/hub.log" ]] && tail -n 30 "$WORK/hub.log" >&2
    exit 1
}
# shellcheck source=../tests/containers/lib.sh
. "$ROOT/tests/containers/lib.sh"
trap 'stop_hub; rm -rf "$WORK"' EXIT
say() { printf '\n== %s\n' "$*"; }

for exe in "$HUB" "$SENSOR"; do
    [[ -x "$exe" ]] || fail "$exe is missing: run 'make demo-containers'"
done

say "Images: tools, local base images, packages (dist/), the Python and C filter images"
rc=0
prep="$(bash "$ROOT/scripts/containers/prepare.sh" "$HUB")" || rc=$?
if ((rc == 3)); then
    echo "DEMO-CONTAINERS: CONTAINERS CANNOT RUN HERE (reason above); running the process form instead" >&2
    rm -rf "$WORK"
    exec bash "$ROOT/tests/containers/process_form.sh"
fi
((rc == 0)) || fail "preparing the images failed"
PY_IMAGE="$(grep -m1 '^image=localhost/filter-python:' <<<"$prep" | cut -d= -f2)"
C_IMAGE="$(grep -m1 '^image=localhost/filter-c:' <<<"$prep" | cut -d= -f2)"
echo "  $PY_IMAGE"
echo "  $C_IMAGE"

say "edgemodule-hub up: the filters as containers, the sensors as host processes"
write_deployment "$WORK/deployment.json" "$PY_IMAGE" "$C_IMAGE"
start_hub "$WORK/deployment.json" auto
echo "$READY"
for m in filter-py filter-c; do
    [[ "$(module_field "$m" x-edgemodule.runAs)" == container ]] || fail "$m is not a container"
done

say "sensor -> filter -> \$upstream, direct method, desired property"
check_pipeline
tail -n 3 "$WORK/upstream.jsonl" | sed 's/^/  /'

say "edgemodule-hub ps"
hub ps | sed 's/^/  /'
say "edgemodule-hub logs filter-c --tail 4"
hub logs filter-c --tail 4 | sed 's/^/  /'

echo
echo "DEMO-CONTAINERS OK in $((SECONDS - T0)) s: in a Python and a C container, $EXPECTED of $COUNT" \
    "readings above 25 went sensor -> filter -> \$upstream, reset answered 200 with" \
    "forwarded=$EXPECTED, and each filter reported the new TemperatureThreshold 30."
