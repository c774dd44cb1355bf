#!/usr/bin/env bash
# `make bench`: measures edgemodule against its peers in one run on this machine and writes
# docs/benchmarks.md and docs/benchmarks.png from the raw results in bench/results/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
results="$here/results"
reps="${BENCH_REPS:-5}"
rm -rf "$results" && mkdir -p "$results"

if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
fi
if [ ! -x "$here/.venv/bin/python" ]; then python3 -m venv "$here/.venv"; fi
"$here/.venv/bin/python" -c 'import matplotlib' 2>/dev/null \
  || "$here/.venv/bin/pip" install -q --disable-pip-version-check matplotlib==3.10.7

cargo build --quiet --release -p edgemodule-hub -p edgemodule-bench --manifest-path "$root/Cargo.toml"
hub_bin="$root/target/release/edgemodule-hub"
bench_bin="$root/target/release/edgemodule-bench"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

state="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$state"; }
trap cleanup EXIT

# --- edgemodule-hub ---
mqtt_port=$(free_port); https_port=$(free_port); admin_port=$(free_port)
"$hub_bin" serve --manifest "$here/manifest.json" --state "$state/hub" --mqtt-port "$mqtt_port" \
  --https-port "$https_port" --admin-port "$admin_port" --log-level warn >"$state/hub.log" 2>&1 &
hub_pid=$!; pids+=("$hub_pid")
wait_port "$mqtt_port"; wait_port "$admin_port"
cs() { "$hub_bin" env "$1" --format dotenv --admin "127.0.0.1:$admin_port" | sed -n 's/^EdgeHubConnectionString=//p'; }
sender_cs="$(cs sender)"; receiver_cs="$(cs receiver)"
ca="$state/hub/certs/ca.pem"
hub_run() { "$bench_bin" routed-hub --port "$mqtt_port" --ca "$ca" --sender-cs "$sender_cs" --receiver-cs "$receiver_cs" "$@"; }

# --- mosquitto 2.0 (Debian), plain pub/sub, no persistence ---
mosq_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 100000\n' "$mosq_port" >"$state/mosquitto.conf"
mosq_bin="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
"$mosq_bin" -c "$state/mosquitto.conf" >"$state/mosquitto.log" 2>&1 &
pids+=("$!")
wait_port "$mosq_port"
mosq_run() { "$bench_bin" routed-mqtt --port "$mosq_port" "$@"; }

echo "bench: warm-up"
hub_run --messages 5000 >/dev/null
mosq_run --messages 5000 >/dev/null

for i in $(seq 1 "$reps"); do
  echo "bench: repetition $i/$reps"
  hub_run --messages 30000 >>"$results/hub_throughput.jsonl"
  mosq_run --messages 30000 >>"$results/mosquitto_throughput.jsonl"
  hub_run --messages 3000 --rate 1000 >>"$results/hub_latency.jsonl"
  mosq_run --messages 3000 --rate 1000 >>"$results/mosquitto_latency.jsonl"
done

# --- the Rust ModuleClient: pipelined sends to an output routed to $upstream ---
client_run() { "$bench_bin" "$1" --port "$mqtt_port" --ca "$ca" --cs "$sender_cs" "${@:2}"; }
client_run client-send --messages 20000 --window 1000 >/dev/null
for i in $(seq 1 "$reps"); do
  echo "bench: client repetition $i/$reps"
  client_run client-send --messages 100000 --window 1000 >>"$results/client_throughput.jsonl"
  client_run client-idle >>"$results/client_idle.jsonl"
done

"$here/.venv/bin/python" "$here/report.py" "$results" "$root/docs"
