# An IoT Edge module written for azure-iot-device 2.x (asyncio client). The compat test runs
# this file with only its import lines changed to edgemodule.compat.
import asyncio
import json

from azure.iot.device import Message, MethodResponse
from azure.iot.device.aio import IoTHubModuleClient


async def main():
    client = IoTHubModuleClient.create_from_edge_environment()
    await client.connect()
    received = []
    stop = asyncio.Event()

    async def message_handler(message):
        received.append(message)
        if message.input_name == "input1":
            reply = Message(json.dumps({"echo": message.data.decode()}))
            reply.custom_properties["source"] = "legacy-async"
            await client.send_message_to_output(reply, "echoed")
            await client.patch_twin_reported_properties({"received": len(received)})

    async def method_request_handler(method_request):
        if method_request.name == "get_count":
            payload, status = {"count": len(received)}, 200
        elif method_request.name == "stop":
            payload, status = {"stopping": True}, 200
            stop.set()
        else:
            payload, status = {"unknown": method_request.name}, 404
        await client.send_method_response(MethodResponse.create_from_method_request(method_request, status, payload))

    async def twin_patch_handler(twin_patch):
        await client.patch_twin_reported_properties({"greeting": twin_patch.get("greeting")})

    def connection_state_handler():
        print("connection state changed; connected =", client.connected, flush=True)

    client.on_message_received = message_handler
    client.on_method_request_received = method_request_handler
    client.on_twin_desired_properties_patch_received = twin_patch_handler
    client.on_connection_state_change = connection_state_handler

    twin = await client.get_twin()
    await client.patch_twin_reported_properties({"greeting": twin["desired"].get("greeting"), "received": 0})
    print("module ready", flush=True)
    await stop.wait()
    await client.shutdown()
    print("module stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
