"""The core's log records in Python's :mod:`logging` (issue 16).

Records go to the logger ``edgemodule`` and its children, one per part of the core:
``edgemodule.connection`` (connects, losses, reconnects, token renewal, refused
subscriptions), ``edgemodule.delivery`` (handler failures, messages without a handler),
``edgemodule.client``, … and ``edgemodule.rumqttc`` for warnings of the MQTT library.
Each record's message is the core's text followed by its fields (``reconnecting
module=filter attempt=2 delay_ms=180``); the fields are also attributes of the
``LogRecord`` (``extra``): ``module_id``, ``reason``, ``attempt``, ``delay_ms``, ``error``, …
(a field whose name a ``LogRecord`` already uses is renamed: ``module`` → ``module_id``,
``name`` → ``handler_name``, others get the prefix ``field_``), all of them as the dict
``edgemodule_fields``, and the core's Rust target as ``edgemodule_target``.

**The level rule.** The core formats a record only when some ``edgemodule`` logger would
take it: its native level follows the most verbose effective level of ``edgemodule`` and
its existing children (and ``logging.disable``). It is read when a client is created and
re-read about once a second by every client's delivery thread, and whenever a record
arrives that no logger wants any more: a change of level takes effect within a second.
While nothing wants a level, records of that level cost one atomic load in the core and
nothing in Python. Records reach Python on one thread, ``edgemodule-log``, never on a
thread of the runtime; levels below ``DEBUG`` (the core's ``trace``) use level 5.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Dict, List, Tuple

from . import _native

#: The logger every record goes to (or to one of its children).
LOGGER = logging.getLogger("edgemodule")

#: Python level below ``DEBUG`` that the core's ``trace`` records use.
TRACE = 5

#: The core's levels (1 error … 5 trace) as Python levels, most verbose first.
_LEVELS: Tuple[Tuple[int, int], ...] = (
    (5, TRACE),
    (4, logging.DEBUG),
    (3, logging.INFO),
    (2, logging.WARNING),
    (1, logging.ERROR),
)
_PYTHON_LEVEL = dict(_LEVELS)
if logging.getLevelName(TRACE) == f"Level {TRACE}":
    logging.addLevelName(TRACE, "TRACE")

#: Seconds between two automatic re-reads of the level.
REFRESH_EVERY = 1.0

#: Fields renamed because ``LogRecord`` uses the name (others with a clash get ``field_``).
_RENAMED = {"module": "module_id", "name": "handler_name"}
_TAKEN = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

_lock = threading.Lock()
_installed = False
_native_level = -1
_last_refresh = 0.0
_children: Dict[str, logging.Logger] = {}


def native_level() -> int:
    """The core's level (0 off … 5 trace) that gives every ``edgemodule`` logger what it
    takes: the most verbose effective level among them, ``logging.disable`` applied."""
    threshold = LOGGER.getEffectiveLevel() if not LOGGER.disabled else logging.CRITICAL + 1
    prefix = LOGGER.name + "."
    for name, child in list(LOGGER.manager.loggerDict.items()):
        if name.startswith(prefix) and isinstance(child, logging.Logger) and not child.disabled:
            threshold = min(threshold, child.getEffectiveLevel())
    threshold = max(threshold, LOGGER.manager.disable + 1)
    for native, python in _LEVELS:
        if python >= threshold:
            return native
    return 0


def refresh() -> None:
    """Re-reads the level now (cheap; a no-op when it did not change)."""
    global _native_level, _last_refresh
    level = native_level()
    with _lock:
        _last_refresh = time.monotonic()
        if level != _native_level:
            _native_level = level
            _native.set_log_level(level)


def refresh_if_due() -> None:
    """Re-reads the level if the last read is older than :data:`REFRESH_EVERY`."""
    if time.monotonic() - _last_refresh >= REFRESH_EVERY:
        refresh()


def install() -> None:
    """Connects the core's records to :mod:`logging` (once per process) and reads the level."""
    global _installed, _native_level, _last_refresh
    with _lock:
        first = not _installed
        if first:
            level = native_level()
            _native.set_log_sink(_emit, level)
            _installed, _native_level, _last_refresh = True, level, time.monotonic()
    if not first:
        refresh()


def _child(area: str) -> logging.Logger:
    logger = _children.get(area)
    if logger is None:
        logger = _children[area] = logging.getLogger(f"{LOGGER.name}.{area}")
    return logger


def _extra(fields: List[Tuple[str, str]], target: str) -> Dict[str, Any]:
    extra: Dict[str, Any] = {"edgemodule_fields": dict(fields), "edgemodule_target": target}
    for name, value in fields:
        if name in _TAKEN or name in extra:
            name = _RENAMED.get(name, f"field_{name}")
        extra[name] = value
    return extra


def _emit(level: int, area: str, target: str, message: str, fields: List[Tuple[str, str]], text: str) -> None:
    """Called by the core on the ``edgemodule-log`` thread for every record."""
    logger = _child(area)
    python_level = _PYTHON_LEVEL.get(level, logging.ERROR)
    if not logger.isEnabledFor(python_level):
        # The level went up since the core was told: tell it now.
        refresh()
        return
    msg = f"{message} {text}" if text else message
    record = logger.makeRecord(logger.name, python_level, target, 0, msg, (), None, extra=_extra(fields, target))
    logger.handle(record)
