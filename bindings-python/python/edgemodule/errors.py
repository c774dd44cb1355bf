"""The exceptions edgemodule raises: one class per stable error code, and
:class:`BackgroundError` for what goes wrong where no call could raise it.

Every class derives from :class:`EdgeModuleError` (``.code``, ``.name``, ``.description``,
``.transient``, ``.message``, ``.status``) and, where one fits, from the matching built-in
exception, so ``except TimeoutError`` catches :class:`EdgeTimeoutError` and
``except ValueError`` catches :class:`InvalidArgumentError`. Names, descriptions and
transience come from the core's table (``edgemodule._native.error_table()``), the one every
language shows.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from . import _native

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
    "BackgroundError",
    "ERROR_CLASSES",
]


class EdgeModuleError(Exception):
    """Base class of every edgemodule error."""

    #: The stable error code.
    code: int = 0
    #: The stable upper-case name, e.g. ``TIMEOUT``.
    name: str = "OK"
    #: What the code means (the core's one description).
    description: str = ""
    #: True when retrying the same operation later may succeed without changing anything.
    transient: bool = False

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
    code = 1


class ConfigError(EdgeModuleError):
    code = 2


class UnauthorizedError(EdgeModuleError, PermissionError):
    code = 3


class EdgeConnectionError(EdgeModuleError, ConnectionError):
    code = 4


class EdgeTimeoutError(EdgeModuleError, TimeoutError):
    code = 5


class ClosedError(EdgeModuleError):
    code = 6


class MessageTooLargeError(EdgeModuleError, ValueError):
    code = 7


class ProtocolError(EdgeModuleError):
    code = 8


class ServiceError(EdgeModuleError):
    code = 9


class OperationCancelledError(EdgeModuleError):
    code = 10


class NotFoundError(EdgeModuleError, LookupError):
    code = 11


class ThrottledError(EdgeModuleError):
    code = 12


class InternalError(EdgeModuleError):
    code = 13


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


def _adopt_the_core_table() -> None:
    for code, name, description, transient in _native.error_table():
        cls = ERROR_CLASSES.get(code, EdgeModuleError if code == 0 else None)
        if cls is None:
            continue  # a code newer than this package: raised as InternalError
        cls.name, cls.description, cls.transient = name, description, transient
        if cls is not EdgeModuleError:
            cls.__doc__ = f"``{name}`` (code {code}): {description}"


_adopt_the_core_table()


def _from_native(code: int, message: str, status: Optional[int]) -> EdgeModuleError:
    """Called by the native module to build the exception for an error code."""
    cls = ERROR_CLASSES.get(code, InternalError)
    return cls(message, status)


class BackgroundError(Exception):
    """Something that went wrong in the background, passed to ``on_background_exception``
    (the core reports it; docs/delivery.md):

    - ``kind``: ``HANDLER_FAILED`` (a handler failed on every attempt, or a method handler
      failed once), ``NO_HANDLER`` (nothing handles that input or method) or
      ``SLOW_HANDLER`` (a handler has run longer than edgeHub's 30 s acknowledgement timeout);
    - ``family``: ``input``, ``method``, ``desired`` or ``topic``;
    - ``name``: the input, method or topic (empty for desired properties);
    - ``message``: what happened.

    For ``HANDLER_FAILED`` the exception the Python handler raised last is the
    ``__cause__`` (with its traceback) when it is known.
    """

    def __init__(self, kind: str, family: str, name: str, message: str) -> None:
        super().__init__(f"{kind} ({family} {name!r}): {message}")
        self.kind = kind
        self.family = family
        self.name = name
        self.message = message
