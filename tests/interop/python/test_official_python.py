"""Microsoft's azure-iot-device (unmodified) against edgemodule-hub, edge-environment path."""

import json
import os
import queue
import time

import pytest
from azure.iot.device import IoTHubModuleClient, Message, MethodResponse

WAIT = 20  # seconds for any single round trip


@pytest.fixture
def clients(module_env):
    made = []

    def create(module: str) -> IoTHubModuleClient:
        module_env(module)
        client = IoTHubModuleClient.create_from_edge_environment()
        client.connect()
        made.append(client)
        return client

    yield create
    for client in made:
        client.shutdown()


def test_output_routed_to_input_with_properties(clients):
    receiver = clients("receiver")
    got = queue.Queue()
    receiver.on_message_received = got.put
    sender = clients("sender")

    msg = Message(json.dumps({"temperature": 21.5}), message_id="m-1", content_encoding="utf-8",
                  content_type="application/json")
    msg.correlation_id = "corr-1"
    msg.custom_properties["unit"] = "°C & more=/%+"
    sender.send_message_to_output(msg, "output1")

    received = got.get(timeout=WAIT)
    assert received.input_name == "input1"
    assert json.loads(received.data) == {"temperature": 21.5}
    assert received.message_id == "m-1"
    assert received.correlation_id == "corr-1"
    assert received.content_type == "application/json"
    assert received.content_encoding == "utf-8"
    assert received.custom_properties["unit"] == "°C & more=/%+"
    # edgeHub tells the receiver who sent it; Python exposes these as custom properties.
    assert received.custom_properties["$.cmid"] == "sender"


def test_body_query_route_filters(clients):
    receiver = clients("receiver")
    got = queue.Queue()
    receiver.on_message_received = got.put
    sender = clients("sender")
    for temp in (12, 35):
        m = Message(json.dumps({"temperature": temp}), content_encoding="utf-8",
                    content_type="application/json")
        sender.send_message_to_output(m, "measurements")
    received = got.get(timeout=WAIT)
    assert received.input_name == "hot"
    assert json.loads(received.data)["temperature"] == 35
    with pytest.raises(queue.Empty):
        got.get(timeout=2)


def test_twin_get_patch_and_desired_update(hub, clients):
    receiver = clients("receiver")
    twin = receiver.get_twin()
    assert twin["desired"]["threshold"] == 30
    assert isinstance(twin["desired"]["$version"], int)
    reported_before = twin["reported"]["$version"]

    receiver.patch_twin_reported_properties({"threshold": 30, "status": "ok"})
    twin = receiver.get_twin()
    assert twin["reported"]["status"] == "ok"
    assert twin["reported"]["$version"] > reported_before

    patches = queue.Queue()
    receiver.on_twin_desired_properties_patch_received = patches.put
    hub.cli("twin", "receiver", "--desired", json.dumps({"threshold": 42}))
    patch = patches.get(timeout=WAIT)
    assert patch["threshold"] == 42
    assert patch["$version"] > twin["desired"]["$version"]

    shown = json.loads(hub.cli("twin", "receiver"))
    assert shown["reported"]["status"] == "ok"


def _answer_methods(client):
    def handler(request):
        payload = {"method": request.name, "echo": request.payload}
        client.send_method_response(MethodResponse.create_from_method_request(request, 200, payload))

    client.on_method_request_received = handler


def test_direct_method_from_operator(hub, clients):
    receiver = clients("receiver")
    _answer_methods(receiver)
    result = json.loads(hub.cli("invoke", "receiver", "echo", json.dumps({"a": 1}), "--timeout", "10"))
    assert result["status"] == 200
    assert result["payload"] == {"method": "echo", "echo": {"a": 1}}


def test_module_to_module_invoke_method(clients):
    receiver = clients("receiver")
    _answer_methods(receiver)
    sender = clients("sender")
    device_id = os.environ["IOTEDGE_DEVICEID"]
    result = sender.invoke_method(
        {"methodName": "echo", "payload": {"x": [1, 2]}, "responseTimeoutInSeconds": 10},
        device_id,
        "receiver",
    )
    assert result["status"] == 200
    assert result["payload"] == {"method": "echo", "echo": {"x": [1, 2]}}


def test_invoke_method_on_disconnected_module_is_404(clients):
    from azure.iot.device.exceptions import ClientError

    sender = clients("sender")
    device_id = os.environ["IOTEDGE_DEVICEID"]
    with pytest.raises(ClientError) as raised:
        sender.invoke_method({"methodName": "echo", "payload": None}, device_id, "receiver")
    # The SDK wraps the HTTP failure; the hub's 404 is the cause.
    assert "404" in str(raised.value.__cause__)


def _inspect(hub, module: str) -> dict:
    return json.loads(hub.cli("inspect", module))


def test_routed_messages_are_acknowledged_in_order_on_the_strict_hub(hub, clients):
    """edgeHub delivers one message at a time and drops a PUBACK that is not for the oldest
    PUBLISH; the official SDK acknowledges on receipt, in order, so nothing is redelivered."""
    before = _inspect(hub, "receiver")
    assert before["delivery"] == "strict"
    receiver = clients("receiver")
    got = queue.Queue()
    receiver.on_message_received = got.put
    sender = clients("sender")
    count = 100
    for i in range(count):
        sender.send_message_to_output(Message(str(i)), "output1")
    bodies = sorted(int(got.get(timeout=WAIT).data) for _ in range(count))
    assert bodies == list(range(count))
    deadline = time.monotonic() + WAIT
    after = _inspect(hub, "receiver")
    while after["in_flight"] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        after = _inspect(hub, "receiver")
    assert after["delivered"] - before["delivered"] == count
    assert after["redelivered"] == before["redelivered"]
    assert after["acks_out_of_order"] == before["acks_out_of_order"]
    assert after["acks_in_order"] - before["acks_in_order"] >= count


def test_connected_module_without_a_method_handler_gets_404_at_once(hub, clients):
    """The SDK subscribes to methods only once a handler is set; edgeHub answers a call to a
    module without that subscription with 404 without waiting for the response timeout.
    The target is `sender`: no test ever gives it a method handler (its session, kept by the
    hub as edgeHub keeps it, would otherwise still hold the methods subscription)."""
    from azure.iot.device.exceptions import ClientError

    target = clients("sender")
    target.on_message_received = lambda message: None
    caller = clients("receiver")
    assert "$iothub/methods/POST/#" not in _inspect(hub, "sender")["subscriptions"]
    device_id = os.environ["IOTEDGE_DEVICEID"]
    started = time.monotonic()
    with pytest.raises(ClientError) as raised:
        caller.invoke_method(
            {"methodName": "echo", "payload": None, "responseTimeoutInSeconds": 30}, device_id, "sender"
        )
    assert "404" in str(raised.value.__cause__)
    assert time.monotonic() - started < 5
    assert _inspect(hub, "sender")["connected"]
