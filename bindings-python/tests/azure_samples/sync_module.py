# An IoT Edge module written for azure-iot-device 2.x (blocking client). The compat test runs
# this file with only its import lines changed to edgemodule.compat.
import json
import threading
import time

from azure.iot.device import IoTHubModuleClient, Message, MethodResponse


def main():
    client = IoTHubModuleClient.create_from_edge_environment()
    received = []
    stop = threading.Event()

    def message_handler(message):
        received.append(message)
        if message.input_name == "input1":
            reply = Message(json.dumps({"echo": message.data.decode()}), content_type="application/json",
                            content_encoding="utf-8")
            reply.custom_properties["source"] = "legacy"
            client.send_message_to_output(reply, "echoed")
            client.patch_twin_reported_properties({"received": len(received)})

    def method_request_handler(method_request):
        if method_request.name == "get_count":
            payload = {"count": len(received), "last": received[-1].custom_properties.get("n") if received else None}
            status = 200
        elif method_request.name == "stop":
            payload, status = {"stopping": True}, 200
            stop.set()
        else:
            payload, status = {"unknown": method_request.name}, 404
        method_response = MethodResponse.create_from_method_request(method_request, status, payload)
        client.send_method_response(method_response)

    def twin_patch_handler(twin_patch):
        client.patch_twin_reported_properties({"greeting": twin_patch.get("greeting")})

    def connection_state_handler():
        print("connection state changed; connected =", client.connected, flush=True)

    client.on_message_received = message_handler
    client.on_method_request_received = method_request_handler
    client.on_twin_desired_properties_patch_received = twin_patch_handler
    client.on_connection_state_change = connection_state_handler

    client.connect()
    time.sleep(0.2)  # let the state-change handler print
    twin = client.get_twin()
    client.patch_twin_reported_properties({"greeting": twin["desired"].get("greeting"), "received": 0})
    print("module ready", flush=True)
    try:
        while not stop.is_set():
            time.sleep(0.1)
    finally:
        client.shutdown()
    print("module stopped", flush=True)


if __name__ == "__main__":
    main()
