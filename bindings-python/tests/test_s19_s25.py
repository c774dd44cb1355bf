"""S19–S25 from Python against the hub: DUP re-sends after a reconnect, the one method
failure reply, invoke timeouts, SAS renewal, retry give-up, user topics, and the core's
log records in Python's ``logging``."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any, Dict, List, Set

import pytest

import edgemodule
from conftest import acks, assert_acks_in_order, await_inspect, client, inspect_module, wait_for
from hubproc import Hub
from proxy import TcpProxy

FAILURE = '{"error":"HANDLER_FAILED","message":"the method handler failed"}'


def test_s19_unacknowledged_publishes_are_resent_with_dup_after_a_reconnect(private_hub):
    proxy = TcpProxy(private_hub.mqtt_port)
    seen: "queue.Queue[str]" = queue.Queue()
    try:
        with client(private_hub, "receiver") as receiver, \
                client(private_hub, "sender", mqtt_port=proxy.port) as sender:
            receiver.on_input("input1")(lambda m: seen.put(m.message_id or ""))
            # Something subscribed, so the hub keeps a session to resume.
            sender.on_method("noop")(lambda request: 200)
            sender.connect()
            before = inspect_module(private_hub, "sender")

            # The hub gets the publishes; the client never sees the PUBACKs.
            proxy.hold_downstream = True
            results: List[Any] = []

            def send(i: int) -> None:
                try:
                    sender.send_message_to_output(edgemodule.Message(f"m{i}", message_id=f"m{i}"), "output1")
                    results.append("ok")
                except Exception as e:  # reported below
                    results.append(e)

            sends = [threading.Thread(target=send, args=(i,)) for i in range(5)]
            for t in sends:
                t.start()
            await_inspect(private_hub, "sender", "the publishes reached the hub",
                          lambda v: v["publishes_received"] >= before["publishes_received"] + 5, 10)
            proxy.cut()
            proxy.hold_downstream = False
            for t in sends:
                t.join(30)
            assert results == ["ok"] * 5, results  # acknowledged after the re-send
            after = await_inspect(private_hub, "sender", "DUP re-sends",
                                  lambda v: v["dup_publishes_received"] >= before["dup_publishes_received"] + 5, 10)
            assert after["connections"] > before["connections"], after

            ids: Set[str] = set()
            while len(ids) < 5:
                ids.add(seen.get(timeout=15))
            assert ids == {f"m{i}" for i in range(5)}, "none lost"
            # Duplicates are allowed (at-least-once); nothing else arrives.
            try:
                while True:
                    assert seen.get(timeout=0.3) in ids
            except queue.Empty:
                pass
    finally:
        proxy.close()


def test_s20_a_raising_method_handler_gets_the_one_failure_reply(private_hub):
    errors: "queue.Queue[BaseException]" = queue.Queue()
    with client(private_hub, "receiver") as target, client(private_hub, "caller") as caller:
        target.on_background_exception = errors.put

        @target.on_method("fails")
        def fails(request: edgemodule.MethodRequest) -> Any:
            raise RuntimeError("secret internal detail (expected by the test)")

        @target.on_method("bad_answer")
        def bad_answer(request: edgemodule.MethodRequest) -> Any:
            return {"not json": {1, 2}}  # cannot be answered: a failure of the handler

        target.on_method_request_received = lambda request: edgemodule.MethodResponse(
            request.request_id, 200, {"default": request.name}
        )
        target.connect()
        assert edgemodule._native.method_replies()[0] == (500, FAILURE)
        for method in ("fails", "bad_answer"):
            via_hub = private_hub.invoke("receiver", method, None, timeout=15)
            assert via_hub["status"] == 500, method
            assert json.dumps(via_hub["payload"], separators=(",", ":")) == FAILURE, method
            via_module = caller.invoke_method({"methodName": method}, "edge-device", "receiver")
            assert via_module["status"] == 500, method
            assert json.dumps(via_module["payload"], separators=(",", ":")) == FAILURE, method
            assert "secret" not in json.dumps(via_module["payload"])
            for _ in range(2):
                error = errors.get(timeout=10)
                assert isinstance(error, edgemodule.errors.BackgroundError)
                assert (error.kind, error.family, error.name) == ("HANDLER_FAILED", "method", method)
                assert error.__cause__ is not None
        # The client keeps answering.
        fine = caller.invoke_method({"methodName": "other"}, "edge-device", "receiver")
        assert fine == {"status": 200, "payload": {"default": "other"}}


def test_s21_the_invoke_response_timeout_is_honoured(private_hub):
    never = threading.Event()
    try:
        with client(private_hub, "mute") as mute, client(private_hub, "caller") as caller:
            mute.on_method("hang")(lambda request: never.wait(60) and 200)
            mute.on_method("ping")(lambda request: "pong")
            mute.connect()
            start = time.monotonic()
            with pytest.raises(edgemodule.EdgeTimeoutError) as raised:
                caller.invoke_method({"methodName": "hang", "responseTimeoutInSeconds": 5}, "edge-device", "mute")
            took = time.monotonic() - start
            assert raised.value.status == 504, raised.value
            assert raised.value.transient and isinstance(raised.value, TimeoutError)
            assert 4.5 <= took < 8.0, f"failed after {took:.2f} s"
            pong = caller.invoke_method({"methodName": "ping"}, "edge-device", "mute")
            assert pong == {"status": 200, "payload": "pong"}, "another method's handler runs while one hangs"
            never.set()  # before shutdown, which waits for running handlers
    finally:
        never.set()


def test_s22_sending_across_token_renewals_loses_nothing(private_hub, log_capture):
    log = log_capture(logging.INFO)
    total = 40
    received: Set[str] = set()
    states: List[Any] = []
    with client(private_hub, "receiver") as receiver, client(private_hub, "sender", sas_ttl=2) as sender:
        receiver.on_input("input1")(lambda m: received.add(m.message_id or ""))
        receiver.connect()
        sender.on_connection_state_change = lambda state, reason: states.append(state)
        sender.connect()
        # A renewal (a reconnect with a fresh token) every 1.6 s; sending takes about 5 s.
        for i in range(total):
            sender.send_message_to_output(edgemodule.Message(f"r{i:03d}", message_id=f"r{i:03d}"), "output1")
            time.sleep(0.125)
        wait_for("every message received", lambda: len(received) == total, 30)
        wait_for("the renewals logged", lambda: len(log.matching("renewing the SAS token", module_id="sender")) >= 2)
        assert all(s is edgemodule.ConnectionState.CONNECTED for s in states), f"renewal shows no failure: {states}"
        assert sender.connection_status[0] is edgemodule.ConnectionState.CONNECTED


GIVE_UP_FAST: Dict[str, Any] = dict(
    retry_initial_delay=0.1,
    retry_max_delay=0.2,
    retry_multiplier=1.5,
    retry_jitter=0,
    retry_give_up_after=1,
    operation_timeout=20,
)


def test_s23_giving_up_is_reported_as_retry_expired(private_hub):
    changes: List[Any] = []
    gone = client(private_hub, "sender", **GIVE_UP_FAST)
    try:
        gone.on_connection_state_change = lambda state, reason: changes.append((state, reason))
        private_hub.stop()  # created (trust bundle read), then the hub goes away
        with pytest.raises(edgemodule.EdgeConnectionError) as raised:
            gone.connect()
        assert raised.value.transient
        ConnectionState, StatusReason = edgemodule.ConnectionState, edgemodule.StatusReason
        wait_for("the final status", lambda: gone.connection_status[0] is ConnectionState.DISCONNECTED, 10)
        assert gone.connection_status == (ConnectionState.DISCONNECTED, StatusReason.RETRY_EXPIRED)
        wait_for("the handler saw it", lambda: bool(changes) and changes[-1][1] is StatusReason.RETRY_EXPIRED, 10)
        assert changes[0] == (ConnectionState.DISCONNECTED_RETRYING, StatusReason.NO_NETWORK)
        assert changes[-1] == (ConnectionState.DISCONNECTED, StatusReason.RETRY_EXPIRED)
    finally:
        gone.shutdown()


def test_s23_pending_operations_fail_once_with_connection(private_hub):
    with client(private_hub, "sender", **GIVE_UP_FAST) as sender:
        private_hub.stop()
        wait_for("the client noticed", lambda: not sender.connected, 15)
        outcomes: List[Any] = []

        def send(i: int) -> None:
            try:
                sender.send_message_to_output(edgemodule.Message(f"m{i}"), "up")
                outcomes.append("sent")
            except Exception as e:
                outcomes.append(e)

        sends = [threading.Thread(target=send, args=(i,)) for i in range(3)]
        for t in sends:
            t.start()
        for t in sends:
            t.join(20)
        assert len(outcomes) == 3, outcomes
        assert all(isinstance(o, edgemodule.EdgeConnectionError) for o in outcomes), outcomes
        assert sender.connection_status[1] is edgemodule.StatusReason.RETRY_EXPIRED
        with pytest.raises(edgemodule.EdgeConnectionError):
            sender.send_message_to_output(edgemodule.Message("later"), "up")


def _subscribed(hub: Hub, module: str, topic_filter: str) -> bool:
    return topic_filter in inspect_module(hub, module)["subscriptions"]


def test_s24_published_messages_reach_the_subscriber(private_hub):
    got: "queue.Queue[edgemodule.UserMessage]" = queue.Queue()
    with client(private_hub, "sender") as sender, client(private_hub, "receiver") as receiver:
        subscription = receiver.subscribe("alerts/#", got.put)
        assert subscription.topic_filter == "alerts/#"
        sender.publish("alerts/fire", "hot")
        first = got.get(timeout=20)
        assert (first.topic, first.payload) == ("alerts/fire", b"hot")
        sender.publish("alerts/flood", b"\x01\x02", qos=0)
        second = got.get(timeout=20)
        assert (second.topic, second.payload) == ("alerts/flood", b"\x01\x02")


def test_s24_acknowledged_after_the_handler_returns_and_unsubscribe_stops_delivery(private_hub):
    seen: "queue.Queue[str]" = queue.Queue()
    gate = threading.Semaphore(0)

    def hold(message: edgemodule.UserMessage) -> None:
        seen.put(message.topic)
        gate.acquire(timeout=60)  # returns only when the test lets it

    with client(private_hub, "sender") as sender, client(private_hub, "receiver") as receiver:
        try:
            subscription = receiver.subscribe("alerts/#", hold)
            assert _subscribed(private_hub, "receiver", "alerts/#")
            base = acks(inspect_module(private_hub, "receiver"))
            for i in range(3):
                sender.publish(f"alerts/{i}", b"x")
            for i in range(3):
                assert seen.get(timeout=10) == f"alerts/{i}"
                time.sleep(0.2)  # the handler has it but has not returned: not acknowledged yet
                assert acks(inspect_module(private_hub, "receiver")) == base + i
                gate.release()
                await_inspect(private_hub, "receiver", "acknowledged", lambda v: acks(v) == base + i + 1, 10)
            assert_acks_in_order(inspect_module(private_hub, "receiver"))

            subscription.unsubscribe()  # UNSUBSCRIBE: the hub forgets the filter
            assert not _subscribed(private_hub, "receiver", "alerts/#"), "UNSUBSCRIBE sent"
            subscription.unsubscribe()  # idempotent
            sender.publish("alerts/late", b"x")
            with pytest.raises(queue.Empty):
                seen.get(timeout=0.5)
        finally:
            for _ in range(4):
                gate.release()


def test_s24_a_publish_the_policy_denies_fails_unauthorized(private_hub):
    with client(private_hub, "sender") as sender:
        start = time.monotonic()
        with pytest.raises(edgemodule.UnauthorizedError) as raised:
            sender.publish("alerts/denied/x", b"x")
        assert raised.value.code == 3 and not raised.value.transient
        assert time.monotonic() - start < 5, "told at once, not after the operation timeout"
        sender.publish("alerts/allowed", b"y")  # the client reconnects and goes on
        with pytest.raises(edgemodule.UnauthorizedError):
            sender.subscribe("alerts/#", lambda m: None)
        with pytest.raises(edgemodule.InvalidArgumentError):
            sender.publish("a/+", b"")
        with pytest.raises(edgemodule.InvalidArgumentError):
            sender.publish("alerts/x", b"", qos=2)
        assert not _subscribed(private_hub, "sender", "alerts/#")


def test_s25_a_hub_restart_is_logged_through_python_logging(private_hub, log_capture):
    log = log_capture(logging.WARNING)
    with client(private_hub, "sender") as sender:
        private_hub.restart(down_for=0.5)
        wait_for("the connection loss logged", lambda: bool(log.matching("connection lost", module_id="sender")), 30)
        sender.send_message_to_output(edgemodule.Message("after the first restart"), "up")
        assert all(r.levelno >= logging.WARNING for r in log.records), "nothing below the logger's level"
        record = log.matching("connection lost", module_id="sender")[0]
        assert record.name.startswith("edgemodule."), record.name  # a child logger per area
        assert record.edgemodule_fields["module"] == "sender"  # type: ignore[attr-defined]
        assert "module=sender" in record.getMessage()
        assert record.threadName not in {threading.main_thread().name, "edgemodule-sender"}

        # More verbose (taken within a second): the reconnect itself shows.
        log.logger.setLevel(logging.DEBUG)
        time.sleep(1.5)
        private_hub.restart(down_for=0.5)
        wait_for("the reconnect logged", lambda: bool(log.matching("connected", module_id="sender")), 30)
        sender.send_message_to_output(edgemodule.Message("after the second restart"), "up")
        assert any(r.levelno == logging.INFO for r in log.records), [r.getMessage() for r in log.records]
        # Every record came from one thread (the core's `edgemodule-log`), none from a runtime
        # thread or a handler's.
        assert len({r.thread for r in log.records}) == 1, {r.threadName for r in log.records}
