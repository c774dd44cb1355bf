"""Sample filter module (Python, asyncio): reads ``input1``, forwards readings whose JSON
``temperature`` exceeds the desired property ``TemperatureThreshold`` (default 25) to
``output1``, reports the threshold in use, and answers the ``reset`` direct method with the
number of messages forwarded since the last reset.

Run it with the environment IoT Edge (or ``edgemodule-hub env filter``) provides:
``python main.py``. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Any, Optional

from edgemodule import Message, MethodRequest
from edgemodule.aio import ModuleClient

DEFAULT_THRESHOLD = 25.0


def threshold_in(section: Any) -> Optional[float]:
    """``TemperatureThreshold`` from a desired/reported section or patch, if numeric."""
    value = section.get("TemperatureThreshold") if isinstance(section, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def temperature_of(message: Message) -> Optional[float]:
    try:
        value = json.loads(message.data).get("temperature")
    except (ValueError, AttributeError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class Filter:
    def __init__(self, client: ModuleClient) -> None:
        self.client = client
        self.threshold = DEFAULT_THRESHOLD
        self.reported: Optional[float] = None
        self.forwarded = 0

    async def on_message(self, message: Message) -> None:
        """Forwards a hot reading. Returning acknowledges the message; raising (a failed
        send) makes the client call this again with the same message (0.5 s later, doubling,
        4 calls in all), then drop it and report it to ``on_background_exception``."""
        temperature = temperature_of(message)
        if temperature is None:
            print("filter: skipping a message without a numeric temperature", flush=True)
            return
        if temperature <= self.threshold:
            return
        await self.client.send_message_to_output(message, "output1")
        self.forwarded += 1
        print(f"filter: forwarded {temperature} (> {self.threshold}), {self.forwarded} since reset", flush=True)

    async def on_reset(self, request: MethodRequest) -> dict:
        forwarded, self.forwarded = self.forwarded, 0
        print(f"filter: reset after {forwarded} forwarded messages", flush=True)
        return {"reset": True, "forwarded": forwarded}

    async def on_desired(self, patch: dict) -> None:
        threshold = threshold_in(patch)
        if threshold is not None:
            self.threshold = threshold
            print(f"filter: threshold now {threshold} (desired $version {patch.get('$version')})", flush=True)
            await self.report_threshold()

    async def report_threshold(self) -> None:
        if self.reported != self.threshold:
            await self.client.patch_twin_reported_properties({"TemperatureThreshold": self.threshold})
            self.reported = self.threshold


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    client = ModuleClient.create_from_edge_environment()
    app = Filter(client)
    # Handlers first: connecting then subscribes to everything they need at once.
    client.on_input("input1")(app.on_message)
    client.on_method("reset")(app.on_reset)
    client.on_twin_desired_properties_patch_received = app.on_desired
    client.on_background_exception = lambda error: print(f"filter: {error}", flush=True)
    async with client:
        twin = await client.get_twin()
        app.threshold = threshold_in(twin["desired"]) or DEFAULT_THRESHOLD
        app.reported = threshold_in(twin["reported"])
        await app.report_threshold()
        print(f"filter: connected as {client.device_id}/{client.module_id}, threshold {app.threshold}", flush=True)
        await stop.wait()
        print("filter: stopping", flush=True)


if __name__ == "__main__":
    # The client's own records (connects, reconnects, handler failures) on `edgemodule.*`.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
