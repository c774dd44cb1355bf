"""Every stable error code maps to its own EdgeModuleError subclass (and built-in)."""

from __future__ import annotations

import pytest

import edgemodule
from edgemodule import _native, errors
from edgemodule.compat import exceptions as azure_exceptions

BUILTINS = {
    1: ValueError,
    3: PermissionError,
    4: ConnectionError,
    5: TimeoutError,
    7: ValueError,
    11: LookupError,
}


def test_every_native_code_has_a_class():
    table = _native.error_table()
    assert table[0][:2] == (0, "OK")
    codes = {code: name for code, name, _, _ in table if code != 0}
    assert set(errors.ERROR_CLASSES) == set(codes)
    for code, name in codes.items():
        cls = errors.ERROR_CLASSES[code]
        assert (cls.code, cls.name) == (code, name)
        assert issubclass(cls, edgemodule.EdgeModuleError)
        assert getattr(edgemodule, cls.__name__) is cls


@pytest.mark.parametrize("code", range(1, 14))
def test_native_errors_raise_the_mapped_class(code):
    raised = _native.make_error(code, f"message {code}")
    cls = errors.ERROR_CLASSES[code]
    assert type(raised) is cls
    assert raised.code == code and raised.message == f"message {code}"
    assert str(raised) == f"{cls.name}: message {code}"
    assert isinstance(raised, Exception)
    if code in BUILTINS:
        assert isinstance(raised, BUILTINS[code])
    with pytest.raises(edgemodule.EdgeModuleError):
        raise raised


def test_unknown_code_is_refused():
    with pytest.raises(ValueError):
        _native.make_error(99, "x")


def test_service_error_carries_the_status():
    error = errors._from_native(9, "hub said no", 503)
    assert isinstance(error, edgemodule.ServiceError) and error.status == 503
    assert str(error) == "SERVICE (status 503): hub said no"


def test_azure_exception_names_alias_ours():
    assert azure_exceptions.OperationTimeout is edgemodule.EdgeTimeoutError
    assert azure_exceptions.CredentialError is edgemodule.UnauthorizedError
    assert issubclass(azure_exceptions.ConnectionFailedError, ConnectionError)
    assert azure_exceptions.ClientError is edgemodule.EdgeModuleError
