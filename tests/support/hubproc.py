"""One edgemodule-hub process for Python tests (the binding's suite and the interop suite).

The launcher contract (tests/conformance/README.md): start with ``--bind-address 127.0.0.1``
and ports 0 unless told otherwise, wait for the ``edgemodule-hub ready:`` line on stdout and
take the real addresses from it (no polling for free ports), restart on the addresses of
the first start (S11), and give every CLI call ``--admin ADDR`` and
``EDGEMODULE_HUB_STATE=<state dir>``. The manifest is tests/conformance/deployment.json.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "tests" / "conformance" / "deployment.json"
READY = "edgemodule-hub ready:"
START_TIMEOUT = 30.0


def hub_binary() -> str:
    return os.environ.get("EDGEMODULE_HUB_BIN", str(ROOT / "target" / "debug" / "edgemodule-hub"))


def parse_ready(line: str) -> Dict[str, str]:
    """The ``key=value`` pairs of a ready line; keys this code does not know are kept too."""
    if not line.startswith(READY):
        raise ValueError(f"not a ready line: {line!r}")
    pairs = {}
    for word in line[len(READY):].split():
        key, sep, value = word.partition("=")
        if sep:
            pairs[key] = value
    return pairs


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def _read_ready_line(proc: subprocess.Popen, log: Path, timeout: float) -> str:
    """Reads the hub's stdout until the ready line; fails when the hub exits or stays silent."""
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    pending = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"edgemodule-hub printed no ready line within {timeout}s; see {log}")
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            proc.wait(timeout=10)
            raise RuntimeError(f"edgemodule-hub exited with {proc.returncode} before it was ready; see {log}:\n"
                               + _tail(log))
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            text = line.decode("utf-8", errors="replace").strip()
            if text.startswith(READY):
                return text


def _drain(stream) -> None:
    """Keeps reading stdout after the ready line so the hub can never block on it."""
    try:
        while stream.read(4096):
            pass
    except (OSError, ValueError):
        pass


def _tail(log: Path, size: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-size:]
    except OSError:
        return ""


class Hub:
    """One hub (restartable) serving ``manifest`` from the state directory ``state``.

    Ports default to 0 (the hub picks them); after the first start they are the real ones,
    so a later :meth:`start` comes back on the same addresses.
    """

    def __init__(self, state: Path, manifest: Path = MANIFEST, *, mqtt_port: int = 0, https_port: int = 0,
                 admin_port: int = 0, bind_address: str = "127.0.0.1",
                 log_level: Optional[str] = None) -> None:
        self.binary = hub_binary()
        self.state = Path(state).resolve()
        self.manifest = Path(manifest).resolve()
        self.bind_address = bind_address
        self.mqtt_port = mqtt_port
        self.https_port = https_port
        self.admin_port = admin_port
        self.log_level = log_level or os.environ.get("EDGEMODULE_HUB_LOG", "info")
        self.log = self.state / "hub.log"
        self.ready: Dict[str, str] = {}
        self.proc: Optional[subprocess.Popen] = None
        self._env: Dict[str, Dict[str, str]] = {}

    @property
    def admin(self) -> str:
        return self.ready["admin"]

    def start(self) -> "Hub":
        self.state.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--manifest", str(self.manifest), "--state", str(self.state),
                 "--bind-address", self.bind_address, "--mqtt-port", str(self.mqtt_port),
                 "--https-port", str(self.https_port), "--admin-port", str(self.admin_port),
                 "--log-level", self.log_level],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
            )
        try:
            self.ready = parse_ready(_read_ready_line(self.proc, self.log, START_TIMEOUT))
        except BaseException:
            self.stop()
            raise
        threading.Thread(target=_drain, args=(self.proc.stdout,), daemon=True).start()
        self.mqtt_port = port_of(self.ready["mqtt"])
        self.https_port = port_of(self.ready["https"])
        self.admin_port = port_of(self.ready["admin"])
        return self

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def restart(self, down_for: float = 1.0) -> None:
        """Stops the hub and starts it again on the same addresses and state (S11)."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def cli(self, *args: str, timeout: float = 60.0) -> str:
        env = dict(os.environ, EDGEMODULE_HUB_STATE=str(self.state))
        out = subprocess.run([self.binary, *args, "--admin", self.admin], check=True, capture_output=True,
                             text=True, timeout=timeout, env=env)
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
