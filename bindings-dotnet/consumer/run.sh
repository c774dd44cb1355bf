#!/usr/bin/env bash
# Consumer test of the .nupkg: installs EdgeModule from a local folder feed with NuGet,
# builds a small app against the installed package with mcs, puts the package's native
# library beside it (what the .NET SDK does from runtimes/linux-x64/native), and runs a
# round trip against a local hub. The process must also exit on its own.
#
#   run.sh FEED_DIR WORK_DIR HUB_BINARY VERSION
set -euo pipefail

FEED="$1"
WORK="$2"
HUB="$3"
VERSION="$4"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HUB_PID=""

cleanup() {
    if [[ -n "$HUB_PID" ]] && kill -0 "$HUB_PID" 2>/dev/null; then
        kill -TERM "$HUB_PID" 2>/dev/null || true
        wait "$HUB_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT
fail() {
    echo "consumer test FAILED: $*" >&2
    [[ -f "$WORK/hub.log" ]] && tail -n 20 "$WORK/hub.log" >&2
    exit 1
}

rm -rf "$WORK"
mkdir -p "$WORK/packages" "$WORK/app" "$WORK/nuget-home"

echo "== nuget install EdgeModule $VERSION -Source $FEED"
# A private HOME keeps NuGet's caches and config out of the user's.
HOME="$WORK/nuget-home" nuget install EdgeModule -Version "$VERSION" -Source "$FEED" \
    -OutputDirectory "$WORK/packages" -NonInteractive
PKG="$WORK/packages/EdgeModule.$VERSION"
for f in lib/netstandard2.0/EdgeModule.dll runtimes/linux-x64/native/libedgemodule.so; do
    [[ -f "$PKG/$f" ]] || fail "the installed package lacks $f"
done

echo "== building the consumer app against the installed package"
cp "$PKG/lib/netstandard2.0/EdgeModule.dll" "$PKG/runtimes/linux-x64/native/libedgemodule.so" "$WORK/app/"
mcs -langversion:7.2 -warnaserror+ -out:"$WORK/app/Consumer.exe" -r:"$WORK/app/EdgeModule.dll" "$HERE/Program.cs"

echo "== starting the hub"
# The shared test deployment: module roundtrip routes its output "out" to its own input "in".
"$HUB" serve --manifest "$HERE/../../tests/conformance/deployment.json" --state "$WORK/state" --bind-address 127.0.0.1 \
    --mqtt-port 0 --https-port 0 --admin-port 0 --log-level warn >"$WORK/hub.out" 2>"$WORK/hub.log" &
HUB_PID=$!
# The CLI calls below read the admin token from the hub's state directory.
export EDGEMODULE_HUB_STATE="$WORK/state"
for _ in $(seq 100); do
    grep -q 'edgemodule-hub ready' "$WORK/hub.out" 2>/dev/null && break
    kill -0 "$HUB_PID" 2>/dev/null || fail "the hub exited during start-up"
    sleep 0.1
done
ADMIN="$(sed -n 's/.* admin=\([^ ]*\).*/\1/p' "$WORK/hub.out")"
[[ -n "$ADMIN" ]] || fail "the hub did not start"
EDGEMODULE_HUB_STATE="$WORK/state" "$HUB" env roundtrip --admin "$ADMIN" --format dotenv --form workload \
    >"$WORK/consumer.env"

echo "== running the consumer app"
set +e
(
    set -a
    # shellcheck disable=SC1091
    . "$WORK/consumer.env"
    exec timeout 60 mono "$WORK/app/Consumer.exe"
) >"$WORK/consumer.out" 2>&1
rc=$?
set -e
cat "$WORK/consumer.out"
[[ $rc -eq 0 ]] || fail "the consumer app exited $rc (124: it did not exit within 60 s)"
grep -q "round trip OK" "$WORK/consumer.out" || fail "no round trip"
echo "consumer: 1 passed, 0 failed"
