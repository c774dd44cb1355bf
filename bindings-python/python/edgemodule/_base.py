"""What the blocking and the asyncio clients share: creation, options, handler
registration (properties and decorators), the delivery thread and exit handling."""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

from . import _logging, _native, _runtime
from ._dispatch import DeliveryThread, Dispatcher, Registration
from .errors import ConfigError, InvalidArgumentError
from .models import ConnectionState, Message, MethodResponse, StatusReason

F = TypeVar("F", bound=Callable[..., Any])

#: Seconds a shutdown waits for a running handler to return.
HANDLER_WAIT = 10.0

_ACCEPTED_NO_OP = {"auto_connect", "ensure_desired_properties"}  # always on here
_UNSUPPORTED = ("websockets", "gateway_hostname", "cipher", "proxy_options")


def native_options(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The keyword arguments for the native client: azure-iot-device's names translated,
    every other name passed on (the core checks names and values; ``_native`` converts
    seconds to the core's units)."""
    options: Dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "server_verification_cert":
            options["trust_bundle_pem"] = value
        elif key == "sastoken_ttl":
            options["sas_ttl"] = value
        elif key == "connection_retry":
            if not value:  # no automatic reconnect: give up at the first failure
                options["retry_give_up_after_ms"] = 1
        elif key == "connection_retry_interval":
            options["retry_initial_delay"] = options["retry_max_delay"] = value
        elif key in _ACCEPTED_NO_OP:
            continue
        elif key in _UNSUPPORTED:
            if value:
                raise InvalidArgumentError(f"{key} is not supported by edgemodule (MQTT over TLS to edgeHub only)")
        else:
            options[key] = value
    return options


class HandlerProperty:
    """A handler property such as ``on_message_received``: setting it registers the handler
    with the core (``None`` removes it)."""

    def __init__(self, key: Tuple[str, Optional[str]], doc: str) -> None:
        self.key = key
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, client: Any, owner: type = None) -> Any:  # type: ignore[assignment]
        if client is None:
            return self
        return client._handlers.get(self.key)

    def __set__(self, client: Any, handler: Optional[Callable[..., Any]]) -> None:
        client._register(self.key, handler, respond_on_none=False)


class ClientBase:
    """Base of :class:`edgemodule.ModuleClient` and :class:`edgemodule.aio.ModuleClient`."""

    #: azure-iot-device calls the status handler without arguments; ours passes (state, reason).
    _status_without_args = False
    #: Adjusts every received message before its handler sees it (compat).
    _received: Optional[Callable[[Message], None]] = None

    on_message_received = HandlerProperty(
        ("input", None), "Handler for messages on every input without its own handler: ``handler(message)``."
    )
    on_method_request_received = HandlerProperty(
        ("method", None),
        "Handler for calls of every method without its own handler: ``handler(request)``; "
        "return a MethodResponse or answer with ``send_method_response``.",
    )
    on_twin_desired_properties_patch_received = HandlerProperty(
        ("desired", None), "Handler for desired-property patches: ``handler(patch: dict)`` (with ``$version``)."
    )
    on_connection_state_change = HandlerProperty(
        ("status", None), "Handler for connection changes: ``handler(state, reason)``."
    )

    def __init__(self, native: "_native.Client") -> None:
        self._native = native
        name = f"edgemodule-{native.module_id}"
        self._dispatcher = Dispatcher(name, self._status_without_args, type(self)._received)
        self._handlers: Dict[Tuple[str, Optional[str]], Callable[..., Any]] = {}
        self._lock = threading.RLock()
        self._closed = False
        self._forked = False
        self._thread = DeliveryThread(native.events(), self._dispatcher, name)
        self._thread.start()
        _runtime.register(self)

    # -- creation ------------------------------------------------------------------
    @classmethod
    def _create(cls, make: Callable[[Dict[str, Any]], "_native.Client"], kwargs: Dict[str, Any]) -> Any:
        options = native_options(kwargs)
        _logging.install()  # records from the creation on go to `logging`
        return cls(make(options))

    @classmethod
    def create_from_edge_environment(cls, **kwargs: Any) -> Any:
        """A client for the module IoT Edge started (``IOTEDGE_*`` variables, or
        ``EdgeHubConnectionString`` + ``EdgeModuleCACertificateFile`` when debugging).
        Keyword arguments: the options (docs/python.md)."""
        return cls._create(_native.Client.from_environment, kwargs)

    @classmethod
    def create_from_connection_string(cls, connection_string: str, **kwargs: Any) -> Any:
        """A client for a module connection string; the gateway's CA certificate as
        ``server_verification_cert`` (PEM text) or ``trust_bundle_file``, else the file
        ``EdgeModuleCACertificateFile`` names."""
        return cls._create(lambda options: _native.Client.from_connection_string(connection_string, options), kwargs)

    @classmethod
    def create_from_sastoken(cls, sastoken: str, **kwargs: Any) -> Any:
        """Not supported: edgemodule signs and renews its own tokens."""
        raise InvalidArgumentError(
            "create_from_sastoken is not supported; use a connection string or the edge environment"
        )

    @classmethod
    def create_from_x509_certificate(
        cls, x509: Any, hostname: str, device_id: str, module_id: str, **kwargs: Any
    ) -> Any:
        """Not supported: edgeHub module clients authenticate with SAS tokens."""
        raise InvalidArgumentError(
            "X.509 authentication is not supported; use a connection string or the edge environment"
        )

    # -- identity and status -------------------------------------------------------
    @property
    def device_id(self) -> str:
        """The device id."""
        return self._native.device_id

    @property
    def module_id(self) -> str:
        """The module id."""
        return self._native.module_id

    @property
    def connection_status(self) -> Tuple[ConnectionState, StatusReason]:
        """The current ``(state, reason)``."""
        state, reason = self._native.status()
        return ConnectionState(state), StatusReason(reason)

    @property
    def connected(self) -> bool:
        """True while connected."""
        return self._native.status()[0] == "CONNECTED"

    @property
    def on_background_exception(self) -> Optional[Callable[[BaseException], Any]]:
        """Called with a :class:`~edgemodule.errors.BackgroundError` for what goes wrong
        where no call can raise it: a handler that failed for good (its last exception is the
        ``__cause__``), a message or method call nothing handles, a handler slower than
        edgeHub's 30 s acknowledgement timeout, a connection-state handler that raised."""
        return self._dispatcher.on_background_exception

    @on_background_exception.setter
    def on_background_exception(self, handler: Optional[Callable[[BaseException], Any]]) -> None:
        if handler is not None and not callable(handler):
            raise TypeError("a handler must be callable or None")
        self._bind_loop()
        self._dispatcher.on_background_exception = handler

    # -- handlers ------------------------------------------------------------------
    def on_input(self, input_name: str) -> Callable[[F], F]:
        """Decorator: ``handler(message)`` for messages on ``input_name`` (the core's rules:
        one at a time, in order; acknowledged when the handler returns; retried when it
        raises)."""
        self._check_name(input_name)

        def register(handler: F) -> F:
            self._register(("input", input_name), handler, respond_on_none=False)
            return handler

        return register

    def on_method(self, method_name: str) -> Callable[[F], F]:
        """Decorator: ``handler(request)`` for calls of ``method_name``. Return a
        :class:`MethodResponse`, a ``(status, payload)`` tuple or a payload (status 200);
        raising answers the core's failure reply (500)."""
        self._check_name(method_name)

        def register(handler: F) -> F:
            self._register(("method", method_name), handler, respond_on_none=True)
            return handler

        return register

    def set_input_handler(self, input_name: str, handler: Optional[Callable[..., Any]]) -> None:
        """Sets (or with ``None`` removes) the handler of one input."""
        self._check_name(input_name)
        self._register(("input", input_name), handler, respond_on_none=False)

    def set_method_handler(self, method_name: str, handler: Optional[Callable[..., Any]]) -> None:
        """Sets (or with ``None`` removes) the handler of one method."""
        self._check_name(method_name)
        self._register(("method", method_name), handler, respond_on_none=True)

    @staticmethod
    def _check_name(name: str) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("a name must be a non-empty string")

    def _bind_loop(self) -> None:
        """The asyncio client records the running loop (coroutine handlers run there)."""

    def _confirm(self, op: "_native.Op") -> None:
        """What to do with a registration's subscription op (the clients differ)."""

    def _register(
        self, key: Tuple[str, Optional[str]], handler: Optional[Callable[..., Any]], respond_on_none: bool
    ) -> None:
        if handler is not None and not callable(handler):
            raise TypeError("a handler must be callable or None")
        self._check_open()
        self._bind_loop()
        family, name = key
        if family == "status":
            self._dispatcher.status_handler = handler
            self._set_known(key, handler)
            return
        native = self._native
        with self._lock:
            if handler is None:
                if self._handlers.pop(key, None) is not None:
                    if family == "input":
                        native.clear_input_handler(name)
                    elif family == "method":
                        native.clear_method_handler(name)
                    else:
                        native.clear_desired_handler()
                return
            with self._dispatcher.lock:  # no event of the id is dispatched before it is known
                if family == "input":
                    reg_id, op = native.set_input_handler(name)
                elif family == "method":
                    reg_id, op = native.set_method_handler(name)
                else:
                    reg_id, op = native.set_desired_handler()
                self._dispatcher.add(reg_id, Registration(family, handler, respond_on_none), name)
            self._handlers[key] = handler
        self._confirm(op)

    def _set_known(self, key: Tuple[str, Optional[str]], handler: Optional[Callable[..., Any]]) -> None:
        if handler is None:
            self._handlers.pop(key, None)
        else:
            self._handlers[key] = handler

    # -- lifecycle helpers ---------------------------------------------------------
    def _check_open(self) -> None:
        if self._forked:
            raise ConfigError(
                "this edgemodule client was created before fork(); it cannot be used in the child "
                "process (create clients after fork, or use the 'spawn'/'forkserver' start method)"
            )

    def _begin_close(self) -> bool:
        """Marks the client closed (no handler starts afterwards); False if it already was."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
        with self._dispatcher.lock:
            self._dispatcher.closing = True
        return True

    def _join_thread(self, timeout: float) -> None:
        """Ends the handler threads (lanes) and joins them and the delivery thread."""
        self._dispatcher.stop_lanes(timeout)
        thread = self._thread
        if thread is not threading.current_thread() and thread.is_alive():
            thread.join(timeout)

    def _close_at_exit(self) -> None:
        if self._forked:
            return
        if self._begin_close():
            try:
                self._native.close().wait()
            except BaseException:
                pass
        self._join_thread(2.0)

    # -- conversions ---------------------------------------------------------------
    @staticmethod
    def _message(message: Any) -> Any:
        if isinstance(message, Message):
            return message._to_send()
        return Message(message)._to_send()

    @staticmethod
    def _invoke_args(method_params: Dict[str, Any], device_id: str, module_id: Optional[str]) -> Tuple[Any, ...]:
        if not isinstance(method_params, dict) or "methodName" not in method_params:
            raise InvalidArgumentError("method_params must be a dict with at least 'methodName'")
        return (
            device_id,
            module_id,
            method_params["methodName"],
            json.dumps(method_params.get("payload")),
            float(method_params.get("responseTimeoutInSeconds") or 30),
            float(method_params.get("connectTimeoutInSeconds") or 0),
        )

    def _answer(self, method_response: MethodResponse) -> None:
        """Completes the call ``method_response`` answers (``send_method_response``); the
        core sends the answer."""
        payload = json.dumps(method_response.payload)
        call = self._dispatcher.pending_calls.pop(method_response.request_id, None)
        if call is None or not call.pending():
            raise InvalidArgumentError(
                f"no method call {method_response.request_id!r} is waiting for an answer "
                "(unknown, already answered, or its request object was released)"
            )
        call.ok(int(method_response.status), payload)

    def __repr__(self) -> str:
        state = "closed" if self._closed else self._native.status()[0].lower()
        return f"<{type(self).__module__}.{type(self).__name__} {self.device_id}/{self.module_id} {state}>"
