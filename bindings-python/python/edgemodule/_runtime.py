"""Process-wide lifecycle: every live client is closed at interpreter exit (before the
native runtime stops), and clients inherited through ``fork()`` fail with a clear error."""

from __future__ import annotations

import atexit
import logging
import os
import weakref
from typing import Any

from . import _native

log = logging.getLogger("edgemodule")

#: Seconds the exit hook may spend closing clients and stopping the runtime.
EXIT_TIMEOUT = 5.0

_live: "weakref.WeakSet[Any]" = weakref.WeakSet()
_parent_pid = os.getpid()


def register(client: Any) -> None:
    """Tracks ``client`` so that exit and fork handling reach it."""
    _live.add(client)


def forked() -> bool:
    """True in a child created by ``fork()`` after edgemodule was imported."""
    return os.getpid() != _parent_pid


def _close_all_at_exit() -> None:
    for client in list(_live):
        try:
            client._close_at_exit()
        except BaseException as e:  # never let exit fail because of us
            log.debug("closing a client at exit failed: %s", e)
    if not forked():
        try:
            _native.shutdown(EXIT_TIMEOUT)
        except BaseException as e:
            log.debug("edgemodule shutdown at exit: %s", e)


def _after_fork_in_child() -> None:
    for client in list(_live):
        client._forked = True


atexit.register(_close_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
