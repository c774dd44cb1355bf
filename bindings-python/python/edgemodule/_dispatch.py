"""Delivery of events to handlers.

Each client owns one Python ``threading.Thread`` (daemon, named ``edgemodule-<module>``)
that waits for events in native code with the GIL released and runs the handlers one at a
time, in order. A handler that returns an awaitable (a coroutine function) has it run on
the user's asyncio loop instead, in order per registration. Input messages are acknowledged
after their handler finished (and given back for redelivery if it raised); method calls are
answered from the handler's return value (500 if it raised).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import inspect
import json
import logging
import threading
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from . import _native
from .models import ConnectionState, Message, MethodRequest, MethodResponse, StatusReason, UserMessage

log = logging.getLogger("edgemodule")

INPUT, METHOD, DESIRED, STATUS, TOPIC = 0, 1, 2, 3, 4
BATCH = 64

#: Set while a coroutine handler runs (so that shutdown from inside it does not wait for itself).
in_handler: "contextvars.ContextVar[bool]" = contextvars.ContextVar("edgemodule_in_handler", default=False)


class Registration:
    """A handler for one registration id."""

    __slots__ = ("kind", "handler", "respond_on_none", "worker")

    def __init__(self, kind: int, handler: Callable[..., Any], respond_on_none: bool) -> None:
        self.kind = kind
        self.handler = handler
        #: Method handlers: answer 200 when the handler returns None (decorators) or leave
        #: the call to ``send_method_response`` (the ``on_method_request_received`` property).
        self.respond_on_none = respond_on_none
        self.worker: Optional[LoopWorker] = None


class LoopWorker:
    """Runs one registration's coroutines on the user's loop, one after another."""

    def __init__(self, dispatcher: "Dispatcher", loop: asyncio.AbstractEventLoop) -> None:
        self.dispatcher = dispatcher
        self.loop = loop
        self.queue: Deque[Tuple[Any, Any, Optional[Callable[..., None]]]] = collections.deque()
        self.task: Optional["asyncio.Task[None]"] = None

    def submit(self, awaitable: Any, arg: Any, settle: Optional[Callable[..., None]]) -> None:
        self.queue.append((awaitable, arg, settle))
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._drain())

    async def _drain(self) -> None:
        while self.queue:
            awaitable, arg, settle = self.queue.popleft()
            if self.dispatcher.closing:
                if inspect.iscoroutine(awaitable):
                    awaitable.close()
                continue
            token = in_handler.set(True)
            try:
                result = await awaitable
            except Exception as e:
                self.dispatcher.finish(arg, None, e, settle)
            else:
                self.dispatcher.finish(arg, result, None, settle)
            finally:
                in_handler.reset(token)


class Dispatcher:
    """Maps registration ids to handlers and runs them for incoming events."""

    def __init__(self, status_without_args: bool = False) -> None:
        self.lock = threading.RLock()
        self.idle = threading.Condition(self.lock)
        #: Handlers running on the delivery thread right now (0 or 1).
        self.active = 0
        self.regs: Dict[int, Registration] = {}
        self.closing = False
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.status_without_args = status_without_args
        self.pending_calls: Dict[str, Any] = {}
        self.on_background_exception: Optional[Callable[[BaseException], Any]] = None

    # -- registrations -------------------------------------------------------------
    def add(self, reg_id: int, registration: Registration) -> None:
        with self.lock:
            self.regs[reg_id] = registration

    def remove(self, reg_id: int) -> None:
        with self.lock:
            self.regs.pop(reg_id, None)

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no handler runs on the delivery thread; False on timeout."""
        with self.idle:
            return self.idle.wait_for(lambda: self.active == 0, timeout)

    def workers(self) -> List[LoopWorker]:
        with self.lock:
            return [r.worker for r in self.regs.values() if r.worker is not None]

    # -- delivery ------------------------------------------------------------------
    def dispatch(self, event: Tuple[Any, ...]) -> None:
        with self.lock:
            registration = None if self.closing else self.regs.get(event[0])
            if registration is None:
                return  # dropped: inputs are redelivered, method calls answered 500
            self.active += 1  # under the lock that `closing` is read with: shutdown waits for it
        try:
            self._deliver(registration, event)
        finally:
            with self.idle:
                self.active -= 1
                self.idle.notify_all()

    def _deliver(self, registration: Registration, event: Tuple[Any, ...]) -> None:
        kind = event[1]
        if kind == INPUT:
            message = Message._from_native(event[2], event[3])
            self._run(registration, (message,), message, self._settle_input)
        elif kind == METHOD:
            _, _, name, payload, request_id, call = event
            request = MethodRequest(request_id, name, json.loads(payload))
            request._call = call
            self.pending_calls[request_id] = call
            settle = self._method_settler(registration)
            self._run(registration, (request,), request, settle)
        elif kind == DESIRED:
            self._run(registration, (json.loads(event[2]),), None, None)
        elif kind == STATUS:
            args: Tuple[Any, ...] = (
                () if self.status_without_args else (ConnectionState(event[2]), StatusReason(event[3]))
            )
            self._run(registration, args, None, None)
        elif kind == TOPIC:
            self._run(registration, (UserMessage(event[2], event[3]),), None, None)

    def _run(
        self, registration: Registration, args: Tuple[Any, ...], arg: Any, settle: Optional[Callable[..., None]]
    ) -> None:
        try:
            result = registration.handler(*args)
        except Exception as e:
            self.finish(arg, None, e, settle)
            return
        if not inspect.isawaitable(result):
            self.finish(arg, result, None, settle)
            return
        loop = self.loop
        if loop is None or loop.is_closed():
            if inspect.iscoroutine(result):
                result.close()
            error = RuntimeError(
                "a coroutine handler needs a running asyncio loop: set it inside async code or "
                "await client.connect() first"
            )
            self.finish(arg, None, error, settle)
            return
        if registration.worker is None:
            registration.worker = LoopWorker(self, loop)
        try:
            loop.call_soon_threadsafe(registration.worker.submit, result, arg, settle)
        except RuntimeError as e:  # the loop closed meanwhile
            if inspect.iscoroutine(result):
                result.close()
            self.finish(arg, None, e, settle)

    def finish(
        self, arg: Any, result: Any, error: Optional[BaseException], settle: Optional[Callable[..., None]]
    ) -> None:
        if error is not None:
            self.report(error)
        if settle is not None:
            try:
                settle(arg, result, error)
            except Exception as e:  # settling after close, bad return value, …
                log.debug("settling a handler result failed: %s", e)

    def report(self, error: BaseException) -> None:
        log.error("an edgemodule handler raised %s: %s", type(error).__name__, error, exc_info=error)
        hook = self.on_background_exception
        if hook is not None:
            try:
                hook(error)
            except Exception:
                log.exception("on_background_exception raised")

    # -- settling ------------------------------------------------------------------
    @staticmethod
    def _settle_input(message: Message, result: Any, error: Optional[BaseException]) -> None:
        receipt = message._receipt
        if receipt is None:
            return
        if error is None:
            receipt.ack()
        else:
            receipt.abandon()

    def _method_settler(self, registration: Registration) -> Callable[..., None]:
        def settle(request: MethodRequest, result: Any, error: Optional[BaseException]) -> None:
            call = request._call
            if not call.pending():
                self.pending_calls.pop(request.request_id, None)
                return
            if error is not None:
                status, payload = 500, {"error": f"{type(error).__name__}: {error}"}
            elif result is None:
                if not registration.respond_on_none:
                    return  # answered later with send_method_response
                status, payload = 200, None
            elif isinstance(result, MethodResponse):
                status, payload = result.status, result.payload
            elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
                status, payload = result
            else:
                status, payload = 200, result
            self.pending_calls.pop(request.request_id, None)
            call.respond(int(status), json.dumps(payload))

        return settle


class DeliveryThread(threading.Thread):
    """The client's delivery thread (see the module documentation)."""

    def __init__(self, receiver: "_native.EventReceiver", dispatcher: Dispatcher, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._receiver = receiver
        self._dispatcher = dispatcher

    def run(self) -> None:
        receiver, dispatcher = self._receiver, self._dispatcher
        while True:
            try:
                batch = receiver.next_batch(BATCH)
            except BaseException as e:
                log.error("edgemodule event delivery stopped: %s", e)
                return
            if batch is None:
                return
            for event in batch:
                try:
                    dispatcher.dispatch(event)
                except Exception:
                    log.exception("edgemodule failed to deliver an event")
