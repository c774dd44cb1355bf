"""examples/python/filter behaves like the Rust filter: forwards hot readings, reports the
threshold, answers reset, follows desired-property changes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time

import edgemodule
from conftest import cs_options, token
from hubproc import ROOT
from test_compat import wait_until

FILTER = ROOT / "examples" / "python" / "filter" / "main.py"


def test_python_filter_example(hub):
    env = dict(os.environ)
    env.update(hub.workload_env("filter"))
    module = subprocess.Popen([sys.executable, str(FILTER)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    opts_r, opts_s = cs_options(hub, "receiver"), cs_options(hub, "sender")
    receiver = edgemodule.ModuleClient.create_from_connection_string(opts_r.pop("connection_string"), **opts_r)
    sender = edgemodule.ModuleClient.create_from_connection_string(opts_s.pop("connection_string"), **opts_s)
    try:
        assert module.stdout.readline().startswith("filter: connected as edge-device/filter, threshold 25")
        wait_until(lambda: hub.twin("filter")["reported"].get("TemperatureThreshold") == 25)
        hub.invoke("filter", "reset")  # start counting from zero
        got = queue.Queue()
        receiver.on_input("filtered")(got.put)
        receiver.connect()
        mark = token()
        readings = [20.0, 22.5, 25.0, 27.5, 30.0, 32.5]
        for t in readings:
            sender.send_message_to_output(edgemodule.Message({"temperature": t, "mark": mark}), "readings")
        sender.send_message_to_output(edgemodule.Message("not json"), "readings")
        forwarded = []
        while len(forwarded) < 3:
            body = json.loads(got.get(timeout=20).data)
            if body.get("mark") == mark:
                forwarded.append(body["temperature"])
        assert sorted(forwarded) == [27.5, 30.0, 32.5]
        reset = hub.invoke("filter", "reset")
        assert reset == {"status": 200, "payload": {"reset": True, "forwarded": 3}}
        hub.twin("filter", {"TemperatureThreshold": 30})
        wait_until(lambda: hub.twin("filter")["reported"].get("TemperatureThreshold") == 30)
        mark2 = token()
        for t in readings:
            sender.send_message_to_output(edgemodule.Message({"temperature": t, "mark": mark2}), "readings")
        body = json.loads(got.get(timeout=20).data)
        while body.get("mark") != mark2:
            body = json.loads(got.get(timeout=20).data)
        assert body["temperature"] == 32.5
        module.terminate()
        out, _ = module.communicate(timeout=20)
        assert "filter: stopping" in out, out
        assert module.returncode == 0, out
    finally:
        module.kill()
        receiver.shutdown()
        sender.shutdown()
        hub.twin("filter", {"TemperatureThreshold": 25})
