"""A running edgemodule-hub for the tests: free ports, a temporary state directory,
restart on the same ports and state (S11), and the operator CLI (env, twin, invoke)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path(__file__).resolve().parent / "deployment.json"


def hub_binary() -> str:
    return os.environ.get("EDGEMODULE_HUB_BIN", str(ROOT / "target" / "debug" / "edgemodule-hub"))


def free_port() -> int:
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
            time.sleep(0.05)
    raise TimeoutError(f"edgemodule-hub did not listen on {port} within {timeout}s")


class Hub:
    """One hub process (restartable) in ``state``."""

    def __init__(self, state: Path, manifest: Path = MANIFEST) -> None:
        self.binary = hub_binary()
        self.state = state
        self.manifest = manifest
        self.mqtt_port = free_port()
        self.https_port = free_port()
        self.admin_port = free_port()
        self.admin = f"127.0.0.1:{self.admin_port}"
        self.proc: Optional[subprocess.Popen] = None
        self._env: Dict[str, Dict[str, str]] = {}

    def start(self) -> "Hub":
        log = open(self.state / "hub.log", "a")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--manifest", str(self.manifest), "--state", str(self.state),
             "--bind-address", "127.0.0.1", "--mqtt-port", str(self.mqtt_port),
             "--https-port", str(self.https_port), "--admin-port", str(self.admin_port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_for_port(self.mqtt_port, self.proc)
        _wait_for_port(self.admin_port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, down_for: float = 1.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def cli(self, *args: str, timeout: float = 60.0) -> str:
        # The admin API needs the token in the hub's state directory (EDGEMODULE_HUB_STATE).
        env = dict(os.environ, EDGEMODULE_HUB_STATE=str(self.state))
        out = subprocess.run([self.binary, *args, "--admin", self.admin], check=True,
                             capture_output=True, text=True, timeout=timeout, env=env)
        return out.stdout

    def module_env(self, module: str) -> Dict[str, str]:
        """Every variable `env` prints for ``module`` (both forms)."""
        if module not in self._env:
            env: Dict[str, str] = {}
            for line in self.cli("env", module, "--format", "dotenv").splitlines():
                if "=" in line and not line.startswith("#"):
                    key, value = line.split("=", 1)
                    env[key] = value
            self._env[module] = env
        return dict(self._env[module])

    def workload_env(self, module: str) -> Dict[str, str]:
        """The IoT Edge runtime form (IOTEDGE_* + EDGEMODULE_*_PORT)."""
        return {k: v for k, v in self.module_env(module).items()
                if k.startswith("IOTEDGE_") or k.startswith("EDGEMODULE_")}

    def simulator_env(self, module: str) -> Dict[str, str]:
        """The simulator form (EdgeHubConnectionString + EdgeModuleCACertificateFile)."""
        return {k: v for k, v in self.module_env(module).items()
                if not k.startswith("IOTEDGE_")}

    def twin(self, module: str, desired: Optional[dict] = None) -> dict:
        args: List[str] = ["twin", module]
        if desired is not None:
            args += ["--desired", json.dumps(desired)]
        return json.loads(self.cli(*args))

    def invoke(self, module: str, method: str, payload=None, timeout: int = 10) -> dict:
        return json.loads(self.cli("invoke", module, method, json.dumps(payload), "--timeout", str(timeout)))
