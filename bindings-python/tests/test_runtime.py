"""Runtime behaviour (issue 5 item 6): GIL released while waiting, callbacks on a
Python-visible thread, Ctrl-C interrupts blocking calls, a live client never hangs
interpreter exit, clear error after fork(), cancellation from asyncio."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import edgemodule
import edgemodule.aio
from conftest import cs_options, get, token

DEAD_CS = "HostName=h;GatewayHostName=127.0.0.1;DeviceId=d;ModuleId=m;SharedAccessKey=a2V5"


def free_port() -> int:
    """A port nobody listens on (for clients that must not reach a hub)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_client(cls=edgemodule.ModuleClient, timeout=3.0):
    """A client whose gateway port has no listener (connect fails only at its timeout)."""
    return cls.create_from_connection_string(
        DEAD_CS, server_verification_cert=CA_PEM, mqtt_port=free_port(), operation_timeout=timeout,
        retry_initial_delay=0.05, retry_max_delay=0.2)


CA_PEM = None


@pytest.fixture(autouse=True)
def _ca(hub):
    global CA_PEM
    CA_PEM = cs_options(hub, "sender")["server_verification_cert"]


def run_python(code: str, env: dict = None, timeout: float = 30.0, **kw) -> subprocess.Popen:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_gil_is_released_during_blocking_waits():
    client = dead_client(timeout=1.5)
    ticks = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        started = time.monotonic()
        with pytest.raises((edgemodule.EdgeTimeoutError, edgemodule.EdgeConnectionError)):
            client.connect()
        assert 1.0 < time.monotonic() - started < 10
    finally:
        stop.set()
        counter.join()
        client.shutdown()
    # A thread starved by a held GIL would count a few hundred times at most.
    assert ticks[0] > 100_000, ticks[0]


@pytest.mark.parametrize("kind", ["sync", "aio"])
async def test_callbacks_run_on_a_python_visible_thread(hub, kind):
    cls = edgemodule.ModuleClient if kind == "sync" else edgemodule.aio.ModuleClient
    opts = cs_options(hub, "receiver")
    client = cls.create_from_connection_string(opts.pop("connection_string"), **opts)
    threads = queue.Queue()
    client.on_method("where")(lambda request: threads.put(threading.current_thread()) or {"ok": True})
    try:
        if kind == "sync":
            await asyncio.to_thread(client.connect)
        else:
            await client.connect()
        result = await asyncio.to_thread(hub.invoke, "receiver", "where", None)
        assert result["status"] == 200
        thread = await get(threads)
        assert isinstance(thread, threading.Thread) and not isinstance(thread, threading._DummyThread)
        assert thread.name == "edgemodule-receiver-method-where" and thread.daemon  # its own lane
        assert thread in threading.enumerate() and thread is not threading.main_thread()
    finally:
        if kind == "sync":
            await asyncio.to_thread(client.shutdown)
        else:
            await client.shutdown()


async def test_coroutine_handlers_run_on_the_users_loop(hub):
    opts = cs_options(hub, "receiver")
    client = edgemodule.aio.ModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts)
    loops = queue.Queue()

    @client.on_method("loop")
    async def where(request):
        loops.put(asyncio.get_running_loop())
        await asyncio.sleep(0.01)
        return 200, {"loop": True}

    async with client:
        result = await asyncio.to_thread(hub.invoke, "receiver", "loop", None)
        assert result == {"status": 200, "payload": {"loop": True}}
        assert await get(loops) is asyncio.get_running_loop()


def test_ctrl_c_interrupts_a_blocking_call(hub):
    child = run_python(f"""
        import edgemodule, time
        client = edgemodule.ModuleClient.create_from_connection_string(
            {DEAD_CS!r}, server_verification_cert={CA_PEM!r}, mqtt_port={free_port()}, operation_timeout=120)
        print("ready", flush=True)
        started = time.monotonic()
        try:
            client.connect()
            print("connected?!", flush=True)
        except KeyboardInterrupt:
            print("interrupted after %.1f s" % (time.monotonic() - started), flush=True)
    """)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=15)
    finally:
        child.kill()
    assert out.startswith("interrupted after"), (out, err)
    assert float(out.split()[2]) < 5
    assert child.returncode == 0, err


@pytest.mark.parametrize("kind", ["sync", "aio"])
def test_a_live_client_never_hangs_interpreter_exit(hub, kind):
    opts = cs_options(hub, "receiver")
    cs = opts.pop("connection_string")
    if kind == "sync":
        body = f"""
            import edgemodule
            client = edgemodule.ModuleClient.create_from_connection_string({cs!r}, **{opts!r})
            client.on_message_received = lambda m: None
            client.on_method("slow")(lambda r: None)
            client.connect()
            print("connected", client.connected, flush=True)
            # falls off the end: no shutdown
        """
    else:
        body = f"""
            import asyncio, edgemodule.aio
            async def main():
                client = edgemodule.aio.ModuleClient.create_from_connection_string({cs!r}, **{opts!r})
                async def on_message(m):
                    pass
                client.on_message_received = on_message
                await client.connect()
                print("connected", client.connected, flush=True)
                asyncio.ensure_future(client.get_twin())  # still in flight at exit
            asyncio.run(main())
        """
    started = time.monotonic()
    child = run_python(body)
    try:
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert out.strip() == "connected True", (out, err)
    assert child.returncode == 0, err
    assert time.monotonic() - started < 20


def test_fork_child_gets_a_clear_error(hub):
    opts = cs_options(hub, "sender")
    client = edgemodule.ModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts)
    client.connect()
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: report what happened through the pipe, never run pytest code
            code = 1
            try:
                os.close(read_end)
                try:
                    client.get_twin()
                    report = "no error"
                except edgemodule.ConfigError as e:
                    report = "ok " + str(e)
                try:
                    edgemodule.ModuleClient.create_from_connection_string(cs_options(hub, "sender")["connection_string"], **opts)
                    report += " | second: no error"
                except edgemodule.EdgeModuleError as e:
                    report += " | second: " + str(e)
                os.write(write_end, report.encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        deadline = time.monotonic() + 15
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError("the forked child hung")
            time.sleep(0.05)
        report = os.read(read_end, 4096).decode()
        os.close(read_end)
        assert os.WEXITSTATUS(status) == 0
        assert report.startswith("ok ") and "fork" in report, report
        assert "second: " in report and "no error" not in report.split("second: ")[1], report
        # The parent's client is unaffected.
        assert client.get_twin()["reported"]["$version"] >= 1
    finally:
        client.shutdown()


async def test_cancelling_an_awaited_operation_cancels_it():
    client = dead_client(edgemodule.aio.ModuleClient, timeout=60)
    try:
        task = asyncio.ensure_future(client.connect())
        await asyncio.sleep(0.2)
        task.cancel()
        started = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 1
    finally:
        await client.shutdown()


def test_options_are_checked():
    with pytest.raises(edgemodule.InvalidArgumentError, match="unknown"):
        edgemodule.ModuleClient.create_from_connection_string(DEAD_CS, server_verification_cert=CA_PEM, typo_option=1)
    with pytest.raises(edgemodule.InvalidArgumentError, match="websockets"):
        edgemodule.ModuleClient.create_from_connection_string(DEAD_CS, websockets=True)
    with pytest.raises(edgemodule.ConfigError, match="trust"):
        edgemodule.ModuleClient.create_from_connection_string(DEAD_CS)
    with pytest.raises(edgemodule.InvalidArgumentError):
        edgemodule.ModuleClient.create_from_connection_string(DEAD_CS, server_verification_cert=CA_PEM, operation_timeout=-1)


def test_a_coroutine_handler_on_the_blocking_client_is_reported(hub):
    opts = cs_options(hub, "receiver")
    client = edgemodule.ModuleClient.create_from_connection_string(opts.pop("connection_string"), **opts)
    errors = queue.Queue()
    client.on_background_exception = errors.put

    async def not_here(request):
        return {}

    client.on_method("coro")(not_here)
    with client:
        result = hub.invoke("receiver", "coro", None)
        assert result["status"] == 500
        error = errors.get(timeout=10)
        assert isinstance(error, edgemodule.errors.BackgroundError) and error.kind == "HANDLER_FAILED"
        assert isinstance(error.__cause__, RuntimeError) and "asyncio loop" in str(error.__cause__)
