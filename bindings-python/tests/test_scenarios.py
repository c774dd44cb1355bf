"""Conformance scenarios S01–S10 and S12 (design.md §6) against the hub, each run with the
blocking and with the asyncio client. S11 and S13 are in their own files."""

from __future__ import annotations

import json
import os
import queue
import threading
from pathlib import Path

import pytest

import edgemodule
import edgemodule.aio
from conftest import WAIT, get, nothing, token


async def test_s01_connect_from_edge_environment(hub, monkeypatch, make_client):
    for key in ("EdgeHubConnectionString", "EdgeModuleCACertificateFile"):
        monkeypatch.delenv(key, raising=False)
    for key, value in hub.workload_env("receiver").items():
        monkeypatch.setenv(key, value)
    assert "IOTEDGE_WORKLOADURI" in os.environ
    cls = edgemodule.ModuleClient if make_client.kind == "sync" else edgemodule.aio.ModuleClient
    client = cls.create_from_edge_environment()
    try:
        states = queue.Queue()
        client.on_connection_state_change = lambda state, reason: states.put((state, reason))
        if make_client.kind == "sync":
            client.connect()
        else:
            await client.connect()
        assert client.connected
        assert (client.device_id, client.module_id) == ("edge-device", "receiver")
        state, reason = await get(states)
        assert state is edgemodule.ConnectionState.CONNECTED and reason is edgemodule.StatusReason.OK
        twin = client.get_twin() if make_client.kind == "sync" else await client.get_twin()
        assert twin["desired"]["threshold"] == 30
    finally:
        if make_client.kind == "sync":
            client.shutdown()
        else:
            await client.shutdown()


async def test_s02_connect_from_connection_string_environment(hub, monkeypatch, make_client):
    for key in list(os.environ):
        if key.startswith("IOTEDGE_"):
            monkeypatch.delenv(key)
    for key, value in hub.simulator_env("receiver").items():
        monkeypatch.setenv(key, value)
    cls = edgemodule.ModuleClient if make_client.kind == "sync" else edgemodule.aio.ModuleClient
    client = cls.create_from_edge_environment()
    try:
        if make_client.kind == "sync":
            client.connect()
        else:
            await client.connect()
        assert client.connected and client.module_id == "receiver"
    finally:
        if make_client.kind == "sync":
            client.shutdown()
        else:
            await client.shutdown()
    # And the explicit connection-string constructor with the CA as text.
    api = await make_client("sender")
    assert api.client.connected


async def test_s03_output_routed_with_body_and_properties_intact(make_client):
    receiver = await make_client("receiver")
    got = queue.Queue()
    receiver.client.on_input("input1")(receiver.handler(got.put))
    sender = await make_client("sender")
    mark = token()
    message = edgemodule.Message(json.dumps({"temperature": 21.5, "mark": mark}), message_id="m-" + mark,
                                 content_encoding="utf-8", content_type="application/json",
                                 correlation_id="corr-1", user_id="user-7",
                                 custom_properties={"unit": "°C & more=/%+", "empty": ""},
                                 creation_time="2026-11-26T10:00:00Z", message_schema="reading/v1")
    await sender.call("send_message_to_output", message, "output1")
    received = await _first_with(got, mark)
    assert received.input_name == "input1"
    assert json.loads(received.data) == {"temperature": 21.5, "mark": mark}
    assert isinstance(received.data, bytes)
    assert received.message_id == "m-" + mark
    assert received.correlation_id == "corr-1"
    assert received.user_id == "user-7"
    assert received.content_type == "application/json"
    assert received.content_encoding == "utf-8"
    assert received.creation_time == "2026-11-26T10:00:00Z"
    assert received.message_schema == "reading/v1"
    assert received.custom_properties == {"unit": "°C & more=/%+", "empty": ""}
    assert received.connection_device_id == "edge-device"
    assert received.connection_module_id == "sender"


async def _first_with(q: "queue.Queue", mark: str, timeout: float = WAIT):
    """The first received message whose body carries ``mark`` (older stored ones are skipped)."""
    while True:
        message = await get(q, timeout)
        if mark.encode() in message.data:
            return message


async def test_s04_per_input_and_default_handlers(make_client):
    receiver = await make_client("receiver")
    named, default = queue.Queue(), queue.Queue()
    receiver.client.on_input("input1")(receiver.handler(named.put))
    receiver.client.on_message_received = receiver.handler(default.put)
    sender = await make_client("sender")
    mark = token()
    await sender.call("send_message_to_output", edgemodule.Message(f"one {mark}"), "output1")
    await sender.call("send_message_to_output", edgemodule.Message(f"two {mark}"), "output2")
    first = await _first_with(named, mark)
    second = await _first_with(default, mark)
    assert (first.input_name, first.data) == ("input1", f"one {mark}".encode())
    assert (second.input_name, second.data) == ("input2", f"two {mark}".encode())
    assert receiver.client.on_message_received is not None


async def test_s05_twin_get_and_patch_reported(make_client):
    api = await make_client("receiver")
    twin = await api.call("get_twin")
    assert twin["desired"]["threshold"] == 30 and twin["desired"]["nested"] == {"unit": "C"}
    before = twin["reported"]["$version"]
    mark = token()
    await api.call("patch_twin_reported_properties", {"status": "ok", "mark": mark, "nested": {"a": [1, 2]}})
    twin = await api.call("get_twin")
    assert twin["reported"]["mark"] == mark and twin["reported"]["nested"] == {"a": [1, 2]}
    assert twin["reported"]["$version"] > before
    with pytest.raises(edgemodule.EdgeModuleError):
        await api.call("patch_twin_reported_properties", ["not", "an", "object"])


async def test_s06_desired_patch_reaches_handler_with_version(hub, make_client):
    api = await make_client("receiver")
    patches = queue.Queue()
    api.client.on_twin_desired_properties_patch_received = api.handler(patches.put)
    version = (await api.call("get_twin"))["desired"]["$version"]
    mark = token()
    await asyncio_thread(hub.twin, "receiver", {"mark": mark})
    patch = await get(patches)
    assert patch["mark"] == mark
    assert patch["$version"] > version
    assert isinstance(patch, edgemodule.DesiredPatch) and not patch.full  # a patch: merge it


async def asyncio_thread(fn, *args):
    import asyncio

    return await asyncio.to_thread(fn, *args)


async def test_s07_direct_method_round_trip(hub, make_client):
    api = await make_client("receiver")
    seen = queue.Queue()

    def echo(request):
        seen.put(threading.current_thread())
        return edgemodule.MethodResponse.create_from_method_request(request, 201, {"echo": request.payload, "name": request.name})

    api.client.on_method("echo")(api.handler(echo))
    api.client.on_method_request_received = api.handler(lambda request: (404, {"unknown": request.name}))
    result = await asyncio_thread(hub.invoke, "receiver", "echo", {"a": [1, "x"]})
    assert result["status"] == 201
    assert result["payload"] == {"echo": {"a": [1, "x"]}, "name": "echo"}
    other = await asyncio_thread(hub.invoke, "receiver", "other", None)
    assert other["status"] == 404 and other["payload"] == {"unknown": "other"}


async def test_s08_module_to_module_invoke(make_client):
    receiver = await make_client("receiver")
    receiver.client.on_method("double")(receiver.handler(lambda request: {"value": request.payload["value"] * 2}))
    sender = await make_client("sender")
    result = await sender.call("invoke_method", {"methodName": "double", "payload": {"value": 21},
                                                 "responseTimeoutInSeconds": 10}, "edge-device", "receiver")
    assert result == {"status": 200, "payload": {"value": 42}}
    with pytest.raises(edgemodule.NotFoundError):
        await sender.call("invoke_method", {"methodName": "double", "payload": None,
                                            "responseTimeoutInSeconds": 5}, "edge-device", "nobody")


async def test_s09_oversized_message_is_a_typed_error_and_client_stays_usable(make_client):
    sender = await make_client("sender")
    with pytest.raises(edgemodule.MessageTooLargeError) as raised:
        await sender.call("send_message_to_output", edgemodule.Message(b"x" * (256 * 1024 + 1)), "output1")
    assert isinstance(raised.value, ValueError) and raised.value.code == 7
    await sender.call("send_message_to_output", edgemodule.Message(b"small"), "output3")
    assert sender.client.connected


async def test_s10_bad_credentials_raise_unauthorized_without_hanging(hub, make_client):
    from conftest import cs_options

    opts = cs_options(hub, "sender")
    bad = opts["connection_string"].replace("SharedAccessKey=", "SharedAccessKey=AAAA")
    api = await make_client("sender", connect=False, connection_string=bad, operation_timeout=15)
    import time

    started = time.monotonic()
    with pytest.raises(edgemodule.UnauthorizedError) as raised:
        await api.call("connect")
    assert isinstance(raised.value, PermissionError)
    assert time.monotonic() - started < 10
    with pytest.raises(edgemodule.EdgeModuleError):
        await api.call("get_twin")


async def test_s12_throwing_handlers_get_the_core_reply_and_retries(hub, make_client):
    receiver = await make_client("receiver", redelivery_delay=0.05)
    attempts = queue.Queue()
    failed_once = set()

    def flaky(message):
        attempts.put(message)
        if message.message_id not in failed_once:
            failed_once.add(message.message_id)
            raise RuntimeError("first attempt fails (expected by the test)")

    def broken(request):
        raise ValueError("handler bug (expected by the test)")

    errors = queue.Queue()
    receiver.client.on_background_exception = errors.put
    receiver.client.on_input("input3")(receiver.handler(flaky))
    receiver.client.on_method("broken")(receiver.handler(broken))
    sender = await make_client("sender")
    mark = token()
    await sender.call("send_message_to_output", edgemodule.Message(mark, message_id=mark), "output3")
    first = await _first_with(attempts, mark)
    again = await _first_with(attempts, mark)  # the core calls the handler again
    assert first.message_id == again.message_id == mark
    result = await asyncio_thread(hub.invoke, "receiver", "broken", None)
    failure_status, failure_payload = edgemodule._native.method_replies()[0]
    assert result["status"] == failure_status == 500
    assert result["payload"] == json.loads(failure_payload)
    assert "handler bug" not in json.dumps(result["payload"])
    error = await get(errors)  # the method failure; the input succeeded on its second call
    assert isinstance(error, edgemodule.errors.BackgroundError)
    assert (error.kind, error.family, error.name) == ("HANDLER_FAILED", "method", "broken")
    assert isinstance(error.__cause__, ValueError)
    assert await nothing(attempts, 1.0)  # acknowledged the second time: no third call
    assert await nothing(errors, 0.1)
    assert receiver.client.connected
    twin = await receiver.call("get_twin")
    assert twin["desired"]["threshold"] == 30


async def test_batch_send_and_user_topics(make_client):
    receiver = await make_client("receiver")
    got, topics = queue.Queue(), queue.Queue()
    receiver.client.on_input("input2")(receiver.handler(got.put))
    await receiver.call("subscribe", "alerts/#", receiver.handler(topics.put))
    sender = await make_client("sender")
    mark = token()
    # Bytes-only messages (which cross to the addon as bare bodies) mixed with ones that set
    # properties, a str body and a bare bytes item.
    batch = [edgemodule.Message(f"{mark}-{i}".encode()) for i in range(16)]
    batch.append(edgemodule.Message(f"{mark}-16"))
    batch.append(edgemodule.Message(f"{mark}-17".encode(), message_id=f"{mark}-id"))
    batch.append(edgemodule.Message(f"{mark}-18".encode(), custom_properties={"k": "v"}))
    batch.append(f"{mark}-19".encode())
    await sender.call("send_messages_to_output", batch, "output2")
    received = {}
    while len(received) < 20:
        message = await _first_with(got, mark)
        received[message.data] = message
    assert set(received) == {f"{mark}-{i}".encode() for i in range(20)}
    assert received[f"{mark}-17".encode()].message_id == f"{mark}-id"
    assert received[f"{mark}-18".encode()].custom_properties == {"k": "v"}
    assert received[f"{mark}-0".encode()].message_id is None
    assert received[f"{mark}-0".encode()].custom_properties == {}
    await sender.call("publish", "alerts/fire", mark)
    alert = await get(topics)
    assert (alert.topic, alert.payload) == ("alerts/fire", mark.encode())
    # The hub's broker policy lets only the receiver subscribe.
    with pytest.raises(edgemodule.UnauthorizedError):
        await sender.call("subscribe", "alerts/#", sender.handler(topics.put))
    await sender.call("publish", "alerts/again", "still connected")
    assert (await get(topics)).topic == "alerts/again"


def test_ca_file_is_read_from_the_simulator_environment(hub):
    env = hub.simulator_env("sender")
    assert Path(env["EdgeModuleCACertificateFile"]).read_text().startswith("-----BEGIN")
