"""Fixtures: a hub for the session, and clients of either API behind one small adapter so
that every scenario runs against both the blocking and the asyncio client."""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import sys
import time
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import edgemodule
import edgemodule.aio

# The hub launcher all Python suites share (tests/support/hubproc.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from hubproc import Hub  # noqa: E402

WAIT = 20.0  # seconds for any single round trip


@pytest.fixture(scope="session")
def hub():
    with tempfile.TemporaryDirectory() as state:
        running = Hub(Path(state)).start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def private_hub():
    """A hub of its own (for restarts)."""
    with tempfile.TemporaryDirectory() as state:
        running = Hub(Path(state)).start()
        try:
            yield running
        finally:
            running.stop()


def cs_options(hub: Hub, module: str) -> Dict[str, Any]:
    env = hub.simulator_env(module)
    return {
        "connection_string": env["EdgeHubConnectionString"],
        "server_verification_cert": Path(env["EdgeModuleCACertificateFile"]).read_text(),
        "mqtt_port": hub.mqtt_port,
        "https_port": hub.https_port,
    }


class Api:
    """The calls a scenario makes, the same for both clients."""

    kind = ""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def handler(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        raise NotImplementedError


class SyncApi(Api):
    """Blocking client: calls run in a worker thread; handlers are plain functions."""

    kind = "sync"

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self.client, name), *args, **kwargs)

    def handler(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return fn


class AioApi(Api):
    """asyncio client: calls are awaited; handlers are coroutines on the test's loop."""

    kind = "aio"

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self.client, name)(*args, **kwargs)

    def handler(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        async def on_loop(*args: Any) -> Any:
            return fn(*args)

        return on_loop


CLASSES = {"sync": (edgemodule.ModuleClient, SyncApi), "aio": (edgemodule.aio.ModuleClient, AioApi)}


@pytest.fixture(params=["sync", "aio"])
def make_client(request, hub):
    """``await make_client(module, connect=True, hub=hub, **options)`` → an :class:`Api`."""
    client_class, api_class = CLASSES[request.param]
    made: List[Api] = []

    async def make(module: str, connect: bool = True, on_hub: Hub = None, **options: Any) -> Api:
        target = on_hub or hub
        opts = cs_options(target, module)
        opts.update(options)
        client = client_class.create_from_connection_string(opts.pop("connection_string"), **opts)
        api = api_class(client)
        made.append(api)
        if connect:
            await api.call("connect")
        return api

    make.kind = request.param  # type: ignore[attr-defined]
    yield make
    for api in made:
        if isinstance(api, SyncApi):
            api.client.shutdown()
        else:
            # The test's loop is gone: close the asyncio client the way the exit hook does.
            api.client._close_at_exit()


async def get(q: "queue.Queue[Any]", timeout: float = WAIT) -> Any:
    """The next item of a thread-safe queue, without blocking the event loop."""
    return await asyncio.to_thread(q.get, True, timeout)


async def nothing(q: "queue.Queue[Any]", timeout: float) -> bool:
    """True when nothing arrives within ``timeout``."""
    try:
        await asyncio.to_thread(q.get, True, timeout)
    except queue.Empty:
        return True
    return False


def token() -> str:
    return uuid.uuid4().hex


# -- helpers of the delivery scenarios (S14–S25) -------------------------------------------


def client(on_hub: Hub, module: str, **options: Any) -> edgemodule.ModuleClient:
    """A blocking client of ``module`` on ``on_hub`` (not connected)."""
    opts = cs_options(on_hub, module)
    opts.update(options)
    return edgemodule.ModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts)


def inspect_module(on_hub: Hub, module: str) -> Dict[str, Any]:
    """The hub's delivery counters of ``module`` (`edgemodule-hub inspect`, contract 5)."""
    seen: Dict[str, Any] = json.loads(on_hub.cli("inspect", module))
    return seen


def acks(inspection: Dict[str, Any]) -> int:
    """Every PUBACK the hub counted from the module."""
    return int(inspection["acks_in_order"]) + int(inspection["acks_out_of_order"])


def await_inspect(on_hub: Hub, module: str, what: str, check: Callable[[Dict[str, Any]], bool],
                  timeout: float = WAIT) -> Dict[str, Any]:
    """Polls ``inspect`` until ``check`` holds; fails naming ``what`` with the last counters."""
    deadline = time.monotonic() + timeout
    while True:
        seen = inspect_module(on_hub, module)
        if check(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s: {seen}")
        time.sleep(0.1)


def assert_acks_in_order(inspection: Dict[str, Any]) -> None:
    """Every PUBACK the module sent matched the hub's oldest outstanding PUBLISH."""
    assert inspection["acks_out_of_order"] == 0, f"PUBACKs out of order: {inspection}"


def numbered(prefix: str, count: int) -> List[str]:
    return [f"{prefix}{i:03d}" for i in range(count)]


def send_numbered(sender: edgemodule.ModuleClient, output: str, prefix: str, count: int) -> None:
    """Sends ``count`` messages to ``output``, one after another, body and id ``prefix000``…"""
    for message_id in numbered(prefix, count):
        sender.send_message_to_output(edgemodule.Message(message_id, message_id=message_id), output)


def call_repeatedly(on_hub: Hub, module: str, method: str, count: int) -> List[int]:
    """Calls ``method`` as the operator ``count`` times: QoS 1 PUBLISHes that arrive between
    the module's input messages, so an out-of-order PUBACK shows in ``inspect``."""
    return [int(on_hub.invoke(module, method, None, timeout=15)["status"]) for _ in range(count)]


def wait_for(what: str, check: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


class LogCapture(logging.Handler):
    """Records of the ``edgemodule`` logger (and its children) at ``level``."""

    def __init__(self, level: int) -> None:
        super().__init__(logging.NOTSET)
        self.records: List[logging.LogRecord] = []
        self.logger = logging.getLogger("edgemodule")
        self._old = self.logger.level
        self.logger.addHandler(self)
        self.logger.setLevel(level)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def matching(self, text: str, **fields: str) -> List[logging.LogRecord]:
        return [r for r in list(self.records) if r.getMessage().startswith(text)
                and all(getattr(r, k, None) == v for k, v in fields.items())]

    def close(self) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self._old)
        super().close()


@pytest.fixture
def log_capture():
    made: List[LogCapture] = []

    def make(level: int) -> LogCapture:
        capture = LogCapture(level)
        made.append(capture)
        return capture

    yield make
    for capture in made:
        capture.close()
