"""The blocking client, :class:`edgemodule.ModuleClient`."""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, Iterable, Optional, Tuple, Union

from . import _native
from ._base import HANDLER_WAIT, ClientBase
from ._dispatch import Registration, in_handler
from .errors import EdgeModuleError
from .models import Message, MethodResponse

MessageLike = Union[Message, str, bytes]


class Subscription:
    """A user-topic subscription; ``unsubscribe()`` ends it."""

    def __init__(self, client: ClientBase, reg_id: int, topic_filter: str) -> None:
        self._client = client
        self._reg_id = reg_id
        #: The topic filter.
        self.topic_filter = topic_filter

    def unsubscribe(self) -> None:
        """Stops delivering messages of this subscription; returns once the hub confirmed
        the UNSUBSCRIBE (at once when another subscription still uses the filter)."""
        self._client._native.unsubscribe(self._reg_id).wait()

    def __repr__(self) -> str:
        return f"Subscription({self.topic_filter!r})"


def subscribe_native(client: ClientBase, topic_filter: str, handler: Callable[..., Any]) -> Tuple[int, "_native.Op"]:
    """Registers ``handler`` for ``topic_filter`` with the core: the registration id and the
    op of the SUBACK."""
    if not callable(handler):
        raise TypeError("a handler must be callable")
    client._check_open()
    client._bind_loop()
    with client._dispatcher.lock:  # no message of the id is dispatched before it is known
        reg_id, op = client._native.subscribe(topic_filter)
        client._dispatcher.add(reg_id, Registration("topic", handler), topic_filter)
    return reg_id, op


class ModuleClient(ClientBase):
    """An Azure IoT Edge module client with a blocking API.

    Every call blocks until the hub answered, with the GIL released (other threads run) and
    Ctrl-C honoured. Handlers run on the client's delivery thread (``edgemodule-<module>``).
    Create it with :meth:`create_from_edge_environment` or
    :meth:`create_from_connection_string`; use it as a context manager or call
    :meth:`shutdown`.
    """

    def _wait(self, op: "_native.Op") -> Any:
        self._check_open()
        return op.wait()

    def _confirm(self, op: "_native.Op") -> None:
        # Setting a handler returns once the hub confirmed its subscription (at once before
        # the client connects: connect() subscribes everything registered).
        op.wait()

    def connect(self) -> None:
        """Connects; returns once connected and every registered handler's subscription
        is confirmed. Optional: every operation connects on demand."""
        self._wait(self._native.connect())

    def disconnect(self) -> None:
        """Same as :meth:`shutdown` (edgemodule clients are not reopened after closing)."""
        self.shutdown()

    def shutdown(self) -> None:
        """Closes the client: no handler starts any more; a running handler may finish
        (up to 10 s, unless this is called from it); then operations still in flight fail
        with ``ClosedError``. No handler runs afterwards. Idempotent."""
        if self._forked:
            return
        first = self._begin_close()
        if self._thread is not threading.current_thread() and not in_handler.get():
            self._dispatcher.wait_idle(HANDLER_WAIT)
        if first:
            try:
                self._native.close().wait()
            except EdgeModuleError:
                pass
        self._join_thread(HANDLER_WAIT)

    def send_message_to_output(self, message: MessageLike, output_name: str) -> None:
        """Sends ``message`` to output ``output_name``; returns on the hub's acknowledgement."""
        self._wait(self._native.send_output(output_name, self._message(message)))

    def send_message(self, message: MessageLike) -> None:
        """Sends ``message`` as module telemetry (no output name)."""
        self._wait(self._native.send_event(self._message(message)))

    def send_messages_to_output(self, messages: Iterable[MessageLike], output_name: str) -> None:
        """Sends several messages to ``output_name``, pipelined; returns when all were
        acknowledged (raises the first error)."""
        self._wait(self._native.send_output_batch(output_name, [self._message(m) for m in messages]))

    def get_twin(self) -> Dict[str, Any]:
        """The module twin: ``{"desired": {..., "$version": n}, "reported": {...}}``."""
        twin: Dict[str, Any] = json.loads(self._wait(self._native.get_twin()))
        return twin

    def patch_twin_reported_properties(self, reported_properties_patch: Dict[str, Any]) -> None:
        """Merges ``reported_properties_patch`` into the reported properties."""
        self._wait(self._native.patch_reported(json.dumps(reported_properties_patch)))

    def invoke_method(
        self, method_params: Dict[str, Any], device_id: str, module_id: Optional[str] = None
    ) -> Dict[str, Any]:
        """Calls a direct method on another module (or a device). ``method_params``:
        ``methodName``, ``payload``, ``responseTimeoutInSeconds``, ``connectTimeoutInSeconds``.
        Returns ``{"status": int, "payload": ...}``."""
        response: Dict[str, Any] = json.loads(
            self._wait(self._native.invoke_method(*self._invoke_args(method_params, device_id, module_id)))
        )
        return response

    def send_method_response(self, method_response: MethodResponse) -> None:
        """Answers a method call received by ``on_method_request_received`` (the core sends
        the answer; this returns at once)."""
        self._check_open()
        self._answer(method_response)

    def publish(self, topic: str, payload: Union[str, bytes], qos: int = 1) -> None:
        """Publishes ``payload`` to a user-defined topic (QoS 0 or 1)."""
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        self._wait(self._native.publish(topic, data, qos))

    def subscribe(self, topic_filter: str, handler: Callable[..., Any]) -> Subscription:
        """Subscribes to a user-defined topic filter; ``handler(UserMessage)`` runs for every
        message (one at a time; acknowledged when it returns, retried when it raises).
        Returns once the hub accepted the subscription."""
        reg_id, op = subscribe_native(self, topic_filter, handler)
        self._wait(op)
        return Subscription(self, reg_id, topic_filter)

    def __enter__(self) -> "ModuleClient":
        self.connect()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
