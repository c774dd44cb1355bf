#!/usr/bin/env bash
# End-to-end demo (`make demo`, after a release build of the hub and the filter example):
# a local hub from examples/deployment.json; the filter module of each built language in
# turn with a sensor module, connected through the IoT Edge environment the hub prints, a
# direct method, a desired property change and the messages that reached $upstream; then the
# showcase: one stream chained through a filter in every language to $upstream.
#
# Ports are picked by the hub (0 = free port) unless DEMO_MQTT_PORT / DEMO_HTTPS_PORT /
# DEMO_ADMIN_PORT are set; DEMO_PROFILE=debug runs debug builds. Exits 0 with "DEMO OK"
# on success, non-zero with "DEMO FAILED" and the last log lines.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/${DEMO_PROFILE:-release}"
HUB="$BIN/edgemodule-hub"
FILTER="$BIN/filter"
SENSOR="$BIN/sensor"
MANIFEST="$ROOT/examples/deployment.json"
DEMO_OUT="$ROOT/target/demo"
# Languages whose filter runs, in order (default: Rust plus every one built into target/demo
# by examples/build-demo-langs.sh).
if [[ -z "${DEMO_LANGS:-}" ]]; then
    DEMO_LANGS="rust"
    [[ -x "$DEMO_OUT/c/filter" ]] && DEMO_LANGS+=" c"
    [[ -x "$DEMO_OUT/py/bin/python" ]] && DEMO_LANGS+=" python"
    [[ -d "$ROOT/examples/node/filter/node_modules/edgemodule" ]] && DEMO_LANGS+=" node"
    [[ -f "$ROOT/examples/java/filter/target/filter.jar" ]] && DEMO_LANGS+=" java"
    [[ -f "$ROOT/target/dotnet/example/Filter.exe" ]] && DEMO_LANGS+=" dotnet"
fi
LANGS="$DEMO_LANGS"
COUNT=10      # readings 20.0, 22.5, …, 42.5
EXPECTED=7    # readings above the default threshold 25
WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgemodule-demo.XXXXXX")"
HUB_PID=""
FILTER_PID=""

say() { printf '\n== %s\n' "$*"; }

show_logs() {
    for log in hub.log filter.log sensor.log; do
        if [[ -s "$WORK/$log" ]]; then
            echo "---- last lines of $log" >&2
            tail -n 20 "$WORK/$log" >&2
        fi
    done
}

fail() {
    echo "DEMO FAILED: $*" >&2
    show_logs
    exit 1
}

stop() {
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

STAGE_PIDS=()
cleanup() {
    stop "$FILTER_PID"
    for pid in "${STAGE_PIDS[@]}"; do stop "$pid"; done
    stop "$HUB_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

# Polls "$@" every 0.2 s until it succeeds or $WAIT seconds pass.
wait_for() {
    local what="$1"
    shift
    local deadline=$((SECONDS + ${WAIT:-20}))
    until "$@"; do
        ((SECONDS < deadline)) || fail "timed out waiting for $what"
        sleep 0.2
    done
}

for exe in "$HUB" "$FILTER" "$SENSOR"; do
    [[ -x "$exe" ]] || fail "$exe is missing: run 'cargo build --release -p edgemodule-hub -p edgemodule-example-filter' (or 'make demo')"
done

say "Starting the hub ($MANIFEST)"
: >"$WORK/hub.out"
"$HUB" serve --manifest "$MANIFEST" --state "$WORK/state" --bind-address 127.0.0.1 \
    --mqtt-port "${DEMO_MQTT_PORT:-0}" --https-port "${DEMO_HTTPS_PORT:-0}" \
    --admin-port "${DEMO_ADMIN_PORT:-0}" >"$WORK/hub.out" 2>"$WORK/hub.log" &
HUB_PID=$!
# Every CLI call below reads the admin token from the hub's state directory.
export EDGEMODULE_HUB_STATE="$WORK/state"
hub_ready() {
    kill -0 "$HUB_PID" 2>/dev/null || fail "the hub exited during start-up"
    grep -q 'edgemodule-hub ready' "$WORK/hub.out"
}
wait_for "the hub to start" hub_ready
READY="$(grep 'edgemodule-hub ready' "$WORK/hub.out")"
echo "$READY"
ADMIN="$(sed -n 's/.* admin=\([^ ]*\).*/\1/p' <<<"$READY")"
[[ -n "$ADMIN" ]] || fail "cannot read the admin address from: $READY"

# The IoT Edge runtime form: IOTEDGE_* + the workload socket (+ EDGEMODULE_*_PORT).
"$HUB" env filter --admin "$ADMIN" --form workload >"$WORK/filter.env" ||
    fail "edgemodule-hub env filter failed"
"$HUB" env sensor --admin "$ADMIN" --form workload >"$WORK/sensor.env" ||
    fail "edgemodule-hub env sensor failed"
echo "filter environment:"
sed 's/^/  /' "$WORK/filter.env"

# The filter of each language in turn, as the same module identity: every stage must
# forward the same readings and answer `reset` the same way, because they share one core.
filter_command() {
    case "$1" in
        rust) echo "$FILTER" ;;
        c) echo "$DEMO_OUT/c/filter" ;;
        python) echo "$DEMO_OUT/py/bin/python $ROOT/examples/python/filter/main.py" ;;
        node) echo "node $ROOT/examples/node/filter/index.js" ;;
        java) echo "java -jar $ROOT/examples/java/filter/target/filter.jar" ;;
        dotnet) echo "mono $ROOT/target/dotnet/example/Filter.exe" ;;
        *) fail "unknown language $1" ;;
    esac
}

upstream_count() {
    "$HUB" monitor --no-follow --admin "$ADMIN" >"$WORK/upstream.jsonl" 2>>"$WORK/hub.log" || return 1
    grep -c '"temperature' "$WORK/upstream.jsonl" || true
}

STAGE=0
for LANG_NAME in $LANGS; do
    STAGE=$((STAGE + 1))
    # shellcheck disable=SC2207
    CMD=($(filter_command "$LANG_NAME"))
    say "[$LANG_NAME] Starting the filter module: ${CMD[*]}"
    : >"$WORK/filter.log"
    (
        set -a
        # shellcheck disable=SC1091
        . "$WORK/filter.env"
        exec "${CMD[@]}"
    ) >>"$WORK/filter.log" 2>&1 &
    FILTER_PID=$!
    filter_connected() {
        kill -0 "$FILTER_PID" 2>/dev/null || fail "the $LANG_NAME filter exited"
        grep -q 'filter: connected' "$WORK/filter.log"
    }
    wait_for "the $LANG_NAME filter to connect" filter_connected
    grep 'filter: connected' "$WORK/filter.log"

    say "[$LANG_NAME] Running the sensor ($COUNT readings)"
    (
        set -a
        # shellcheck disable=SC1091
        . "$WORK/sensor.env"
        exec "$SENSOR" --count "$COUNT" --interval-ms 50
    ) >"$WORK/sensor.log" 2>&1 || fail "the sensor failed"
    tail -n 1 "$WORK/sensor.log"

    say "[$LANG_NAME] Waiting for the forwarded readings at \$upstream"
    WANT=$((EXPECTED * STAGE))
    enough_upstream() { [[ "$(upstream_count)" -ge "$WANT" ]]; }
    wait_for "$WANT messages at \$upstream" enough_upstream
    tail -n "$EXPECTED" "$WORK/upstream.jsonl" | sed 's/^/  /'
    GOT="$(upstream_count)"
    [[ "$GOT" -eq "$WANT" ]] || fail "expected $WANT forwarded readings in all, \$upstream has $GOT"

    say "[$LANG_NAME] Invoking the direct method 'reset' on the filter"
    RESET="$("$HUB" invoke filter reset --admin "$ADMIN" --timeout 10)" || fail "invoke reset failed"
    echo "$RESET"
    grep -Eq '"status": *200' <<<"$RESET" || fail "reset did not answer 200"
    grep -Eq '"forwarded": *'"$EXPECTED"'([^0-9]|$)' <<<"$RESET" ||
        fail "reset did not report $EXPECTED forwarded messages"

    # The last stage keeps running for the desired-property step below.
    if [[ "$STAGE" -lt "$(wc -w <<<"$LANGS")" ]]; then
        stop "$FILTER_PID"
        FILTER_PID=""
    fi
    PASSED="${PASSED:-}${PASSED:+, }$LANG_NAME"
done

say "Raising TemperatureThreshold to 30 (desired property)"
"$HUB" twin filter --desired '{"TemperatureThreshold": 30}' --admin "$ADMIN" >/dev/null ||
    fail "changing the desired property failed"
reported_30() {
    "$HUB" twin filter --admin "$ADMIN" >"$WORK/twin.json" 2>>"$WORK/hub.log" || return 1
    tr -d ' \n' <"$WORK/twin.json" | grep -Eq '"reported":\{[^}]*"TemperatureThreshold":30(\.0)?[,}]'
}
wait_for "the filter to report the new threshold" reported_30
grep 'threshold now' "$WORK/filter.log" || true

# The showcase: one stream through a filter in every language, chained by routes
# (source -> stage-rust -> stage-c -> stage-python -> stage-node -> stage-java ->
# stage-dotnet -> $upstream); each stage's desired threshold is higher than the last.
PIPELINE="rust c python node java dotnet"
PIPELINE_NOTE="skipped (needs every language built: make demo)"
HAVE_ALL=1
for lang in $PIPELINE; do [[ " $LANGS " == *" $lang "* ]] || HAVE_ALL=0; done
if [[ "$HAVE_ALL" -eq 1 ]]; then
    stop "$FILTER_PID"
    FILTER_PID=""
    say "Showcase: one stream through every language"
    for lang in $PIPELINE; do
        "$HUB" env "stage-$lang" --admin "$ADMIN" --form workload >"$WORK/stage-$lang.env" ||
            fail "edgemodule-hub env stage-$lang failed"
        # shellcheck disable=SC2207
        CMD=($(filter_command "$lang"))
        (
            set -a
            # shellcheck disable=SC1091
            . "$WORK/stage-$lang.env"
            exec "${CMD[@]}"
        ) >"$WORK/stage-$lang.log" 2>&1 &
        STAGE_PIDS+=("$!")
    done
    for lang in $PIPELINE; do
        stage_connected() { grep -q 'filter: connected' "$WORK/stage-$lang.log"; }
        wait_for "stage-$lang to connect" stage_connected
    done
    "$HUB" env source --admin "$ADMIN" --form workload >"$WORK/source.env" ||
        fail "edgemodule-hub env source failed"
    BEFORE="$(upstream_count)"
    (
        set -a
        # shellcheck disable=SC1091
        . "$WORK/source.env"
        exec "$SENSOR" --count "$COUNT" --interval-ms 20
    ) >"$WORK/sensor.log" 2>&1 || fail "the source sensor failed"
    FINAL=2  # readings above the last stage's threshold (38): 40 and 42.5
    pipeline_done() { [[ "$(upstream_count)" -ge $((BEFORE + FINAL)) ]]; }
    wait_for "the stream to leave the last stage" pipeline_done
    echo "  source sent $COUNT readings (20 … 42.5)"
    for lang in $PIPELINE; do
        THRESHOLD="$("$HUB" twin "stage-$lang" --admin "$ADMIN" | tr -d ' \n' |
            sed -n 's/.*"desired":{[^}]*"TemperatureThreshold":\([0-9.]*\).*/\1/p')"
        RESULT="$("$HUB" invoke "stage-$lang" reset --admin "$ADMIN" --timeout 10)" ||
            fail "invoke reset on stage-$lang failed"
        FORWARDED="$(tr -d ' \n' <<<"$RESULT" | sed -n 's/.*"forwarded":\([0-9]*\).*/\1/p')"
        printf '  %-7s threshold %-3s forwarded %s\n' "$lang" "$THRESHOLD" "$FORWARDED"
        # Readings 20, 22.5, … above every threshold so far: what this stage must have sent.
        WANT_STAGE="$(awk -v t="$THRESHOLD" -v n="$COUNT" 'BEGIN { c = 0; for (i = 0; i < n; i++) if (20 + 2.5 * i > t) c++; print c }')"
        [[ "$FORWARDED" == "$WANT_STAGE" ]] || fail "stage-$lang forwarded $FORWARDED, expected $WANT_STAGE"
    done
    [[ "$(upstream_count)" -eq $((BEFORE + FINAL)) ]] ||
        fail "expected $FINAL readings at \$upstream from the pipeline"
    PIPELINE_NOTE="one stream passed rust -> c -> python -> node -> java -> dotnet -> \$upstream ($COUNT in, $FINAL out)"
fi

echo
echo "DEMO OK: in each language ($PASSED), $EXPECTED of $COUNT readings above 25 went" \
    "sensor -> filter -> \$upstream and reset answered 200 with forwarded=$EXPECTED;" \
    "the $LANG_NAME filter then reported TemperatureThreshold 30. Showcase: $PIPELINE_NOTE."
