"""The decisions of {{name}}, kept apart from the client so they can be tested alone."""

from __future__ import annotations

from typing import Any, Optional


class ModuleState:
    def __init__(self) -> None:
        self.enabled = True
        self.forwarded = 0

    def should_forward(self) -> bool:
        return self.enabled

    def count_forwarded(self) -> None:
        self.forwarded += 1

    def apply_desired(self, desired: Any) -> Optional[dict]:
        """Takes ``Enabled`` from desired properties (or a patch); returns the reported
        patch, or None when the desired properties do not set it."""
        value = desired.get("Enabled") if isinstance(desired, dict) else None
        if not isinstance(value, bool):
            return None
        self.enabled = value
        return {"Enabled": value}

    def status(self) -> dict:
        return {"enabled": self.enabled, "forwarded": self.forwarded}
