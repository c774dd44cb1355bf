"""Starts edgemodule-hub on the standard ports (8883 MQTT, 443 HTTPS) for the official SDK.

The official clients cannot be told another port, so the suites run serially. The hub binary
comes from EDGEMODULE_HUB_BIN (set by tests/interop/run.sh) or target/debug.
"""

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = ROOT / "tests" / "interop" / "deployment.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"edgemodule-hub exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"edgemodule-hub did not listen on {port} within {timeout}s")


class Hub:
    """A running hub plus the CLI calls the tests use as the operator."""

    def __init__(self, binary: str, admin: str, state: str):
        self.binary = binary
        self.admin = admin
        self.state = state

    def cli(self, *args: str, timeout: float = 60.0) -> str:
        # The admin API needs the token in the hub's state directory.
        out = subprocess.run(
            [self.binary, *args, "--admin", self.admin],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ, EDGEMODULE_HUB_STATE=self.state),
        )
        return out.stdout

    def module_env(self, module: str) -> dict:
        env = {}
        for line in self.cli("env", module, "--format", "dotenv").splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
        return env


@pytest.fixture(scope="session")
def hub():
    binary = os.environ.get("EDGEMODULE_HUB_BIN", str(ROOT / "target" / "debug" / "edgemodule-hub"))
    admin_port = _free_port()
    with tempfile.TemporaryDirectory() as state:
        log = open(Path(state) / "hub.log", "w")
        proc = subprocess.Popen(
            [binary, "serve", "--manifest", str(MANIFEST), "--state", state,
             "--mqtt-port", "8883", "--https-port", "443", "--admin-port", str(admin_port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(8883, proc)
            _wait_for_port(admin_port, proc)
            yield Hub(binary, f"127.0.0.1:{admin_port}", state)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


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
