"""edgemodule: an Azure IoT Edge module client for Python, built on one Rust core.

- :class:`edgemodule.ModuleClient` — blocking API;
- :class:`edgemodule.aio.ModuleClient` — asyncio API (same names, coroutines);
- :mod:`edgemodule.compat` — drop-in ``IoTHubModuleClient``/``Message``/``MethodResponse``
  with azure-iot-device's signatures;
- :mod:`edgemodule.errors` — one exception class per stable error code.
"""

from __future__ import annotations

from . import _native, errors
from ._runtime import EXIT_TIMEOUT
from ._sync import ModuleClient, Subscription
from .errors import (
    ClosedError,
    ConfigError,
    EdgeConnectionError,
    EdgeModuleError,
    EdgeTimeoutError,
    InternalError,
    InvalidArgumentError,
    MessageTooLargeError,
    NotFoundError,
    OperationCancelledError,
    ProtocolError,
    ServiceError,
    ThrottledError,
    UnauthorizedError,
)
from .models import ConnectionState, DesiredPatch, Message, MethodRequest, MethodResponse, StatusReason, UserMessage

__version__: str = _native.version()

__all__ = [
    "ModuleClient",
    "Subscription",
    "Message",
    "MethodRequest",
    "MethodResponse",
    "UserMessage",
    "DesiredPatch",
    "ConnectionState",
    "StatusReason",
    "errors",
    "EdgeModuleError",
    "InvalidArgumentError",
    "ConfigError",
    "UnauthorizedError",
    "EdgeConnectionError",
    "EdgeTimeoutError",
    "ClosedError",
    "MessageTooLargeError",
    "ProtocolError",
    "ServiceError",
    "OperationCancelledError",
    "NotFoundError",
    "ThrottledError",
    "InternalError",
    "EXIT_TIMEOUT",
]
