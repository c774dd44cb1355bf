"""``azure.iot.device.aio`` names backed by edgemodule (see :mod:`edgemodule.compat`)."""

from __future__ import annotations

from .. import aio as _aio
from ..models import Message, MethodRequest, MethodResponse
from ._received import azure_view

__all__ = ["IoTHubModuleClient", "Message", "MethodRequest", "MethodResponse"]


class IoTHubModuleClient(_aio.ModuleClient):
    """azure-iot-device's asyncio ``IoTHubModuleClient``, backed by edgemodule."""

    _status_without_args = True
    _received = staticmethod(azure_view)
