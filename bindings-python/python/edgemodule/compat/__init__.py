"""Drop-in names for azure-iot-device users: change

    from azure.iot.device import IoTHubModuleClient, Message, MethodResponse

to

    from edgemodule.compat import IoTHubModuleClient, Message, MethodResponse

(and ``azure.iot.device.aio`` to ``edgemodule.compat.aio``). The signatures are
azure-iot-device's; ``on_connection_state_change`` handlers take no arguments (read
``client.connected``), exactly as there.
"""

from __future__ import annotations

from .. import _sync
from ..models import Message, MethodRequest, MethodResponse
from . import exceptions
from ._received import azure_view

__all__ = ["IoTHubModuleClient", "Message", "MethodRequest", "MethodResponse", "exceptions"]


class IoTHubModuleClient(_sync.ModuleClient):
    """azure-iot-device's blocking ``IoTHubModuleClient``, backed by edgemodule."""

    _status_without_args = True
    _received = staticmethod(azure_view)
