"""The asyncio client, :class:`edgemodule.aio.ModuleClient`: the same names as the blocking
client, as coroutines. Operations complete on the caller's event loop (no extra thread);
coroutine handlers run on the loop that was running when they were set (or that awaited
``connect``)."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import weakref
from typing import Any, Callable, Dict, Iterable, Optional, Union

from . import _native
from ._base import HANDLER_WAIT, ClientBase
from ._dispatch import in_handler
from ._sync import MessageLike, Subscription, subscribe_native
from .errors import EdgeModuleError
from .models import MethodResponse

__all__ = ["ModuleClient", "Subscription"]


def _cancel_if_cancelled(op: "_native.Op", future: "asyncio.Future[Any]") -> None:
    if future.cancelled():
        op.cancel()


class _Port:
    """One completion port per event loop: results of native operations arrive through a
    socket the loop watches, and are turned into future results on the loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.port = _native.CompletionPort()
        self.pending: Dict[int, "asyncio.Future[Any]"] = {}
        self.tokens = itertools.count(1)
        loop.add_reader(self.port.fileno(), self._drain)

    def _drain(self) -> None:
        pending = self.pending
        for token, ok, value in self.port.drain():
            future = pending.pop(token, None)
            if future is None or future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def wait(self, op: "_native.Op") -> "asyncio.Future[Any]":
        token = next(self.tokens)
        future = self.loop.create_future()
        self.pending[token] = future
        op.bind(self.port, token)
        future.add_done_callback(functools.partial(_cancel_if_cancelled, op))
        return future


_ports: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Port]" = weakref.WeakKeyDictionary()


def _port(loop: asyncio.AbstractEventLoop) -> _Port:
    port = _ports.get(loop)
    if port is None:
        port = _ports[loop] = _Port(loop)
    return port


class ModuleClient(ClientBase):
    """An Azure IoT Edge module client for asyncio.

    ``create_from_edge_environment()`` / ``create_from_connection_string()`` are plain
    class methods (as in azure-iot-device); everything that talks to the hub is a coroutine.
    Use ``async with`` or ``await client.shutdown()``.
    """

    def _bind_loop(self) -> None:
        try:
            self._dispatcher.loop = asyncio.get_running_loop()
        except RuntimeError:
            pass

    def _await(self, op: "_native.Op") -> "asyncio.Future[Any]":
        self._check_open()
        loop = asyncio.get_running_loop()
        if self._dispatcher.loop is not loop:
            self._dispatcher.loop = loop
        return _port(loop).wait(op)

    async def connect(self) -> None:
        """Connects; returns once connected and subscribed (optional: operations connect
        on demand)."""
        await self._await(self._native.connect())

    async def disconnect(self) -> None:
        """Same as :meth:`shutdown` (edgemodule clients are not reopened after closing)."""
        await self.shutdown()

    async def shutdown(self) -> None:
        """Closes the client: no handler starts any more; running handlers may finish (up
        to 10 s, unless this is called from one); then operations still in flight fail with
        ``ClosedError``. No handler runs afterwards. Idempotent."""
        if self._forked:
            return
        first = self._begin_close()
        inside = in_handler.get()
        loop = asyncio.get_running_loop()
        if not inside:
            current = asyncio.current_task()
            running = [t for t in self._dispatcher.tasks if not t.done() and t is not current]
            if running:
                await asyncio.wait(running, timeout=HANDLER_WAIT)
            await loop.run_in_executor(None, self._dispatcher.wait_idle, HANDLER_WAIT)
        if first:
            try:
                await self._await(self._native.close())
            except EdgeModuleError:
                pass
        if inside:
            self._dispatcher.stop_lanes(0.0)  # they end after their current call
        else:
            await loop.run_in_executor(None, self._join_thread, HANDLER_WAIT)

    async def send_message_to_output(self, message: MessageLike, output_name: str) -> None:
        """Sends ``message`` to output ``output_name``; resolves on the hub's acknowledgement."""
        await self._await(self._native.send_output(output_name, self._message(message)))

    async def send_message(self, message: MessageLike) -> None:
        """Sends ``message`` as module telemetry (no output name)."""
        await self._await(self._native.send_event(self._message(message)))

    async def send_messages_to_output(self, messages: Iterable[MessageLike], output_name: str) -> None:
        """Sends several messages to ``output_name``, pipelined; resolves when all were
        acknowledged (raises the first error)."""
        await self._await(self._native.send_output_batch(output_name, [self._message(m) for m in messages]))

    async def get_twin(self) -> Dict[str, Any]:
        """The module twin: ``{"desired": {..., "$version": n}, "reported": {...}}``."""
        twin: Dict[str, Any] = json.loads(await self._await(self._native.get_twin()))
        return twin

    async def patch_twin_reported_properties(self, reported_properties_patch: Dict[str, Any]) -> None:
        """Merges ``reported_properties_patch`` into the reported properties."""
        await self._await(self._native.patch_reported(json.dumps(reported_properties_patch)))

    async def invoke_method(
        self, method_params: Dict[str, Any], device_id: str, module_id: Optional[str] = None
    ) -> Dict[str, Any]:
        """Calls a direct method on another module (or a device); returns
        ``{"status": int, "payload": ...}``."""
        op = self._native.invoke_method(*self._invoke_args(method_params, device_id, module_id))
        response: Dict[str, Any] = json.loads(await self._await(op))
        return response

    async def send_method_response(self, method_response: MethodResponse) -> None:
        """Answers a method call received by ``on_method_request_received`` (the core sends
        the answer)."""
        self._check_open()
        self._answer(method_response)

    async def publish(self, topic: str, payload: Union[str, bytes], qos: int = 1) -> None:
        """Publishes ``payload`` to a user-defined topic (QoS 0 or 1)."""
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        await self._await(self._native.publish(topic, data, qos))

    async def subscribe(self, topic_filter: str, handler: Callable[..., Any]) -> Subscription:
        """Subscribes to a user-defined topic filter; ``handler(UserMessage)`` (function or
        coroutine) runs for every message. Resolves once the hub accepted it."""
        reg_id, op = subscribe_native(self, topic_filter, handler)
        await self._await(op)
        return Subscription(self, reg_id, topic_filter)

    async def __aenter__(self) -> "ModuleClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.shutdown()
