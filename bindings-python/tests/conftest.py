"""Fixtures: a hub for the session, and clients of either API behind one small adapter so
that every scenario runs against both the blocking and the asyncio client."""

from __future__ import annotations

import asyncio
import queue
import sys
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
