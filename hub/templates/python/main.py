"""{{name}}: an IoT Edge module on edgemodule (Python, asyncio).

Forwards messages from ``input1`` to ``output1`` while the desired property ``Enabled``
is true, reports ``Enabled``, and answers the direct method ``status``. It connects with
the environment IoT Edge gives a module (``edgemodule-hub env {{name}}`` prints it).
"""

from __future__ import annotations

import asyncio
import signal

from edgemodule import Message, MethodRequest
from edgemodule.aio import ModuleClient

from state import ModuleState


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async with ModuleClient.create_from_edge_environment() as client:
        state = ModuleState()

        async def on_input1(message: Message) -> None:
            # Returning acknowledges the message; raising retries it (handler_attempts, then on_background_exception).
            if state.should_forward():
                await client.send_message_to_output(message, "output1")
                state.count_forwarded()

        async def on_status(request: MethodRequest) -> dict:
            return state.status()

        async def on_desired(patch: dict) -> None:
            reported = state.apply_desired(patch)
            if reported is not None:
                await client.patch_twin_reported_properties(reported)
                print(f"{{name}}: Enabled is now {state.enabled}", flush=True)

        client.on_input("input1")(on_input1)
        client.on_method("status")(on_status)
        client.on_twin_desired_properties_patch_received = on_desired

        twin = await client.get_twin()
        await on_desired(twin["desired"])
        print(f"{{name}}: connected as {client.device_id}/{client.module_id}", flush=True)
        await stop.wait()
        print("{{name}}: stopping", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
