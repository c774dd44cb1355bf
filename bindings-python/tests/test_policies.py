"""The core's tables as Python shows them, compared with the shared vectors
(tests/vectors/*.json) that the core itself is checked against: error codes (names,
descriptions, transience), connection states and reasons, options (names, the core's
refusals, the Python keywords in seconds), system properties, the method replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import edgemodule
from edgemodule import _native, errors
from edgemodule.models import SYSTEM_PROPERTIES

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
# Options are checked before anything else happens: no hub is needed to see a refusal.
CS = "HostName=h;DeviceId=d;ModuleId=m;SharedAccessKey=" + "QUJD" * 11 + "QQ=="


def cases(name: str, op: str) -> List[Dict[str, Any]]:
    table = json.loads((VECTORS / f"{name}.json").read_text())
    return [c for c in table["cases"] if c["op"] == op]


def test_error_classes_carry_the_core_table():
    assert [name for _, name, _, _ in _native.error_table()] == cases("errors", "all_codes")[0]["expected"]
    for case in cases("errors", "code"):
        expected = case["expected"]
        if expected is None or expected["code"] == 0:
            continue
        cls = errors.ERROR_CLASSES[expected["code"]]
        assert (cls.name, cls.description, cls.transient) == (
            expected["name"],
            expected["description"],
            expected["transient"],
        ), case["name"]
        raised = _native.make_error(expected["code"], "x")
        assert raised.transient is expected["transient"] and raised.description == expected["description"]


def test_hub_statuses_map_as_the_core_maps_them():
    for case in cases("errors", "from_status"):
        expected = case["expected"]
        raised = _native.make_status_error(case["input"], "answer")
        assert (raised.name, raised.status, raised.transient) == (
            expected["kind"],
            expected["status"],
            expected["transient"],
        ), case["name"]


def test_state_and_reason_names_are_the_core_names():
    states, reasons = _native.status_names()
    assert states == cases("status", "all_states")[0]["expected"]
    assert reasons == cases("status", "all_reasons")[0]["expected"]
    assert [s.value for s in edgemodule.ConnectionState] == states
    assert [r.value for r in edgemodule.StatusReason] == reasons


def test_option_names_are_the_core_names():
    assert _native.option_names() == cases("options", "names")[0]["expected"]
    core = set(_native.option_names())
    for python, name, factor in _native.option_keywords():
        assert name in core and factor in (1, 1000), python


PYTHON_KEYWORDS = {python for python, _, _ in _native.option_keywords()}


@pytest.mark.parametrize(
    "case",
    # A Python keyword in seconds (``operation_timeout``) is no unknown option here.
    [c for c in cases("options", "set") if "error" in c and c["input"]["name"] not in PYTHON_KEYWORDS],
    ids=lambda c: c["name"],
)
def test_the_core_refuses_what_the_vectors_refuse(case):
    # A refusal is INVALID_ARGUMENT with the core's message, whatever the binding.
    assert case["error"] == "INVALID_ARGUMENT"
    with pytest.raises(edgemodule.InvalidArgumentError) as raised:
        edgemodule.ModuleClient.create_from_connection_string(CS, **{case["input"]["name"]: case["input"]["value"]})
    assert case.get("error_contains", "") in raised.value.message


def test_python_keywords_in_seconds_reach_the_core_options():
    with pytest.raises(edgemodule.InvalidArgumentError, match="operation_timeout") as raised:
        edgemodule.ModuleClient.create_from_connection_string(CS, operation_timeout=0.0005)
    assert "operation_timeout_ms" in raised.value.message
    with pytest.raises(edgemodule.InvalidArgumentError, match="unknown option"):
        edgemodule.ModuleClient.create_from_connection_string(CS, no_such_option=1)
    with pytest.raises(edgemodule.InvalidArgumentError, match="retry_max_delay"):
        edgemodule.ModuleClient.create_from_connection_string(CS, retry_initial_delay=2, retry_max_delay=1)


def test_system_properties_are_the_core_table():
    expected = cases("system_properties", "all")[0]["expected"]
    assert [name for _, name, _, _ in SYSTEM_PROPERTIES] == expected
    rows = {c["input"]: c["expected"] for c in cases("system_properties", "property") if c["expected"]}
    for code, name, wire_key, kind, received_only in _native.system_properties():
        assert rows[code] == {
            "code": code,
            "name": name,
            "wire_key": wire_key,
            "type": kind,
            "received_only": received_only,
        }
    # Every property is an attribute of Message (``expiry_time`` as azure-iot-device's name).
    message = edgemodule.Message("x")
    for attribute, _, _, _ in SYSTEM_PROPERTIES:
        assert getattr(message, attribute) is None, attribute


def test_a_message_sends_the_system_properties_it_sets_and_nothing_else():
    assert edgemodule.Message(b"x")._to_native() == (b"x", None, {})
    sent = [(attribute, name) for attribute, name, _, received_only in SYSTEM_PROPERTIES if not received_only]
    message = edgemodule.Message("x")
    for attribute, name in sent:
        setattr(message, attribute, f"v-{name}")
    message.correlation_id = 7  # not text: sent as str()
    _, _, system = message._to_native()
    assert system == {name: ("7" if name == "correlation_id" else f"v-{name}") for _, name in sent}


def test_the_method_replies_are_the_documented_bytes():
    failure, no_handler = _native.method_replies()
    assert failure == (500, '{"error":"HANDLER_FAILED","message":"the method handler failed"}')
    assert no_handler == (501, '{"error":"NO_HANDLER","message":"the module has no handler for this method"}')
