"""Messages, method requests and responses, user-topic messages and connection status —
named and shaped as azure-iot-device users know them."""

from __future__ import annotations

import enum
import json
import operator
from typing import Any, Dict, FrozenSet, Optional, Tuple, Union

from . import _native

__all__ = [
    "Message",
    "MethodRequest",
    "MethodResponse",
    "UserMessage",
    "DesiredPatch",
    "ConnectionState",
    "StatusReason",
]

#: Attribute names that differ from the core's system-property names (azure-iot-device's).
_ATTRIBUTE_OF = {"expiry_time": "expiry_time_utc"}

#: ``(attribute, core name, wire key, received only)`` for each system property, from the
#: core's table (``_native.system_properties()``), in code order.
SYSTEM_PROPERTIES: Tuple[Tuple[str, str, Optional[str], bool], ...] = tuple(
    (_ATTRIBUTE_OF.get(name, name), name, wire_key, received_only)
    for _code, name, wire_key, _type, received_only in _native.system_properties()
)
#: What a sender sets (sent when not ``None``).
_SENT = tuple((attr, name) for attr, name, _, received_only in SYSTEM_PROPERTIES if not received_only)
_ATTRIBUTES = tuple(attr for attr, _, _, _ in SYSTEM_PROPERTIES)
#: Reads every sent attribute in one call (``_to_native`` runs once per message sent).
_SENT_VALUES = operator.attrgetter(*(attr for attr, _ in _SENT))
_SENT_NAMES = tuple(name for _, name in _SENT)
_NONE_SENT = (None,) * len(_SENT)
_NO_KEYS: FrozenSet[str] = frozenset()
_BY_CORE_NAME = {name: attr for attr, name, _, _ in SYSTEM_PROPERTIES}


class Message:
    """A message to send, or one received on an input.

    ``data`` is ``bytes`` for received messages; to send, give ``str`` (UTF-8), ``bytes``,
    or any JSON-serialisable value (encoded as JSON, ``content_type`` set to
    ``application/json`` and ``content_encoding`` to ``utf-8`` unless given).
    """

    __slots__ = ("data", "custom_properties", "_bag_keys") + _ATTRIBUTES

    def __init__(
        self,
        data: Any,
        message_id: Optional[str] = None,
        content_encoding: Optional[str] = None,
        content_type: Optional[str] = None,
        output_name: Optional[str] = None,
        *,
        correlation_id: Optional[str] = None,
        user_id: Optional[str] = None,
        custom_properties: Optional[Dict[str, str]] = None,
        creation_time: Optional[str] = None,
        expiry_time_utc: Optional[str] = None,
        message_schema: Optional[str] = None,
        component_name: Optional[str] = None,
        interface_id: Optional[str] = None,
    ) -> None:
        self.data = data
        self.custom_properties: Dict[str, str] = dict(custom_properties) if custom_properties else {}
        # The system properties (tests/test_policies.py checks them against the
        # core's table): those a sender sets ...
        self.message_id = message_id
        self.correlation_id = correlation_id
        self.user_id = user_id
        self.content_type = content_type
        self.content_encoding = content_encoding
        self.creation_time = creation_time
        self.expiry_time_utc = expiry_time_utc
        self.message_schema = message_schema
        self.component_name = component_name
        self.interface_id = interface_id
        self.output_name = output_name
        # ... and those the hub sets on received messages.
        self.to = self.ack = self.operation = self.input_name = None
        self.connection_device_id = self.connection_module_id = None
        #: Keys of ``custom_properties`` that mirror system properties (the compat layer's
        #: azure-iot-device view of a received message); never sent back.
        self._bag_keys: FrozenSet[str] = _NO_KEYS

    @classmethod
    def _from_native(cls, parts: Tuple[bytes, Dict[str, str], Dict[str, str]]) -> "Message":
        body, properties, system = parts
        message = cls.__new__(cls)
        message.data = body
        message.custom_properties = properties
        message._bag_keys = _NO_KEYS
        for attribute in _ATTRIBUTES:
            setattr(message, attribute, None)
        for name, value in system.items():
            setattr(message, _BY_CORE_NAME[name], value)
        return message

    def _to_native(self) -> Tuple[bytes, Optional[Dict[str, str]], Dict[str, str]]:
        data = self.data
        values = _SENT_VALUES(self)
        # Most messages set no system property: skip the per-property work for them.
        system = {} if values == _NONE_SENT else {n: v for n, v in zip(_SENT_NAMES, values) if v is not None}
        if type(data) is bytes:
            body = data
        elif isinstance(data, str):
            body = data.encode("utf-8")
        elif isinstance(data, bytes):
            body = data
        elif isinstance(data, (bytearray, memoryview)):
            body = bytes(data)
        else:
            body = json.dumps(data).encode("utf-8")
            system.setdefault("content_type", "application/json")
            system.setdefault("content_encoding", "utf-8")
        if system:
            for name, value in system.items():
                if type(value) is not str:
                    system[name] = str(value)
        props: Optional[Dict[str, str]] = self.custom_properties or None
        if props and self._bag_keys:
            props = {k: v for k, v in props.items() if k not in self._bag_keys}
        if props and not all(type(k) is str and type(v) is str for k, v in props.items()):
            props = {str(k): str(v) for k, v in props.items()}
        return body, props, system

    def _to_send(self) -> Union[bytes, Tuple[bytes, Optional[Dict[str, str]], Dict[str, str]]]:
        """What the addon takes to send this message: the bare body for a ``bytes`` body with
        nothing else set (most of a batch: no tuple or dicts to build), else ``_to_native()``."""
        data = self.data
        if type(data) is bytes and not self.custom_properties and _SENT_VALUES(self) == _NONE_SENT:
            return data
        return self._to_native()

    def get_size(self) -> int:
        """Body plus property bytes (what the 256 KiB limit counts, without wire keys)."""
        body, props, system = self._to_native()
        size = len(body)
        for k, v in (props or {}).items():
            size += len(k.encode()) + len(v.encode())
        for value in system.values():
            size += len(value.encode())
        return size

    def json(self) -> Any:
        """The body decoded as JSON."""
        data = self.data
        return json.loads(data if isinstance(data, (str, bytes, bytearray)) else json.dumps(data))

    def __repr__(self) -> str:
        shown = self.data if not isinstance(self.data, bytes) or len(self.data) <= 80 else self.data[:80] + b"..."
        return f"Message({shown!r}, input_name={self.input_name!r}, message_id={self.message_id!r})"

    def __str__(self) -> str:
        return str(self.data)


class MethodRequest:
    """A direct-method call: ``request_id``, ``name`` and the JSON-decoded ``payload``."""

    __slots__ = ("request_id", "name", "payload", "_call")

    def __init__(self, request_id: str, name: str, payload: Any = None) -> None:
        self.request_id = request_id
        self.name = name
        self.payload = payload
        #: The native call the answer completes (kept alive by this request: a request
        #: released unanswered gets the core's failure reply).
        self._call: Any = None

    def __repr__(self) -> str:
        return f"MethodRequest(request_id={self.request_id!r}, name={self.name!r}, payload={self.payload!r})"


class MethodResponse:
    """The answer to a method call: an HTTP-like ``status`` and a JSON-serialisable ``payload``."""

    __slots__ = ("request_id", "status", "payload")

    def __init__(self, request_id: str, status: int, payload: Any = None) -> None:
        self.request_id = request_id
        self.status = status
        self.payload = payload

    @classmethod
    def create_from_method_request(
        cls, method_request: MethodRequest, status: int, payload: Any = None
    ) -> "MethodResponse":
        """The response to ``method_request``."""
        return cls(method_request.request_id, status, payload)

    def __repr__(self) -> str:
        return f"MethodResponse(request_id={self.request_id!r}, status={self.status!r}, payload={self.payload!r})"


class DesiredPatch(Dict[str, Any]):
    """A desired-properties patch as the handler gets it: a ``dict`` with ``$version``.

    ``full`` is true for a catch-up after a reconnect: the whole desired section, read because
    it changed while the client was offline — replace what you hold with it instead of
    merging it (keys removed meanwhile are absent). The core decides which patches arrive
    (stale ones never do)."""

    full: bool = False


class UserMessage:
    """A message received on a user-defined MQTT topic."""

    __slots__ = ("topic", "payload")

    def __init__(self, topic: str, payload: bytes) -> None:
        self.topic = topic
        self.payload = payload

    def __repr__(self) -> str:
        return f"UserMessage(topic={self.topic!r}, payload={self.payload!r})"


class ConnectionState(str, enum.Enum):
    """The connection state passed to ``on_connection_state_change``."""

    DISCONNECTED = "DISCONNECTED"
    CONNECTED = "CONNECTED"
    DISCONNECTED_RETRYING = "DISCONNECTED_RETRYING"
    CLOSED = "CLOSED"

    def __str__(self) -> str:
        return self.value


class StatusReason(str, enum.Enum):
    """Why the connection state changed."""

    OK = "OK"
    EXPIRED_SAS_TOKEN = "EXPIRED_SAS_TOKEN"
    BAD_CREDENTIAL = "BAD_CREDENTIAL"
    NO_NETWORK = "NO_NETWORK"
    RETRY_EXPIRED = "RETRY_EXPIRED"
    COMMUNICATION_ERROR = "COMMUNICATION_ERROR"
    CLIENT_CLOSE = "CLIENT_CLOSE"

    def __str__(self) -> str:
        return self.value


PayloadLike = Union[str, bytes, bytearray, memoryview]
