"""Starts edgemodule-hub on the standard ports (8883 MQTT, 443 HTTPS) for the official SDK,
with the launcher every Python suite shares (tests/support/hubproc.py) and the shared test
deployment (tests/conformance/deployment.json).

The official clients cannot be told another port, so the suites run serially. The hub binary
comes from EDGEMODULE_HUB_BIN (set by tests/interop/run.sh) or target/debug.
"""

import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))
from hubproc import Hub  # noqa: E402


@pytest.fixture(scope="session")
def hub():
    with tempfile.TemporaryDirectory() as state:
        running = Hub(Path(state), mqtt_port=8883, https_port=443).start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def module_env(hub, monkeypatch):
    """Returns a function that puts one module's IoT Edge environment into os.environ."""

    def apply(module: str) -> dict:
        env = hub.module_env(module)
        # The edge path (workload API) is what we test; drop the simulator fallback.
        for key in ("EdgeHubConnectionString", "EdgeModuleCACertificateFile"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            if key.startswith("IOTEDGE_"):
                monkeypatch.setenv(key, value)
        return env

    return apply
