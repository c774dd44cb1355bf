"""Python module-client benchmarks: edgemodule ("ours") or azure-iot-device ("official").

One measurement per run, one JSON line on stdout (bench/measure.py runs it):

    bench.py SDK send --size B --window W --warmup S --round S --rounds N [--batch K]
    bench.py SDK latency --rate R --messages N --warmup N --size B
    bench.py SDK memory --idle S --messages N --size B --window W
    bench.py SDK reconnect            # `ready`, then `ack|fail <epoch ms>` per send
    bench.py SDK size                 # bytes installed: the package and its dependencies

SDK is `ours` or `official`. Both use the asyncio client of their package, created from the
IoT Edge environment of $BENCH_ENV_DIR/<module>.env; the two APIs share the method names.
Payloads of `latency`: 8-byte run nonce, sequence number and send time (ns, u64 LE), padding.
"""

import asyncio
import json
import math
import os
import struct
import sys
import threading
import time


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


BARE_RSS_KIB = status_kib("VmRSS:")  # before either SDK is imported


def use_module(module: str) -> None:
    """Puts one module's IoT Edge environment into os.environ (both SDKs read it there)."""
    path = os.path.join(os.environ["BENCH_ENV_DIR"], f"{module}.env")
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                os.environ[key] = value


class Sdk:
    """The few calls the benchmarks need, for one of the two packages."""

    def __init__(self, name: str, inflight: int):
        self.name = name
        self.inflight = inflight
        if name == "ours":
            from edgemodule import Message
            from edgemodule.aio import ModuleClient
        else:
            from azure.iot.device import Message
            from azure.iot.device.aio import IoTHubModuleClient as ModuleClient
        self.Message = Message
        self.ModuleClient = ModuleClient

    async def client(self, module: str, on_input=None):
        use_module(module)
        if self.name == "ours":
            c = self.ModuleClient.create_from_edge_environment(max_inflight=max(self.inflight, 1))
            if on_input:
                c.set_input_handler("in1", on_input)
        else:
            c = self.ModuleClient.create_from_edge_environment()
            if on_input:
                c.on_message_received = on_input
        await c.connect()
        return c


def arg(name: str, default, cast=float):
    argv = sys.argv
    if f"--{name}" in argv:
        return cast(argv[argv.index(f"--{name}") + 1])
    return default


class Sender:
    """`window` concurrent senders (or batches of `batch`), counting acknowledged messages."""

    def __init__(self, sdk: Sdk, client, size: int, window: int, batch: int = 0, limit: int = 0):
        self.sdk, self.client, self.body = sdk, client, b"x" * size
        self.window, self.batch, self.limit = window, batch, limit
        self.acked = self.issued = 0
        self.stop = False

    async def _worker(self):
        Message, client = self.sdk.Message, self.client
        while not self.stop and (not self.limit or self.issued < self.limit):
            if self.batch:
                n = min(self.batch, self.limit - self.issued) if self.limit else self.batch
                self.issued += n
                await client.send_messages_to_output([Message(self.body) for _ in range(n)], "upstream")
                self.acked += n
            else:
                self.issued += 1
                await client.send_message_to_output(Message(self.body), "upstream")
                self.acked += 1

    def start(self):
        self.tasks = [asyncio.ensure_future(self._worker()) for _ in range(self.window)]

    async def finish(self):
        self.stop = True
        await asyncio.gather(*self.tasks)


async def send(sdk: Sdk) -> dict:
    size, window = arg("size", 256, int), arg("window", 100, int)
    batch = arg("batch", 0, int)
    client = await sdk.client("sender")
    sender = Sender(sdk, client, size, window, batch)
    sender.start()
    await asyncio.sleep(arg("warmup", 1.0))
    rates = []
    first, cpu0 = sender.acked, time.process_time()  # every thread of the process
    for _ in range(arg("rounds", 5, int)):
        n0, t0 = sender.acked, time.perf_counter()
        await asyncio.sleep(arg("round", 1.0))
        rates.append((sender.acked - n0) / (time.perf_counter() - t0))
    cpu_s, acked = time.process_time() - cpu0, sender.acked - first
    await sender.finish()
    await client.shutdown()
    return {"rounds": rates, "cpu_s": cpu_s, "acked": acked}


async def memory(sdk: Sdk) -> dict:
    messages, window = arg("messages", 100_000, int), arg("window", 100, int)
    client = await sdk.client("sender")
    await asyncio.sleep(arg("idle", 2.0))
    idle = status_kib("VmRSS:")
    sender = Sender(sdk, client, arg("size", 256, int), window, limit=messages)
    t0 = time.perf_counter()
    sender.start()
    await asyncio.gather(*sender.tasks)
    secs = time.perf_counter() - t0
    after, peak = status_kib("VmRSS:"), status_kib("VmHWM:")
    await client.shutdown()
    return {"bare_rss_kib": BARE_RSS_KIB, "idle_rss_kib": idle, "after_rss_kib": after,
            "peak_rss_kib": peak, "messages": sender.acked, "seconds": secs}


def percentiles(nanos: list) -> dict:
    nanos.sort()

    def rank(q):  # nearest rank, as bench/src/stats.rs
        return nanos[min(len(nanos), max(1, math.ceil(q * len(nanos)))) - 1] / 1000.0

    return {"p50_us": rank(0.5), "p99_us": rank(0.99), "p999_us": rank(0.999), "samples": len(nanos)}


async def latency(sdk: Sdk) -> dict:
    rate, messages, warmup = arg("rate", 500.0), arg("messages", 2000, int), arg("warmup", 200, int)
    size = max(arg("size", 256, int), 24)
    total = warmup + messages
    nonce = os.urandom(8)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    seen, lat = set(), []
    lock = threading.Lock()

    def on_input(message):
        now = time.perf_counter_ns()
        data = message.data
        if data[:8] != nonce:
            return
        seq, sent = struct.unpack_from("<QQ", data, 8)
        with lock:
            if seq in seen:
                return
            seen.add(seq)
            if seq >= warmup:
                lat.append(now - sent)
            if len(seen) == total:
                loop.call_soon_threadsafe(done.set)

    receiver = await sdk.client("receiver", on_input)
    sender = await sdk.client("sender")
    pad = b"x" * (size - 24)
    pending = set()
    start = time.perf_counter()
    for seq in range(total):
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = nonce + struct.pack("<QQ", seq, time.perf_counter_ns()) + pad
        task = asyncio.ensure_future(sender.send_message_to_output(sdk.Message(body), "out1"))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.wait_for(done.wait(), arg("timeout", 60.0))
    await sender.shutdown()
    await receiver.shutdown()
    with lock:
        return percentiles(lat)


async def reconnect(sdk: Sdk) -> None:
    client = await sdk.client("sender")
    print("ready", flush=True)
    body = b"x" * 256
    while True:
        try:
            await asyncio.wait_for(client.send_message_to_output(sdk.Message(body), "upstream"), 60)
            print(f"ack {time.time() * 1000:.1f}", flush=True)
        except Exception:  # noqa: BLE001 - any failure: count it, try the next message
            print(f"fail {time.time() * 1000:.1f}", flush=True)
        await asyncio.sleep(0.01)


def installed_size(sdk_name: str) -> dict:
    """Bytes of the files pip installed for the package and everything it requires."""
    from importlib import metadata
    import re

    root = "edgemodule" if sdk_name == "ours" else "azure-iot-device"
    todo, done, total = [root], set(), 0
    while todo:
        name = re.split(r"[ ;<>=!~\[(]", todo.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if name in done:
            continue
        done.add(name)
        dist = metadata.distribution(name)
        for f in dist.files or []:
            path = f.locate()
            if os.path.isfile(path):
                total += os.path.getsize(path)
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(req)
    return {"installed_bytes": total, "packages": sorted(done)}


def main() -> None:
    sdk_name, mode = sys.argv[1], sys.argv[2]
    if mode == "size":
        print(json.dumps(installed_size(sdk_name)))
        return
    # MQTT in-flight limit (ours): every message the senders may have outstanding at once.
    sdk = Sdk(sdk_name, min(arg("window", 100, int) * max(arg("batch", 1, int), 1), 65535))
    runner = {"send": send, "latency": latency, "memory": memory, "reconnect": reconnect}[mode]
    result = asyncio.run(runner(sdk))
    print(json.dumps(result), flush=True)
    os._exit(0)  # do not wait for SDK threads the measurement no longer needs


if __name__ == "__main__":
    main()
