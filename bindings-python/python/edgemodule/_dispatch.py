"""Calls of the application's handlers.

The core decides what is delivered when (docs/delivery.md): one item at a time per handler
registration, in arrival order, different registrations concurrently; acknowledgement when
the handler succeeded; retries of a failing input, desired-properties or topic handler; the
method failure reply. Each call arrives here as an event carrying a native ``HandlerCall``
that this module completes with the handler's result — ``ok`` or ``fail`` — and nothing
else.

Each client owns one Python ``threading.Thread`` (daemon, named ``edgemodule-<module>``)
that waits for events in native code with the GIL released and runs the status handler and
``on_background_exception``. A plain-function handler runs on its registration's own
thread (a :class:`Lane`, ``edgemodule-<module>-<family>-<name>``, started at its first
call), so a slow handler holds up only its own registration, as the core intends; a
coroutine function's coroutine runs as a task on the client's asyncio loop, and its result
completes the call from there.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import logging
import queue
import threading
import weakref
from typing import Any, Callable, Dict, Optional, Set, Tuple

from . import _logging, _native
from .errors import BackgroundError
from .models import ConnectionState, DesiredPatch, Message, MethodRequest, MethodResponse, StatusReason, UserMessage

log = logging.getLogger("edgemodule.handlers")

# Event kinds (the first item of each event tuple; bindings-python/src/events.rs).
INPUT, METHOD, DESIRED, STATUS, TOPIC, BACKGROUND, RELEASED = 0, 1, 2, 3, 4, 5, 6
BATCH = 64
#: Seconds the delivery thread waits for events before its periodic work (the log level).
IDLE_WAKE = 1.0

#: Set while a coroutine handler runs (so that shutdown from inside it does not wait for itself).
in_handler: "contextvars.ContextVar[bool]" = contextvars.ContextVar("edgemodule_in_handler", default=False)

Settle = Callable[[Any, Any], None]


class Lane:
    """The thread a plain-function handler registration runs on. The core gives it one call
    at a time, so its queue holds at most one item (plus the stop mark)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.queue: "queue.SimpleQueue[Optional[Callable[[], None]]]" = queue.SimpleQueue()
        self.thread: Optional[threading.Thread] = None

    def submit(self, work: Callable[[], None]) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self.thread.start()
        self.queue.put(work)

    def stop(self) -> None:
        """Ends the thread after the work queued before."""
        if self.thread is not None:
            self.queue.put(None)

    def join(self, timeout: float) -> None:
        thread = self.thread
        if thread is not None and thread is not threading.current_thread() and thread.is_alive():
            thread.join(timeout)

    def _run(self) -> None:
        in_handler.set(True)  # this thread's context: shutdown from a handler does not wait for it
        while True:
            work = self.queue.get()
            if work is None:
                return
            work()


class Registration:
    """A handler the core calls through registration id ``reg``."""

    __slots__ = ("family", "handler", "respond_on_none", "lane")

    def __init__(self, family: str, handler: Callable[..., Any], respond_on_none: bool = False) -> None:
        self.family = family
        self.handler = handler
        #: Method handlers: answer 200 when the handler returns None (decorators), or leave
        #: the call to ``send_method_response`` (the ``on_method_request_received`` property).
        self.respond_on_none = respond_on_none
        #: Set by the dispatcher for plain functions (coroutine functions need no thread).
        self.lane: Optional[Lane] = None


class Dispatcher:
    """Maps registration ids to handlers and runs them for incoming events."""

    def __init__(
        self,
        thread_name: str,
        status_without_args: bool = False,
        received: Optional[Callable[[Message], None]] = None,
    ) -> None:
        self.lock = threading.RLock()
        self.idle = threading.Condition(self.lock)
        #: The delivery thread's name, the prefix of the lanes' names.
        self.thread_name = thread_name
        #: Handler calls started and not yet returned (coroutine handlers: until scheduled).
        self.active = 0
        #: Every lane started, stopped when the client closes.
        self.lanes: "list[Lane]" = []
        self.regs: Dict[int, Registration] = {}
        self.closing = False
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.status_without_args = status_without_args
        #: Adjusts each received message (compat: system properties in ``custom_properties``).
        self.received = received
        self.status_handler: Optional[Callable[..., Any]] = None
        self.on_background_exception: Optional[Callable[[BaseException], Any]] = None
        #: Method calls waiting for ``send_method_response``, by request id (weak: a request
        #: released unanswered gets the core's failure reply).
        self.pending_calls: "weakref.WeakValueDictionary[str, Any]" = weakref.WeakValueDictionary()
        #: Coroutine handlers running on the loop.
        self.tasks: "Set[asyncio.Task[None]]" = set()
        #: The exception each (family, name) raised last: the cause of its HANDLER_FAILED.
        self.last_errors: Dict[Tuple[str, str], BaseException] = {}

    # -- registrations -------------------------------------------------------------
    def add(self, reg_id: int, registration: Registration, name: Optional[str] = None) -> None:
        if not inspect.iscoroutinefunction(registration.handler):
            lane = Lane(f"{self.thread_name}-{registration.family}-{name or '*'}")
            registration.lane = lane
        with self.lock:
            self.regs[reg_id] = registration
            if registration.lane is not None:
                self.lanes.append(registration.lane)

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no handler call runs; False on timeout."""
        with self.idle:
            return self.idle.wait_for(lambda: self.active == 0, timeout)

    def stop_lanes(self, timeout: float) -> None:
        """Ends every lane thread (after what it runs now) and joins them within ``timeout``."""
        with self.lock:
            lanes, self.lanes = self.lanes, []
        for lane in lanes:
            lane.stop()
        for lane in lanes:
            lane.join(timeout)

    def _done(self) -> None:
        with self.idle:
            self.active -= 1
            self.idle.notify_all()

    # -- delivery ------------------------------------------------------------------
    def dispatch(self, event: Tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == RELEASED:
            with self.lock:
                released = self.regs.pop(event[1], None)
                if released is not None and released.lane is not None:
                    released.lane.stop()
                    if released.lane in self.lanes:
                        self.lanes.remove(released.lane)
            return
        if kind == BACKGROUND:
            self._background(*event[1:])
            return
        with self.lock:
            if self.closing:
                return  # the call is released: the core gives up on it as the client closes
            registration = self.status_handler if kind == STATUS else self.regs.get(event[1])
            if registration is None:
                return
            self.active += 1  # under the lock that `closing` is read with: shutdown waits for it
        if kind != STATUS:
            assert isinstance(registration, Registration)
            lane = registration.lane
            if lane is not None:
                lane.submit(lambda: self._deliver_then_done(registration, event))
                return
        try:
            if kind == STATUS:
                self._status(event)
            else:
                assert isinstance(registration, Registration)
                self._deliver(registration, event)
        finally:
            self._done()

    def _deliver_then_done(self, registration: Registration, event: Tuple[Any, ...]) -> None:
        try:
            self._deliver(registration, event)
        except Exception:
            log.exception("edgemodule failed to deliver an event")
        finally:
            self._done()

    def _deliver(self, registration: Registration, event: Tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == INPUT:
            _, _, parts, call = event
            message = Message._from_native(parts)
            if self.received is not None:
                self.received(message)
            self._run(registration.handler, (message,), call, _settle_unit, ("input", message.input_name or ""))
        elif kind == METHOD:
            _, _, name, payload, request_id, call = event
            request = MethodRequest(request_id, name, json.loads(payload))
            request._call = call
            self.pending_calls[request_id] = call
            self._run(
                registration.handler, (request,), call, self._method_settler(registration, name), ("method", name)
            )
        elif kind == DESIRED:
            _, _, text, full, call = event
            patch = DesiredPatch(json.loads(text))
            patch.full = full
            self._run(registration.handler, (patch,), call, _settle_unit, ("desired", ""))
        elif kind == TOPIC:
            _, _, topic, payload, call = event
            self._run(registration.handler, (UserMessage(topic, payload),), call, _settle_unit, ("topic", topic))

    def _status(self, event: Tuple[Any, ...]) -> None:
        handler = self.status_handler
        if handler is None:
            return
        args: Tuple[Any, ...] = () if self.status_without_args else (ConnectionState(event[1]), StatusReason(event[2]))
        try:
            result = handler(*args)
        except Exception as e:
            self._status_failed(e)
            return
        if inspect.isawaitable(result):
            self._on_loop(result, None, None, ("status", ""))

    def _run(
        self,
        handler: Callable[..., Any],
        args: Tuple[Any, ...],
        call: Any,
        settle: Settle,
        key: Tuple[str, str],
    ) -> None:
        try:
            result = handler(*args)
        except Exception as e:
            self.failed(call, key, e)
            return
        if inspect.isawaitable(result):
            self._on_loop(result, call, settle, key)
        else:
            self._settle(call, settle, result, key)

    def _on_loop(self, awaitable: Any, call: Any, settle: Optional[Settle], key: Tuple[str, str]) -> None:
        """Runs a coroutine handler's awaitable as a task on the client's loop."""
        loop = self.loop
        try:
            if loop is None or loop.is_closed():
                raise RuntimeError(
                    "a coroutine handler needs a running asyncio loop: set it inside async code or "
                    "await client.connect() first"
                )
            loop.call_soon_threadsafe(self._start_task, awaitable, call, settle, key)
        except RuntimeError as e:  # no loop, or it closed meanwhile
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            self.failed(call, key, e)

    def _start_task(self, awaitable: Any, call: Any, settle: Optional[Settle], key: Tuple[str, str]) -> None:
        loop = self.loop
        if self.closing or loop is None:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            return
        task = loop.create_task(self._await(awaitable, call, settle, key))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _await(self, awaitable: Any, call: Any, settle: Optional[Settle], key: Tuple[str, str]) -> None:
        in_handler.set(True)
        try:
            result = await awaitable
        except asyncio.CancelledError:
            if call is not None:
                call.fail("the handler's task was cancelled")
            raise
        except Exception as e:
            if call is not None:
                self.failed(call, key, e)
            elif key[0] == "status":
                self._status_failed(e)
            else:
                log.exception("on_background_exception raised")
            return
        if call is not None and settle is not None:
            self._settle(call, settle, result, key)

    def _settle(self, call: Any, settle: Settle, result: Any, key: Tuple[str, str]) -> None:
        try:
            settle(call, result)
        except Exception as e:  # an answer that cannot be sent (a payload that is not JSON, …)
            self.failed(call, key, e)
            return
        if self.last_errors:  # succeeded on a later call: an earlier exception is no cause
            self.last_errors.pop(key, None)

    def failed(self, call: Any, key: Tuple[str, str], error: BaseException) -> None:
        """A handler raised: the core decides what follows (retry, failure reply)."""
        self.last_errors[key] = error
        log.debug("the %s handler %r raised %s: %s", key[0], key[1], type(error).__name__, error, exc_info=error)
        call.fail(f"{type(error).__name__}: {error}")

    def _method_settler(self, registration: Registration, name: str) -> Settle:
        def settle(call: Any, result: Any) -> None:
            if not call.pending():
                return  # answered with send_method_response
            if result is None:
                if not registration.respond_on_none:
                    return  # answered later with send_method_response, or released unanswered
                status, payload = 200, None
            elif isinstance(result, MethodResponse):
                status, payload = result.status, result.payload
            elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
                status, payload = result
            else:
                status, payload = 200, result
            call.ok(int(status), json.dumps(payload))

        return settle

    # -- background errors -----------------------------------------------------------
    def _background(self, kind: str, family: str, name: str, message: str) -> None:
        error = BackgroundError(kind, family, name, message)
        if kind == "HANDLER_FAILED":
            error.__cause__ = self.last_errors.pop((family, name), None)
        self.report(error)

    def _status_failed(self, error: Exception) -> None:
        wrapped = BackgroundError(
            "HANDLER_FAILED", "status", "", f"the connection-state handler raised {type(error).__name__}: {error}"
        )
        wrapped.__cause__ = error
        log.warning("%s", wrapped, exc_info=error)
        self.report(wrapped)

    def report(self, error: BaseException) -> None:
        """Passes ``error`` to ``on_background_exception`` (when set and not closing)."""
        hook = self.on_background_exception
        if hook is None or self.closing:
            return
        try:
            result = hook(error)
            if inspect.isawaitable(result):
                self._on_loop(result, None, None, ("background", ""))
        except Exception:
            log.exception("on_background_exception raised")


def _settle_unit(call: Any, result: Any) -> None:
    call.ok()


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
                batch = receiver.next_batch(BATCH, IDLE_WAKE)
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
            _logging.refresh_if_due()
