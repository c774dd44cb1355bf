# Shared by examples/demo-containers.sh and tests/containers/run.sh: the deployment of the
# container demo (two sensors as host processes feeding the Python and the C filter, each
# a container), the hub started with --run-modules, and the demo's end-to-end checks.
# Expects ROOT, HUB (binary), SENSOR (binary), WORK (scratch directory) and fail().

COUNT=10    # readings 20.0, 22.5, …, 42.5
EXPECTED=7  # readings above the default threshold 25
FILTERS="filter-py filter-c"

# write_deployment FILE PYTHON_IMAGE C_IMAGE [PY_COMMAND_JSON C_COMMAND_JSON]
# The filters also declare their host command (the process form, used when containers
# cannot run); createOptions give the Python filter an Env entry and a read-only bind.
write_deployment() {
    local file="$1" py_image="$2" c_image="$3" py_cmd="${4:-}" c_cmd="${5:-}"
    local py_ext="" c_ext=""
    [[ -n "$py_cmd" ]] && py_ext=", \"x-edgemodule\": {\"command\": $py_cmd}"
    [[ -n "$c_cmd" ]] && c_ext=", \"x-edgemodule\": {\"command\": $c_cmd}"
    mkdir -p "$WORK/shared"
    echo "mounted from the host" >"$WORK/shared/hello.txt"
    local sensor="{\"command\": [\"$SENSOR\", \"--count\", \"$COUNT\", \"--interval-ms\", \"50\"]}"
    cat >"$file" <<JSON
{
  "modulesContent": {
    "\$edgeAgent": {
      "properties.desired": {
        "schemaVersion": "1.1",
        "runtime": { "type": "docker", "settings": { "minDockerVersion": "v1.25" } },
        "modules": {
          "filter-py": {
            "version": "1.0", "type": "docker", "status": "running", "restartPolicy": "always",
            "startupOrder": 1,
            "settings": {
              "image": "$py_image",
              "createOptions": "{\"Env\":[\"EXAMPLE_SETTING=from-createOptions\"],\"HostConfig\":{\"Binds\":[\"$WORK/shared:/shared:ro\"]}}"
            }$py_ext
          },
          "filter-c": {
            "version": "1.0", "type": "docker", "status": "running", "restartPolicy": "on-failure",
            "startupOrder": 1,
            "settings": { "image": "$c_image", "createOptions": "{}" }$c_ext
          },
          "sensor-py": {
            "version": "1.0", "type": "docker", "status": "running", "restartPolicy": "never",
            "startupOrder": 2, "x-edgemodule": $sensor
          },
          "sensor-c": {
            "version": "1.0", "type": "docker", "status": "running", "restartPolicy": "never",
            "startupOrder": 2, "x-edgemodule": $sensor
          }
        }
      }
    },
    "\$edgeHub": {
      "properties.desired": {
        "schemaVersion": "1.1",
        "routes": {
          "sensorPyToFilter": "FROM /messages/modules/sensor-py/outputs/temperatureOutput INTO BrokeredEndpoint(\"/modules/filter-py/inputs/input1\")",
          "sensorCToFilter": "FROM /messages/modules/sensor-c/outputs/temperatureOutput INTO BrokeredEndpoint(\"/modules/filter-c/inputs/input1\")",
          "filterPyToUpstream": "FROM /messages/modules/filter-py/outputs/output1 INTO \$upstream",
          "filterCToUpstream": "FROM /messages/modules/filter-c/outputs/output1 INTO \$upstream"
        },
        "storeAndForwardConfiguration": { "timeToLiveSecs": 7200 }
      }
    },
    "filter-py": { "properties.desired": { "TemperatureThreshold": 25 } },
    "filter-c": { "properties.desired": { "TemperatureThreshold": 25 } }
  }
}
JSON
}

# Polls "$@" every 0.2 s until it succeeds or $WAIT (default 60) seconds pass.
wait_for() {
    local what="$1"
    shift
    local deadline=$((SECONDS + ${WAIT:-60}))
    until "$@"; do
        ((SECONDS < deadline)) || fail "timed out waiting for $what"
        sleep 0.2
    done
}

HUB_PID=""
# start_hub MANIFEST MODE [STATE]: `up` with --run-modules MODE on ports the hub picks, state
# in STATE (default $WORK/state); sets ADMIN and exports EDGEMODULE_HUB_STATE.
start_hub() {
    local manifest="$1" mode="$2" state="${3:-$WORK/state}"
    : >"$WORK/hub.out"
    EDGEMODULE_HUB_STATE="$state" "$HUB" up --manifest "$manifest" --state "$state" \
        --run-modules "$mode" --bind-address 127.0.0.1 --mqtt-port 0 --https-port 0 \
        --admin-port 0 >"$WORK/hub.out" 2>"$WORK/hub.log" &
    HUB_PID=$!
    hub_ready() {
        kill -0 "$HUB_PID" 2>/dev/null || fail "the hub exited during start-up"
        grep -q 'edgemodule-hub ready' "$WORK/hub.out"
    }
    WAIT=120 wait_for "the hub to start" hub_ready
    READY="$(grep 'edgemodule-hub ready' "$WORK/hub.out")"
    ADMIN="$(sed -n 's/.* admin=\([^ ]*\).*/\1/p' <<<"$READY")"
    [[ -n "$ADMIN" ]] || fail "cannot read the admin address from: $READY"
    export EDGEMODULE_HUB_STATE="$state"
}

stop_hub() {
    [[ -n "$HUB_PID" ]] || return 0
    if kill -0 "$HUB_PID" 2>/dev/null; then
        kill -TERM "$HUB_PID" 2>/dev/null || true
        for _ in $(seq 300); do
            kill -0 "$HUB_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$HUB_PID" 2>/dev/null || true
    fi
    wait "$HUB_PID" 2>/dev/null || true
    HUB_PID=""
}

hub() { "$HUB" "$@" --admin "$ADMIN"; }

# module_field MODULE JQ-LIKE-PATH: one field of `ps --json` (python3 reads the JSON).
module_field() {
    hub ps --json | python3 -c '
import json, sys
value = json.load(sys.stdin)["modules"][sys.argv[1]]
for key in sys.argv[2].split("."):
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)' "$1" "$2"
}

upstream_count() {
    hub monitor --no-follow >"$WORK/upstream.jsonl" 2>>"$WORK/hub.log" || return 1
    grep -c '"temperature' "$WORK/upstream.jsonl" || true
}

# The demo's result, for every filter: the readings above 25 reached $upstream, the
# direct method answered with the count, the desired property was applied and reported.
check_pipeline() {
    for m in $FILTERS; do
        connected() { hub logs "$m" 2>/dev/null | grep -q 'filter: connected'; }
        wait_for "$m to connect" connected
        echo "  $m: $(hub logs "$m" | grep -m1 'filter: connected')"
    done
    local want=$((EXPECTED * 2))
    enough() { [[ "$(upstream_count)" -ge "$want" ]]; }
    wait_for "$want readings at \$upstream" enough
    sleep 0.5
    local got
    got="$(upstream_count)"
    [[ "$got" -eq "$want" ]] || fail "expected $want readings at \$upstream, found $got"
    echo "  \$upstream: $got readings (sensor -> filter -> \$upstream, $EXPECTED of $COUNT per filter)"
    for m in $FILTERS; do
        local answer
        answer="$(hub invoke "$m" reset --timeout 10)" || fail "invoke reset on $m failed"
        grep -Eq '"status": *200' <<<"$answer" || fail "$m: reset did not answer 200: $answer"
        grep -Eq '"forwarded": *'"$EXPECTED"'([^0-9]|$)' <<<"$answer" ||
            fail "$m: reset did not report $EXPECTED forwarded: $answer"
        echo "  $m: reset answered $(tr -d ' \n' <<<"$answer")"
        hub twin "$m" --desired '{"TemperatureThreshold": 30}' >/dev/null ||
            fail "$m: changing the desired property failed"
    done
    for m in $FILTERS; do
        reported_30() {
            hub twin "$m" 2>/dev/null | tr -d ' \n' |
                grep -Eq '"reported":\{[^}]*"TemperatureThreshold":30(\.0)?[,}]'
        }
        wait_for "$m to report TemperatureThreshold 30" reported_30
        echo "  $m: reported TemperatureThreshold 30 (desired property applied)"
    done
}
