"""The compat layer runs modules written for azure-iot-device with only their imports
changed (tests/azure_samples/*.py, both the blocking and the asyncio style)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

import edgemodule
from conftest import cs_options, token

SAMPLES = Path(__file__).resolve().parent / "azure_samples"
IMPORTS = {
    "from azure.iot.device.aio import": "from edgemodule.compat.aio import",
    "from azure.iot.device import": "from edgemodule.compat import",
}


def ported(source: str) -> str:
    """The sample with azure-iot-device imports replaced, and nothing else changed."""
    out = []
    for line in source.splitlines(keepends=True):
        for old, new in IMPORTS.items():
            if line.startswith(old):
                line = new + line[len(old):]
                break
        out.append(line)
    text = "".join(out)
    changed = [(a, b) for a, b in zip(source.splitlines(), text.splitlines()) if a != b]
    assert changed and all(a.startswith("from azure.iot.device") for a, _ in changed)
    return text


def wait_until(check, timeout=20.0, every=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(every)


@pytest.mark.parametrize("sample", ["sync_module.py", "async_module.py"])
def test_an_azure_iot_device_module_runs_unchanged_but_for_imports(hub, tmp_path, sample):
    script = tmp_path / sample
    script.write_text(ported((SAMPLES / sample).read_text()))
    env = dict(os.environ)
    for key in ("EdgeHubConnectionString", "EdgeModuleCACertificateFile"):
        env.pop(key, None)
    env.update(hub.workload_env("legacy"))
    module = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: hub.twin("legacy")["reported"].get("received") == 0)
        opts = cs_options(hub, "sender")
        with edgemodule.ModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts) as sender:
            mark = token()
            for i in range(3):
                m = edgemodule.Message(f"{mark}-{i}", custom_properties={"n": str(i)})
                sender.send_message_to_output(m, "legacy")
        wait_until(lambda: hub.twin("legacy")["reported"].get("received", 0) >= 3)
        count = hub.invoke("legacy", "get_count")
        assert count["status"] == 200 and count["payload"]["count"] >= 3
        assert hub.invoke("legacy", "nope")["status"] == 404
        greeting = token()
        hub.twin("legacy", {"greeting": greeting})
        wait_until(lambda: hub.twin("legacy")["reported"].get("greeting") == greeting)
        assert hub.invoke("legacy", "stop")["status"] == 200
        out, _ = module.communicate(timeout=20)
    finally:
        module.kill()
    assert module.returncode == 0, out
    assert "module stopped" in out
    if sample == "sync_module.py":  # handlers set before connect(): the change is reported
        assert "connection state changed; connected = True" in out


def test_received_system_properties_show_in_custom_properties_as_in_azure_iot_device(private_hub):
    """azure-iot-device leaves every bag key but six system properties (and ``$.to``,
    ``iothub-ack``) in ``custom_properties``: code reads ``$.cdid``/``$.cmid`` there. They
    are not sent again when the message is forwarded."""
    from edgemodule.compat import IoTHubModuleClient

    got = queue.Queue()
    opts = cs_options(private_hub, "receiver")
    legacy = IoTHubModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts)
    opts = cs_options(private_hub, "sender")
    with edgemodule.ModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts) as sender:
        try:
            legacy.on_message_received = got.put
            legacy.connect()
            sender.send_message_to_output(
                edgemodule.Message("hi", message_id="m1", custom_properties={"n": "1"}), "output1"
            )
            message = got.get(timeout=20)
            props = message.custom_properties
            assert props["$.cdid"] == "edge-device" and props["$.cmid"] == "sender", props
            assert props["n"] == "1"
            assert not {"$.mid", "$.cid", "$.uid", "$.ct", "$.ce", "$.exp", "$.to"} & set(props), props
            assert message.message_id == "m1" and message.input_name == "input1"
            assert message.connection_module_id == "sender"  # also an attribute, as in edgemodule
            # Forwarded, the mirrored keys are not sent as custom properties (nor are the
            # properties only the hub sets).
            _, sent_props, system = message._to_native()
            assert sent_props == {"n": "1"} and "connection_module_id" not in system
        finally:
            legacy.shutdown()
