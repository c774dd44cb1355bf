"""The exceptions edgemodule raises: one class per stable error code.

Every class derives from :class:`EdgeModuleError` (``.code``, ``.name``, ``.status``) and,
where one fits, from the matching built-in exception, so ``except TimeoutError`` catches
:class:`EdgeTimeoutError` and ``except ValueError`` catches :class:`InvalidArgumentError`.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

__all__ = [
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
    "ERROR_CLASSES",
]


class EdgeModuleError(Exception):
    """Base class of every edgemodule error."""

    code: int = 0
    name: str = "OK"

    def __init__(self, message: str = "", status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        #: The status the hub answered with (``ServiceError`` and friends), else ``None``.
        self.status = status

    def __str__(self) -> str:
        if self.status is not None:
            return f"{self.name} (status {self.status}): {self.message}"
        return f"{self.name}: {self.message}"


class InvalidArgumentError(EdgeModuleError, ValueError):
    """A value the API cannot accept (empty name, bad JSON, unknown option, …)."""

    code, name = 1, "INVALID_ARGUMENT"


class ConfigError(EdgeModuleError):
    """The environment, connection string, key or options are missing or malformed
    (also: edgemodule used in a ``fork()``-ed child)."""

    code, name = 2, "CONFIG"


class UnauthorizedError(EdgeModuleError, PermissionError):
    """The hub refused the credentials."""

    code, name = 3, "UNAUTHORIZED"


class EdgeConnectionError(EdgeModuleError, ConnectionError):
    """The network or TLS layer failed."""

    code, name = 4, "CONNECTION"


class EdgeTimeoutError(EdgeModuleError, TimeoutError):
    """An operation did not complete within its timeout."""

    code, name = 5, "TIMEOUT"


class ClosedError(EdgeModuleError):
    """The client was closed before or while the operation ran."""

    code, name = 6, "CLOSED"


class MessageTooLargeError(EdgeModuleError, ValueError):
    """A message exceeds 256 KiB (body + properties); nothing was sent."""

    code, name = 7, "MESSAGE_TOO_LARGE"


class ProtocolError(EdgeModuleError):
    """The hub sent something that does not follow the protocol."""

    code, name = 8, "PROTOCOL"


class ServiceError(EdgeModuleError):
    """The hub answered with an error status (see ``.status``)."""

    code, name = 9, "SERVICE"


class OperationCancelledError(EdgeModuleError):
    """The operation was cancelled (e.g. its asyncio task was cancelled)."""

    code, name = 10, "CANCELLED"


class NotFoundError(EdgeModuleError, LookupError):
    """The target (module, method, input) does not exist or is not connected."""

    code, name = 11, "NOT_FOUND"


class ThrottledError(EdgeModuleError):
    """The hub asked the client to slow down."""

    code, name = 12, "THROTTLED"


class InternalError(EdgeModuleError):
    """A bug in edgemodule itself; please report it."""

    code, name = 13, "INTERNAL"


#: The class for every error code.
ERROR_CLASSES: Dict[int, Type[EdgeModuleError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        ConfigError,
        UnauthorizedError,
        EdgeConnectionError,
        EdgeTimeoutError,
        ClosedError,
        MessageTooLargeError,
        ProtocolError,
        ServiceError,
        OperationCancelledError,
        NotFoundError,
        ThrottledError,
        InternalError,
    )
}


def _from_native(code: int, message: str, status: Optional[int]) -> EdgeModuleError:
    """Called by the native module to build the exception for an error code."""
    cls = ERROR_CLASSES.get(code, InternalError)
    return cls(message, status)
