"""azure-iot-device's exception names (``azure.iot.device.exceptions``) as aliases of the
edgemodule classes, so existing ``except`` clauses keep working."""

from __future__ import annotations

from ..errors import (
    ClosedError,
    EdgeConnectionError,
    EdgeModuleError,
    EdgeTimeoutError,
    OperationCancelledError,
    ServiceError,
    UnauthorizedError,
)

ClientError = EdgeModuleError
ConnectionFailedError = EdgeConnectionError
ConnectionDroppedError = EdgeConnectionError
NoConnectionError = ClosedError
CredentialError = UnauthorizedError
OperationCancelled = OperationCancelledError
OperationTimeout = EdgeTimeoutError

__all__ = [
    "ClientError",
    "ConnectionFailedError",
    "ConnectionDroppedError",
    "NoConnectionError",
    "CredentialError",
    "OperationCancelled",
    "OperationTimeout",
    "ServiceError",
]
