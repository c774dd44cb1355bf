"""The azure-iot-device view of a received message.

azure-iot-device sets six system properties as attributes of a received message
(``$.mid``, ``$.cid``, ``$.uid``, ``$.ct``, ``$.ce``, ``$.exp``), drops ``$.to`` and
``iothub-ack``, and leaves every other key of the property bag — ``$.cdid``, ``$.cmid``,
``$.ctime``, ``$.on``, … — in ``custom_properties`` (Azure/azure-iot-sdk-python,
``azure-iot-device/azure/iot/device/iothub/pipeline/mqtt_topic_iothub.py``,
``extract_message_properties_from_topic``, commit 030a6b5350aa94be363c7d19fde72e8063852e32).
Code written for it reads those keys there, so the compat clients put them there too, under
their wire keys (from the core's table). They stay attributes as well, and are not sent
again when the message is forwarded.
"""

from __future__ import annotations

from typing import Dict

from ..models import SYSTEM_PROPERTIES, Message

#: Wire keys azure-iot-device turns into attributes or drops: not in ``custom_properties``.
_NOT_IN_BAG = frozenset({"$.mid", "$.cid", "$.uid", "$.ct", "$.ce", "$.exp", "$.to", "iothub-ack"})
#: ``attribute → wire key`` of the system properties azure-iot-device leaves in the bag.
_IN_BAG: Dict[str, str] = {
    attribute: wire_key
    for attribute, _name, wire_key, _received_only in SYSTEM_PROPERTIES
    if wire_key is not None and wire_key not in _NOT_IN_BAG
}


def azure_view(message: Message) -> None:
    """Adds the system properties azure-iot-device shows in ``custom_properties``."""
    added = {}
    for attribute, wire_key in _IN_BAG.items():
        value = getattr(message, attribute)
        if value is not None and wire_key not in message.custom_properties:
            added[wire_key] = value
    if added:
        message.custom_properties.update(added)
        message._bag_keys = frozenset(added)
