"""S11 (hub restart mid-stream) and S13 (close with work in flight), both APIs."""

from __future__ import annotations

import asyncio
import queue
import threading
import time

import edgemodule
from conftest import WAIT, get, nothing, token
from hubproc import Hub


async def test_s11_restart_reconnects_without_loss_and_catches_up(private_hub, make_client):
    receiver = await make_client("receiver", on_hub=private_hub)
    got, patches, states = queue.Queue(), queue.Queue(), queue.Queue()
    receiver.client.on_input("input3")(receiver.handler(got.put))
    receiver.client.on_twin_desired_properties_patch_received = receiver.handler(patches.put)
    receiver.client.on_connection_state_change = receiver.handler(lambda s, r: states.put((s, r)))
    sender = await make_client("sender", on_hub=private_hub)
    mark = token()
    count = 30

    async def send_all():
        for i in range(count):
            await sender.call("send_message_to_output", edgemodule.Message(f"{mark}-{i}", message_id=f"{mark}-{i}"), "output3")
            await asyncio.sleep(0.02)

    sending = asyncio.ensure_future(send_all())
    await asyncio.sleep(0.2)
    # Down mid-stream; meanwhile the operator changes the desired properties on the same
    # state served on other ports (the module cannot reach it there).
    private_hub.stop()
    elsewhere = Hub(private_hub.state).start()
    try:
        await asyncio.to_thread(elsewhere.twin, "receiver", {"threshold": 55})
    finally:
        elsewhere.stop()
    private_hub.start()
    await asyncio.wait_for(sending, 60)

    ids = set()
    while len(ids) < count:
        message = await get(got, 30)
        if message.message_id and message.message_id.startswith(mark):
            ids.add(message.message_id)
    assert ids == {f"{mark}-{i}" for i in range(count)}
    seen = []
    while not seen or seen[-1][0] is not edgemodule.ConnectionState.CONNECTED or len(seen) < 2:
        seen.append(await get(states, 30))
    assert any(s is edgemodule.ConnectionState.DISCONNECTED_RETRYING for s, _ in seen)
    patch = await get(patches, 30)
    assert patch["threshold"] == 55 and "$version" in patch
    assert isinstance(patch, edgemodule.DesiredPatch) and patch.full  # the whole section: replace


async def test_s13_close_with_work_in_flight(hub, make_client):
    receiver = await make_client("receiver")
    calls, closed_at = [], []

    def on_message(message):
        calls.append(time.monotonic())
        time.sleep(0.01)

    receiver.client.on_input("input1")(receiver.handler(on_message))
    sender = await make_client("sender")
    outcomes = []

    async def one(i):
        try:
            await sender.call("send_message_to_output", edgemodule.Message(f"flight {i}"), "output1")
            outcomes.append("ok")
        except edgemodule.ClosedError:
            outcomes.append("closed")
        except Exception as e:  # anything else is a failure of S13
            outcomes.append(repr(e))

    flights = [asyncio.ensure_future(one(i)) for i in range(100)]
    await asyncio.sleep(0.05)
    if make_client.kind == "sync":
        await asyncio.to_thread(sender.client.shutdown)
    else:
        await sender.client.shutdown()
    await asyncio.wait_for(asyncio.gather(*flights), WAIT)
    assert len(outcomes) == 100
    assert set(outcomes) <= {"ok", "closed"}, outcomes
    with_closed = edgemodule.ClosedError
    try:
        await sender.call("send_message_to_output", edgemodule.Message("late"), "output1")
        raise AssertionError("sending after shutdown must fail")
    except with_closed:
        pass

    # The receiver: no handler call once its shutdown returned.
    if make_client.kind == "sync":
        await asyncio.to_thread(receiver.client.shutdown)
    else:
        await receiver.client.shutdown()
    closed_at.append(time.monotonic())
    other = await make_client("sender")
    for i in range(5):
        await other.call("send_message_to_output", edgemodule.Message(f"after {i}"), "output1")
    await asyncio.sleep(1.0)
    assert all(t < closed_at[0] for t in calls)
    assert not any(t.name.startswith("edgemodule-receiver") and t.is_alive() for t in threading.enumerate())
    # Shutdown is idempotent.
    if make_client.kind == "sync":
        receiver.client.shutdown()
    else:
        await receiver.client.shutdown()
