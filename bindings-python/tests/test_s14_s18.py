"""S14–S18: the core's delivery policy seen from Python, against the strict hub (one input
message in flight per module): PUBACKs in arrival order (``inspect``: no out-of-order
acknowledgement), one call at a time per handler, bounded retries, a slow handler holding up
only its own input, 404 without method handlers, and inputs nobody handles."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from typing import Any, Dict, List

import pytest

import edgemodule
import edgemodule.aio
from conftest import (
    acks,
    assert_acks_in_order,
    await_inspect,
    call_repeatedly,
    client,
    cs_options,
    inspect_module,
    numbered,
    send_numbered,
    wait_for,
)

PER_INPUT = 20
CALLS = 10


def recorder(pause: float, seen: List[str], overlaps: List[str]):
    """A handler recording message ids, taking ``pause`` s, noting if it ever overlaps itself."""
    running = [0]

    def handle(message: edgemodule.Message) -> None:
        running[0] += 1
        if running[0] != 1:
            overlaps.append(message.message_id or "")
        time.sleep(pause)
        running[0] -= 1
        seen.append(message.message_id or "")

    return handle


def test_s14_per_input_handlers_acknowledge_in_arrival_order(private_hub):
    first: List[str] = []
    second: List[str] = []
    overlaps: List[str] = []
    with client(private_hub, "ordered") as ordered, client(private_hub, "sender") as sender:
        ordered.on_input("first")(recorder(0.015, first, overlaps))
        ordered.on_input("second")(recorder(0.001, second, overlaps))
        ordered.on_method("ping")(lambda request: 200)
        threads = [
            threading.Thread(target=send_numbered, args=(sender, "first", "a", PER_INPUT)),
            threading.Thread(target=send_numbered, args=(sender, "second", "b", PER_INPUT)),
        ]
        for t in threads:
            t.start()
        statuses = call_repeatedly(private_hub, "ordered", "ping", CALLS)
        for t in threads:
            t.join(60)
        assert statuses == [200] * CALLS
        wait_for("every message handled", lambda: len(first) + len(second) >= 2 * PER_INPUT, 60)
        assert first == numbered("a", PER_INPUT), "input first in send order, each once"
        assert second == numbered("b", PER_INPUT), "input second in send order, each once"
        assert overlaps == [], "one message at a time per handler"
        seen = await_inspect(private_hub, "ordered", "every PUBACK", lambda v: acks(v) >= 2 * PER_INPUT + CALLS)
        assert_acks_in_order(seen)
        assert seen["redelivered"] == 0, seen


async def test_s14_coroutine_handlers_acknowledge_in_arrival_order(private_hub):
    """The same with the asyncio client and coroutine handlers on the test's loop."""
    seen_ids: Dict[str, List[str]] = {"first": [], "second": []}
    running = {"first": 0, "second": 0}
    overlaps: List[str] = []
    opts = cs_options(private_hub, "ordered")
    ordered = edgemodule.aio.ModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts)

    def handler(name: str, pause: float):
        async def handle(message: edgemodule.Message) -> None:
            running[name] += 1
            if running[name] != 1:
                overlaps.append(message.message_id or "")
            await asyncio.sleep(pause)
            running[name] -= 1
            seen_ids[name].append(message.message_id or "")

        return handle

    async def ping(request: edgemodule.MethodRequest) -> Any:
        return {"pong": True}

    ordered.on_input("first")(handler("first", 0.01))
    ordered.on_input("second")(handler("second", 0.0))
    ordered.on_method("ping")(ping)
    async with ordered:
        with client(private_hub, "sender") as sender:
            sending = [
                asyncio.to_thread(send_numbered, sender, "first", "c", PER_INPUT),
                asyncio.to_thread(send_numbered, sender, "second", "d", PER_INPUT),
            ]
            statuses = await asyncio.to_thread(call_repeatedly, private_hub, "ordered", "ping", CALLS)
            await asyncio.gather(*sending)
        assert statuses == [200] * CALLS
        for _ in range(600):
            if len(seen_ids["first"]) + len(seen_ids["second"]) >= 2 * PER_INPUT:
                break
            await asyncio.sleep(0.1)
        assert seen_ids["first"] == numbered("c", PER_INPUT)
        assert seen_ids["second"] == numbered("d", PER_INPUT)
        assert overlaps == []
        seen = await asyncio.to_thread(
            await_inspect, private_hub, "ordered", "every PUBACK", lambda v: acks(v) >= 2 * PER_INPUT + CALLS
        )
        assert_acks_in_order(seen)
        assert seen["redelivered"] == 0, seen


BASE = 0.08


def test_s15_raising_handler_is_retried_with_backoff_then_acknowledged_and_reported(private_hub):
    errors: "queue.Queue[BaseException]" = queue.Queue()
    calls: Dict[str, List[float]] = {}
    done: "queue.Queue[str]" = queue.Queue()

    def handle(message: edgemodule.Message) -> None:
        message_id = message.message_id or ""
        times = calls.setdefault(message_id, [])
        times.append(time.monotonic())
        attempt = len(times)
        if message_id == "poison":
            raise RuntimeError(f"cannot process, attempt {attempt} (expected by the test)")
        if message_id == "flaky" and attempt <= 2:
            raise RuntimeError("not yet (expected by the test)")
        done.put(message_id)

    with client(private_hub, "ordered", redelivery_delay=BASE) as ordered, client(private_hub, "sender") as sender:
        ordered.on_background_exception = errors.put
        ordered.on_input("first")(handle)
        ordered.on_method("ping")(lambda request: 200)
        for message_id in ("poison", "flaky"):
            sender.send_message_to_output(edgemodule.Message(message_id, message_id=message_id), "first")
        send_numbered(sender, "first", "after", 3)
        assert call_repeatedly(private_hub, "ordered", "ping", 4) == [200] * 4

        processed = [done.get(timeout=30) for _ in range(4)]
        assert processed == ["flaky", "after000", "after001", "after002"]

        error = errors.get(timeout=10)
        assert isinstance(error, edgemodule.errors.BackgroundError)
        assert (error.kind, error.family, error.name) == ("HANDLER_FAILED", "input", "first"), error
        assert isinstance(error.__cause__, RuntimeError) and "attempt 4" in str(error.__cause__)

        poison = calls["poison"]
        assert len(poison) == 4, "bounded retries: handler_attempts = 4 by default"
        for i in range(1, len(poison)):
            waited = poison[i] - poison[i - 1]
            assert waited >= BASE * 2 ** (i - 1) * 0.95, f"retry {i} after {waited:.3f} s (doubling)"
        assert len(calls["flaky"]) == 3
        assert calls["flaky"][0] >= poison[3], "later messages wait for the failing one"

        seen = await_inspect(private_hub, "ordered", "every PUBACK", lambda v: acks(v) >= 5 + 4)
        assert_acks_in_order(seen)
        assert seen["redelivered"] == 0, f"the hub had no reason to resend: {seen}"
        send_numbered(sender, "first", "last", 1)
        assert done.get(timeout=20) == "last000"


def test_s15_handler_attempts_is_the_core_option(private_hub):
    errors: "queue.Queue[BaseException]" = queue.Queue()
    calls: List[str] = []

    def refuse(message: edgemodule.Message) -> None:
        calls.append(message.message_id or "")
        raise ValueError("refused (expected by the test)")

    with client(private_hub, "ordered", redelivery_delay=0.01, handler_attempts=2) as ordered, \
            client(private_hub, "sender") as sender:
        ordered.on_background_exception = errors.put
        ordered.on_input("second")(refuse)
        send_numbered(sender, "second", "once", 1)
        error = errors.get(timeout=20)
        assert isinstance(error, edgemodule.errors.BackgroundError) and error.kind == "HANDLER_FAILED"
        assert isinstance(error.__cause__, ValueError)
        assert calls == ["once000", "once000"], "two calls, as configured"
    with pytest.raises(edgemodule.InvalidArgumentError, match="handler_attempts"):
        client(private_hub, "ordered", handler_attempts=0)


COUNT = 6


def test_s16_slow_handler_delays_later_messages_loses_nothing_and_blocks_no_other_handler(private_hub):
    order: List[str] = []
    overlaps: List[str] = []
    running = [0]
    started = threading.Event()
    release = threading.Event()
    patches: "queue.Queue[Dict[str, Any]]" = queue.Queue()

    def slow(message: edgemodule.Message) -> None:
        running[0] += 1
        if running[0] != 1:
            overlaps.append(message.message_id or "")
        started.set()
        release.wait(60)  # the first message is held until the test saw the others answered
        time.sleep(0.1)
        running[0] -= 1
        order.append(message.message_id or "")

    with client(private_hub, "ordered") as ordered, client(private_hub, "sender") as sender:
        try:
            ordered.on_input("first")(slow)
            ordered.on_input("second")(lambda m: order.append(m.message_id or ""))
            ordered.on_method("ping")(lambda request: 200)
            ordered.on_twin_desired_properties_patch_received = patches.put
            send_numbered(sender, "first", "slow", COUNT)
            assert started.wait(20), "the slow handler started"
            send_numbered(sender, "second", "fast", 1)
            # While it is held: method calls are answered and a desired patch is handled.
            assert call_repeatedly(private_hub, "ordered", "ping", 3) == [200] * 3
            twin = private_hub.twin("ordered", {"threshold": 1})
            patch = patches.get(timeout=20)
            assert patch["$version"] == twin["desired"]["$version"]
            # The strict hub keeps one input message in flight per module: the held one holds
            # up the messages behind it, whatever their input.
            assert order == [], "the held message holds up the messages behind it"
        finally:
            release.set()
        wait_for("every message handled", lambda: len(order) >= COUNT + 1, 30)
        assert [m for m in order if m.startswith("slow")] == numbered("slow", COUNT), "in order, each once"
        assert overlaps == [], "one at a time"
        seen = await_inspect(private_hub, "ordered", "every PUBACK", lambda v: acks(v) >= COUNT + 1 + 3 + 1)
        assert_acks_in_order(seen)
        assert seen["redelivered"] == 0, seen


FAILURE = '{"error":"HANDLER_FAILED","message":"the method handler failed"}'
NO_HANDLER = '{"error":"NO_HANDLER","message":"the module has no handler for this method"}'


def test_s17_no_method_handler_means_404_at_once(private_hub):
    with client(private_hub, "caller") as caller, client(private_hub, "nomethods") as target:
        # Handles inputs and desired patches, but no method.
        target.on_message_received = lambda m: None
        target.on_twin_desired_properties_patch_received = lambda patch: None
        target.connect()
        subscriptions = inspect_module(private_hub, "nomethods")["subscriptions"]
        assert not any("$iothub/methods" in s for s in subscriptions), subscriptions
        start = time.monotonic()
        with pytest.raises(edgemodule.NotFoundError) as raised:
            caller.invoke_method({"methodName": "reset", "responseTimeoutInSeconds": 20}, "edge-device", "nomethods")
        took = time.monotonic() - start
        assert raised.value.status == 404
        assert took < 1.0, f"answered after {took:.3f} s"


def test_s17_a_method_nothing_handles_gets_the_no_handler_reply(private_hub):
    errors: "queue.Queue[BaseException]" = queue.Queue()
    with client(private_hub, "caller") as caller, client(private_hub, "receiver") as target:
        target.on_background_exception = errors.put
        target.on_method("reset")(lambda request: "reset")
        target.connect()
        answer = caller.invoke_method({"methodName": "reboot"}, "edge-device", "receiver")
        assert answer["status"] == 501
        assert json.dumps(answer["payload"], separators=(",", ":")) == NO_HANDLER
        assert edgemodule._native.method_replies()[1] == (501, NO_HANDLER)
        error = errors.get(timeout=10)
        assert isinstance(error, edgemodule.errors.BackgroundError)
        assert (error.kind, error.family, error.name) == ("NO_HANDLER", "method", "reboot")
        answer = caller.invoke_method({"methodName": "reset"}, "edge-device", "receiver")
        assert answer == {"status": 200, "payload": "reset"}


def test_s18_a_message_for_an_unhandled_input_is_acknowledged_dropped_and_reported(private_hub):
    errors: "queue.Queue[BaseException]" = queue.Queue()
    handled: "queue.Queue[str]" = queue.Queue()

    def handle(message: edgemodule.Message) -> None:
        time.sleep(0.02)
        handled.put(message.message_id or "")

    with client(private_hub, "ordered") as ordered, client(private_hub, "sender") as sender:
        ordered.on_background_exception = errors.put
        ordered.on_input("first")(handle)
        ordered.on_method("ping")(lambda request: 200)
        send_numbered(sender, "first", "before", 2)
        send_numbered(sender, "unhandled", "nobody", 1)
        send_numbered(sender, "first", "after", 3)
        assert call_repeatedly(private_hub, "ordered", "ping", 3) == [200] * 3

        error = errors.get(timeout=10)
        assert isinstance(error, edgemodule.errors.BackgroundError)
        assert (error.kind, error.family, error.name) == ("NO_HANDLER", "input", "unhandled"), error
        seen = [handled.get(timeout=10) for _ in range(5)]
        assert seen == ["before000", "before001", "after000", "after001", "after002"]
        inspection = await_inspect(private_hub, "ordered", "every PUBACK", lambda v: acks(v) >= 6 + 3)
        assert_acks_in_order(inspection)
        assert inspection["redelivered"] == 0, f"acknowledged, not left to the hub: {inspection}"
