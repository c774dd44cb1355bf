"""Round trip through the hub with the INSTALLED edgemodule package (tests/dist): module
`roundtrip` sends to its output `out`, which the test deployment routes back to its input
`in`. Prints "roundtrip: OK <machine>" and exits 0 on success."""

import asyncio
import platform
import sys

from edgemodule import Message
from edgemodule.aio import ModuleClient


async def main() -> int:
    async with ModuleClient.create_from_edge_environment() as client:
        received: "asyncio.Future[Message]" = asyncio.get_running_loop().create_future()

        async def on_in(message: Message) -> None:
            if not received.done():
                received.set_result(message)

        client.on_input("in")(on_in)
        body = f"ping from python on {platform.machine()}"
        await client.send_message_to_output(Message(body), "out")
        message = await asyncio.wait_for(received, 30)
        if message.data.decode() != body:
            print(f"roundtrip: FAILED, got {message.data!r}", file=sys.stderr)
            return 1
    print(f"roundtrip: OK {platform.machine()} (edgemodule from {sys.modules['edgemodule'].__file__})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
