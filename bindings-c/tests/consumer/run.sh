#!/usr/bin/env bash
# Builds consumer projects from the *installed* edgemodule package only, then runs them
# against edgemodule-hub:
#   - tests/consumer with CMake (find_package + edgemodule::edgemodule / ::static),
#   - the same program with pkg-config (shared, and static via Libs.private),
#   - examples/c/filter with CMake and with its pkg-config Makefile, then end to end.
# Usage: run.sh PREFIX WORKDIR HUB_BINARY FILTER_EXAMPLE_DIR
set -euo pipefail
prefix=$1 work=$2 hub=$3 example=$4
here=$(cd "$(dirname "$0")" && pwd)
manifest="$here/../../../tests/conformance/deployment.json"  # the shared test deployment
mkdir -p "$work"
cc=${CC:-cc}
step() { printf '\n== install-test: %s\n' "$*"; }

step "consumer project with CMake (find_package(edgemodule))"
cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" -j 2

step "consumer program with pkg-config"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pkg-config --modversion edgemodule
libdir=$(pkg-config --variable=libdir edgemodule)
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -Werror $(pkg-config --cflags edgemodule) "$here/roundtrip.c" \
  -o "$work/roundtrip-pc" $(pkg-config --libs edgemodule) -lpthread -Wl,-rpath,"$libdir"
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Wextra -Werror $(pkg-config --cflags edgemodule) "$here/roundtrip.c" \
  -o "$work/roundtrip-pc-static" $(pkg-config --static --libs edgemodule | sed 's/-ledgemodule/-l:libedgemodule.a/')
if ldd "$work/roundtrip-pc-static" | grep -q libedgemodule; then
  echo "the static build links libedgemodule.so"; exit 1
fi

step "examples/c/filter with CMake and with its Makefile"
cmake -S "$example" -B "$work/filter-cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/filter-cmake" -j 2
cp -r "$example" "$work/filter-make"
rm -rf "$work/filter-make/build"
make -C "$work/filter-make" --no-print-directory filter

step "start edgemodule-hub"
rm -rf "$work/state"
"$hub" serve --manifest "$manifest" --state "$work/state" --bind-address 127.0.0.1 \
  --mqtt-port 0 --https-port 0 --admin-port 0 --log-level warn >"$work/hub.out" 2>"$work/hub.log" &
hub_pid=$!
# The CLI calls below read the admin token from the hub's state directory.
export EDGEMODULE_HUB_STATE="$work/state"
filter_pid=
cleanup() {
  [ -n "$filter_pid" ] && kill "$filter_pid" 2>/dev/null || true
  kill "$hub_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 300); do grep -q "edgemodule-hub ready" "$work/hub.out" && break; sleep 0.1; done
admin=$(sed -n 's/.*admin=\([^ ]*\).*/\1/p' "$work/hub.out")
[ -n "$admin" ] || { cat "$work/hub.log"; echo "the hub did not start"; exit 1; }
# Every CLI call finds the hub's state (and its admin token) here.
export EDGEMODULE_HUB_STATE="$work/state"

# Runs a command with the environment IoT Edge would give module $1.
as_module() {
  local module=$1; shift
  (eval "$("$hub" env "$module" --admin "$admin" --form workload)"; exec "$@")
}
# Waits until file $1 contains $2.
wait_for() {
  for _ in $(seq 1 200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:"; cat "$1"; return 1
}

step "round trips"
for binary in "$work/cmake/roundtrip" "$work/cmake/roundtrip_static" "$work/roundtrip-pc" \
              "$work/roundtrip-pc-static"; do
  as_module roundtrip "$binary" | tee "$work/roundtrip.out"
  grep -q "roundtrip: OK" "$work/roundtrip.out"
done

step "the C filter module end to end"
# One subshell that execs the module, so $! is the module's pid.
(eval "$("$hub" env filter --admin "$admin" --form workload)"; exec "$work/filter-cmake/filter") \
  >"$work/filter.out" 2>&1 &
filter_pid=$!
wait_for "$work/filter.out" "connected as edge-device/filter, threshold 25"
as_module sender "$work/cmake/roundtrip" send readings '{"temperature":20.5}'
as_module sender "$work/cmake/roundtrip" send readings '{"temperature":31.5}'
wait_for "$work/filter.out" "forwarded 31.5 (> 25), 1 since reset"
"$hub" monitor --no-follow --admin "$admin" >"$work/upstream.out"
# The bodies as fixed strings: a regex 20.5 also matches digits of an enqueuedTime.
grep -qF ':31.5}' "$work/upstream.out" || { echo "31.5 not upstream"; cat "$work/upstream.out"; exit 1; }
if grep -qF ':20.5}' "$work/upstream.out"; then echo "20.5 must be filtered out"; exit 1; fi
"$hub" twin filter --admin "$admin" | tr -d ' \n' | grep -q '"reported":{[^}]*"TemperatureThreshold":25'
"$hub" invoke filter reset --admin "$admin" --timeout 10 | tr -d ' \n' | tee "$work/reset.out"
echo
grep -q '"status":200' "$work/reset.out" && grep -q '"forwarded":1' "$work/reset.out"
"$hub" twin filter --desired '{"TemperatureThreshold":35}' --admin "$admin" >/dev/null
wait_for "$work/filter.out" "threshold now 35"
as_module sender "$work/cmake/roundtrip" send readings '{"temperature":33}'
as_module sender "$work/cmake/roundtrip" send readings '{"temperature":36}'
wait_for "$work/filter.out" "forwarded 36 (> 35), 1 since reset"
if grep -q "forwarded 33" "$work/filter.out"; then echo "33 must be filtered out"; exit 1; fi
for _ in $(seq 1 50); do
  "$hub" twin filter --admin "$admin" | tr -d ' \n' | grep -q '"reported":{[^}]*"TemperatureThreshold":35' && break
  sleep 0.1
done
"$hub" twin filter --admin "$admin" | tr -d ' \n' | grep -q '"reported":{[^}]*"TemperatureThreshold":35'
kill -TERM "$filter_pid"
wait "$filter_pid"
filter_pid=
grep -q "filter: stopping" "$work/filter.out"
cat "$work/filter.out"
echo
echo "install-test: the installed package builds and runs (CMake, pkg-config, static, example)"
