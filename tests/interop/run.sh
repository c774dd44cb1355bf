#!/usr/bin/env bash
# Runs Microsoft's official module clients (Python azure-iot-device, Node azure-iot-device +
# azure-iot-device-mqtt) against edgemodule-hub. Serially: they need ports 8883/443 and the
# official SDKs cannot be pointed at other ports.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cargo build --quiet -p edgemodule-hub --manifest-path "$root/Cargo.toml"
export EDGEMODULE_HUB_BIN="$root/target/debug/edgemodule-hub"

echo "== interop: Python azure-iot-device"
"$here/.venv/bin/python" -m pytest -q -p no:cacheprovider "$here/python"

echo "== interop: Node azure-iot-device + azure-iot-device-mqtt"
(cd "$here/node" && node --test --test-concurrency=1 interop.test.js)
