"""Every measurement of `make bench`, in one run, against one edgemodule-hub and one mosquitto.

bench/run.sh starts this inside a private network namespace (`unshare --net`): the official
SDKs can only reach a hub on 8883/443, and there those ports are ours alone, whatever else
runs on the machine. Each measurement is one process printing one JSON line; this script
adds what was measured (section, language, size, repetition) and appends it to
bench/results/<section>.jsonl. A failed run is recorded with its error and the run goes on.

    python measure.py RESULTS_DIR      # BENCH_REPS (3), BENCH_QUICK=1, BENCH_ONLY=send,latency (sections: broker,
                                       # send, latency, memory, sizes, reconnect, profiles, logging)
"""

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import figures
import profile_case

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / ".build"
HUB_BIN = ROOT / "target" / "release" / "edgemodule-hub"
BENCH_BIN = ROOT / "target" / "release" / "edgemodule-bench"
MQTT_PORT, HTTPS_PORT = 8883, 443

REPS = int(os.environ.get("BENCH_REPS", "3"))
QUICK = os.environ.get("BENCH_QUICK") == "1"
ONLY = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}

# Per-run workloads (QUICK: a fraction, for development).
SEND = {"warmup": 1.0, "round": 1.0, "rounds": 2 if QUICK else 3}
SEND_SIZES = (256, 16384)
# Every edgemodule client with a batch send API is also measured with two batches of 500 in
# flight, so that each binding's batch figures compare with the Rust client's batch figures.
BATCH_LANGS = ("rust", "c", "python", "node", "java", "dotnet")
# The store target's reference: the Rust 16 KiB case against `serve --store-checkpoint writer`.
STORE_REFERENCE_SIZE, STORE_REFERENCE_OPTS = 16384, ("--store-checkpoint", "writer")
STORE_REFERENCE_LANG = figures.STORE_REFERENCE_LANG
# Logging disabled vs no logging at all (issue 16): Rust sender, 256 B, 1,000 in flight; the
# receivers alternate run by run so that drift on the machine falls on each alike.
LOGGING_KINDS = ("none", "subscriber", "sink", "count")
LOGGING_REPS = 2 if QUICK else 6
# 5,000 messages (10 s) of warm-up: with 200, V8 was still compiling the hot path on a
# background thread during the measured window (stalls at the same message numbers in every
# run, gone with `node --no-opt --no-maglev`), and with 2,000 `--trace-opt` still showed
# per-message functions compiled up to message 3,750; steady state is what the figure is about.
LATENCY = {"rate": 500, "messages": 500 if QUICK else 2000, "warmup": 5000, "size": 256}
MEMORY_MESSAGES = 20_000 if QUICK else 100_000
RESTART_DOWN_S = 1.0  # reconnect: how long the hub stays stopped before it starts again
RECONNECT_REPS = 1 if QUICK else 5  # at least; a restart is cheap and the spread is wide


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0, interval: float = 0.005) -> float:
    """Waits until 127.0.0.1:port accepts; returns that moment as epoch milliseconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return time.time() * 1000
        except OSError:
            time.sleep(interval)
    raise TimeoutError(f"nothing listens on {port} after {timeout}s")


class Hub:
    """edgemodule-hub on 8883/443 with bench/manifest.json; restartable with its state."""

    def __init__(self, state: Path):
        self.state, self.admin = state, free_port()
        self.proc = None
        self.extra = []  # further `serve` options, e.g. the store reference policy

    def start(self) -> float:
        log = open(self.state.parent / "hub.log", "a")
        self.proc = subprocess.Popen(
            [str(HUB_BIN), "serve", "--manifest", str(HERE / "manifest.json"), "--state", str(self.state),
             "--mqtt-port", str(MQTT_PORT), "--https-port", str(HTTPS_PORT),
             "--admin-port", str(self.admin), "--log-level", "warn", *self.extra],
            stdout=log, stderr=subprocess.STDOUT)
        up = wait_port(MQTT_PORT)
        wait_port(self.admin)
        return up

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self, down: float = 0.0) -> float:
        self.stop()
        time.sleep(down)
        return self.start()

    def fresh_store(self, extra: tuple = ()) -> None:
        """Restarts with an empty message store (keys, certificates and identities stay).

        The hub trims `$upstream` to its newest 10,000 messages every 30 s in one transaction;
        after a few seconds at full rate that delete holds back every acknowledgement for
        seconds. A fresh store before each heavy case gives every client the same hub.
        """
        self.stop()
        for name in ("hub.db", "hub.db-wal", "hub.db-shm"):
            (self.state / name).unlink(missing_ok=True)
        self.extra = list(extra)
        self.start()

    def cli(self, *args: str) -> str:
        # The admin API needs the token in the hub's state directory.
        return subprocess.run([str(HUB_BIN), *args, "--admin", f"127.0.0.1:{self.admin}"],
                              check=True, capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, EDGEMODULE_HUB_STATE=str(self.state))).stdout


class Bench:
    def __init__(self, results: Path, work: Path):
        self.results, self.work = results, work
        self.hub = Hub(work / "hub")
        self.env_dir = work / "env"
        self.env_dir.mkdir()
        self.mosquitto = None

    # --- set-up -------------------------------------------------------------------------
    def start(self) -> None:
        self.hub.start()
        for module in ("sender", "receiver"):
            text = self.hub.cli("env", module, "--format", "dotenv", "--form", "workload")
            (self.env_dir / f"{module}.env").write_text(text)
            cs = self.hub.cli("env", module, "--format", "dotenv", "--form", "connection-string")
            (self.env_dir / f"{module}.cs").write_text(
                next(l.split("=", 1)[1] for l in cs.splitlines() if l.startswith("EdgeHubConnectionString=")))
        self.child_env = dict(os.environ, BENCH_ENV_DIR=str(self.env_dir),
                              NODE_PATH=str(BUILD / "node-ours" / "node_modules"))
        for line in (self.env_dir / "sender.env").read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                self.child_env[key] = value  # C, .NET and Java read the process environment

    def start_mosquitto(self) -> None:
        """Only the broker section needs mosquitto (so `BENCH_ONLY=logging` runs without it)."""
        self.mosquitto_port = free_port()
        conf = self.work / "mosquitto.conf"
        conf.write_text(f"listener {self.mosquitto_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "max_inflight_messages 0\nmax_queued_messages 100000\n")
        mosq = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.mosquitto = subprocess.Popen([mosq, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
        wait_port(self.mosquitto_port)

    def stop(self) -> None:
        self.hub.stop()
        if self.mosquitto:
            self.mosquitto.terminate()
            self.mosquitto.wait()

    def languages(self) -> dict:
        """Language key → argv prefix of its benchmark program, for those that were built."""
        py, node = str(HERE / ".venv" / "bin" / "python"), shutil.which("node") or "node"
        built = {p.stem for p in BUILD.glob("*.ok")}
        langs = {"rust": [str(BENCH_BIN)]}
        if "c" in built:
            langs["c"] = [str(BUILD / "c" / "bench")]
        if "python" in built:
            langs["python"] = [py, str(HERE / "python" / "bench.py"), "ours"]
        langs["python-official"] = [py, str(HERE / "python" / "bench.py"), "official"]
        if "node" in built:
            langs["node"] = [node, str(HERE / "node" / "bench.js"), "ours"]
            langs["node-official"] = [node, str(HERE / "node" / "bench.js"), "official"]
        if "dotnet" in built:
            langs["dotnet"] = ["mono", str(BUILD / "dotnet" / "Bench.exe")]
        if "java" in built:
            cp = f"{BUILD / 'java' / 'edgemodule.jar'}:{BUILD / 'java' / 'classes'}"
            langs["java"] = ["java", "-cp", cp, "Bench"]
        return langs

    # --- running and recording ----------------------------------------------------------
    def run(self, argv: list, timeout: float) -> dict:
        p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                           env=self.child_env, cwd=str(self.work))
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        if p.returncode != 0 or not lines:
            raise RuntimeError(f"exit {p.returncode}: {(p.stderr or p.stdout).strip()[-600:]}")
        return json.loads(lines[-1])

    def record(self, section: str, meta: dict, argv: list, timeout: float = 180) -> None:
        label = " ".join(f"{k}={v}" for k, v in meta.items())
        t0 = time.monotonic()
        try:
            row = {**meta, **self.run(argv, timeout)}
        except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
            row = {**meta, "error": str(e)[-600:]}
            print(f"bench:   {section} {label}: FAILED {row['error'][:200]}", flush=True)
        row["wall_s"] = round(time.monotonic() - t0, 2)
        with open(self.results / f"{section}.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")

    # --- 5. hub vs mosquitto ------------------------------------------------------------
    def hub_vs_mosquitto(self) -> None:
        self.start_mosquitto()
        ca = self.hub.state / "certs" / "ca.pem"
        hub = [BENCH_BIN, "routed-hub", "--port", MQTT_PORT, "--ca", ca,
               "--sender-cs", (self.env_dir / "sender.cs").read_text(),
               "--receiver-cs", (self.env_dir / "receiver.cs").read_text()]
        mosq = [BENCH_BIN, "routed-mqtt", "--port", self.mosquitto_port]
        n = 10_000 if QUICK else 30_000
        self.run(hub + ["--messages", 5000], 60)  # warm-up
        self.run(mosq + ["--messages", 5000], 60)
        for rep in range(REPS):
            print(f"bench: hub vs mosquitto, repetition {rep + 1}/{REPS}", flush=True)
            for name, argv in (("hub", hub), ("mosquitto", mosq)):
                self.record("broker_throughput", {"broker": name, "rep": rep}, argv + ["--messages", n, "--window", 500])
                self.record("broker_latency", {"broker": name, "rep": rep, "rate": LATENCY["rate"]},
                            argv + ["--messages", LATENCY["messages"] + LATENCY["warmup"], "--warmup", LATENCY["warmup"],
                                    "--rate", LATENCY["rate"], "--window", 500])

    # --- 1. send throughput -------------------------------------------------------------
    def send_cases(self, langs: dict) -> list:
        """(lang, api, argv, options): 1,000 messages in flight for every client; the official
        SDKs also with 100 (their best on this machine), and the report takes their faster;
        the batch APIs as two batches of 500."""
        cases = []
        for lang, argv in langs.items():
            cases.append((lang, "single", argv, ["--window", 1000]))
            if lang.endswith("-official"):
                cases.append((lang, "single", argv, ["--window", 100]))
            if lang in BATCH_LANGS:
                cases.append((lang, "batch", argv, ["--window", 2, "--batch", 500]))
        return cases

    def send(self, langs: dict) -> None:
        opts = [x for k, v in SEND.items() for x in (f"--{k}", v)]
        for rep in range(REPS):
            print(f"bench: send throughput, repetition {rep + 1}/{REPS}", flush=True)
            for size in SEND_SIZES:
                for lang, api, argv, extra in self.send_cases(langs):
                    self.hub.fresh_store()
                    meta = {"lang": lang, "api": api, "size": size, "rep": rep,
                            "window": extra[1], "batch": extra[3] if len(extra) > 2 else None}
                    self.record("send", meta, argv + ["send", "--size", size] + extra + opts, timeout=90)
                if size == STORE_REFERENCE_SIZE:
                    # The same Rust case against the hub's previous store policy (the writer
                    # checkpoints inside its commits): the reference of the store target.
                    self.hub.fresh_store(STORE_REFERENCE_OPTS)
                    meta = {"lang": STORE_REFERENCE_LANG, "api": "single", "size": size, "rep": rep,
                            "window": 1000, "batch": None}
                    self.record("send", meta, langs["rust"] + ["send", "--size", size, "--window", 1000] + opts,
                                timeout=90)
                    self.hub.fresh_store()

    # --- 6. logging disabled ------------------------------------------------------------
    def logging(self) -> None:
        opts = [x for k, v in SEND.items() for x in (f"--{k}", v)]
        for rep in range(LOGGING_REPS):
            print(f"bench: logging disabled, repetition {rep + 1}/{LOGGING_REPS}", flush=True)
            kinds = LOGGING_KINDS[rep % len(LOGGING_KINDS):] + LOGGING_KINDS[:rep % len(LOGGING_KINDS)]
            for kind in kinds:
                self.hub.fresh_store()
                self.record("logging", {"kind": kind, "rep": rep, "size": 256, "window": 1000},
                            [BENCH_BIN, "send", "--size", 256, "--window", 1000, "--logging", kind] + opts,
                            timeout=90)

    # --- 2. routed latency --------------------------------------------------------------
    def latency(self, langs: dict) -> None:
        opts = [x for k, v in LATENCY.items() for x in (f"--{k}", v)]
        for rep in range(REPS):
            print(f"bench: routed latency, repetition {rep + 1}/{REPS}", flush=True)
            for lang in ("rust", "python", "python-official", "node", "node-official"):
                if lang in langs:
                    self.hub.fresh_store()
                    self.record("latency", {"lang": lang, "rep": rep, **LATENCY}, langs[lang] + ["latency"] + opts,
                                timeout=120)

    # --- 2b. module→module under edgeHub's delivery rules ----------------------------------
    def delivery(self) -> None:
        """Rust → Rust through `serve --delivery strict` (edgeHub's: one input message in flight
        per module) and `permissive` (1,000): full-speed throughput and latency at 500 msg/s."""
        n = 5_000 if QUICK else 20_000
        for rep in range(REPS):
            print(f"bench: delivery rules, repetition {rep + 1}/{REPS}", flush=True)
            for mode in ("strict", "permissive"):
                for rate, messages in ((0, n), (LATENCY["rate"], LATENCY["messages"])):
                    self.hub.fresh_store(("--delivery", mode))
                    self.record("delivery", {"mode": mode, "rate": rate, "rep": rep, "messages": messages},
                                [BENCH_BIN, "latency", "--rate", rate, "--messages", messages,
                                 "--warmup", LATENCY["warmup"], "--size", 256], timeout=120)
        self.hub.fresh_store()

    # --- 3. memory and installed size ---------------------------------------------------
    def memory(self, langs: dict) -> None:
        print(f"bench: memory (idle, after {MEMORY_MESSAGES:,} messages)", flush=True)
        for lang, argv in langs.items():
            self.hub.fresh_store()
            self.record("memory", {"lang": lang, "size": 256, "window": 100},
                        argv + ["memory", "--idle", 2, "--messages", MEMORY_MESSAGES, "--size", 256, "--window", 100],
                        timeout=300)

    def sizes(self, langs: dict) -> None:
        rows = []

        def add(what, ours, official=None, note=""):
            rows.append({"what": what, "ours_bytes": ours, "official_bytes": official, "note": note})

        def du(path: Path) -> int:
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())

        if "python" in langs:
            wheel = next((BUILD / "python").glob("*.whl"))
            ours = self.run(langs["python"] + ["size"], 60)
            off = self.run(langs["python-official"] + ["size"], 60)
            add("Python: wheel file", wheel.stat().st_size, None, wheel.name)
            add("Python: installed, with dependencies", ours["installed_bytes"], off["installed_bytes"],
                f"{len(ours['packages'])} vs {len(off['packages'])} distributions")
        if "node" in langs:
            tgz = next(BUILD.glob("edgemodule-*.tgz"))
            official = HERE / "node" / "node_modules"
            n_off = len([p for p in official.rglob("package.json") if p.parent.parent.name in ("node_modules",)
                         or p.parent.parent.parent.name == "node_modules" and p.parent.parent.name.startswith("@")])
            add("Node: npm package (.tgz)", tgz.stat().st_size, None, tgz.name)
            add("Node: installed, with dependencies", du(BUILD / "node-ours" / "node_modules"), du(official),
                f"1 vs {n_off} packages")
        if (BUILD / "c" / "libedgemodule.stripped.so").exists():
            add("C: libedgemodule.so (stripped)", (BUILD / "c" / "libedgemodule.stripped.so").stat().st_size)
        if "dotnet" in langs:
            add(".NET: EdgeModule.dll + libedgemodule.so (stripped)",
                (BUILD / "dotnet" / "EdgeModule.dll").stat().st_size
                + (BUILD / "c" / "libedgemodule.stripped.so").stat().st_size)
        if "java" in langs:
            add("Java: edgemodule jar (native library inside)", (BUILD / "java" / "edgemodule.jar").stat().st_size)
        with open(self.results / "sizes.jsonl", "a") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")

    # --- 4. reconnect -------------------------------------------------------------------
    def reconnect_once(self, argv: list) -> dict:
        proc = subprocess.Popen([str(a) for a in argv] + ["reconnect"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.child_env, cwd=str(self.work))
        lines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l.strip()) for l in proc.stdout], daemon=True).start()

        def next_line(deadline: float) -> str:
            return lines.get(timeout=max(0.01, deadline - time.monotonic()))

        try:
            deadline = time.monotonic() + 30
            while not next_line(deadline).startswith("ack"):  # connected and delivering
                pass
            time.sleep(0.5)
            down = time.time() * 1000
            up = self.hub.restart(RESTART_DOWN_S)
            deadline, failed = time.monotonic() + 60, 0
            while True:
                line = next_line(deadline)
                failed += line.startswith("fail")
                if line.startswith("ack") and float(line.split()[1]) >= up:
                    return {"reconnect_ms": float(line.split()[1]) - up, "hub_down_ms": up - down,
                            "failed_sends": failed}
        except queue.Empty:
            why = proc.stderr.read()[-300:] if proc.poll() is not None else "still running"
            raise RuntimeError(f"no acknowledgement in time ({why})")
        finally:
            proc.kill()
            proc.wait()

    def reconnect(self, langs: dict) -> None:
        reps = max(REPS, RECONNECT_REPS)
        for rep in range(reps):
            print(f"bench: reconnect after a hub restart, repetition {rep + 1}/{reps}", flush=True)
            for lang in ("rust", "c", "python", "python-official", "node", "node-official", "java", "dotnet"):
                if lang not in langs:
                    continue
                self.hub.fresh_store()
                row = {"lang": lang, "rep": rep}
                try:
                    row.update(self.reconnect_once(langs[lang]))
                except (RuntimeError, TimeoutError) as e:
                    row["error"] = str(e)
                    print(f"bench:   reconnect {lang}: FAILED {e}", flush=True)
                with open(self.results / "reconnect.jsonl", "a") as f:
                    f.write(json.dumps(row) + "\n")

    # --- where the time goes, for the targets missed --------------------------------------
    def profiles(self, langs: dict) -> None:
        if not shutil.which("perf"):
            print("bench: perf not found; no profiles", flush=True)
            return
        summary = figures.Figures(self.results)
        send_opts = ["--warmup", 1, "--round", 1, "--rounds", 6]
        cases = []
        for target in summary.targets():
            if target.met is not False or not target.profile:
                continue
            lang, kind, size = target.profile
            if lang not in langs:
                continue
            if kind == "send":
                argv = langs[lang] + ["send", "--size", size, "--window", 1000] + send_opts
            elif kind == "send-batch":
                argv = langs[lang] + ["send", "--size", size, "--window", 2, "--batch", 500] + send_opts
            elif kind == "latency":
                argv = langs[lang] + ["latency", "--rate", 500, "--messages", 3000, "--warmup", LATENCY["warmup"]]
            elif kind == "routed":
                argv = [BENCH_BIN, "routed-hub", "--port", MQTT_PORT, "--ca", self.hub.state / "certs" / "ca.pem",
                        "--sender-cs", (self.env_dir / "sender.cs").read_text(),
                        "--receiver-cs", (self.env_dir / "receiver.cs").read_text(), "--messages", 150_000]
            else:
                continue
            if (lang, kind, size) not in [c[:3] for c in cases]:
                cases.append((lang, kind, size, target.key, argv))
        for lang, kind, size, key, argv in cases:
            print(f"bench: profiling {lang} {kind} {size} B (target missed: {key})", flush=True)
            self.hub.fresh_store()
            try:
                prof = profile_case.profile([str(a) for a in argv], self.hub.proc.pid, self.child_env, self.work,
                                            python=lang.startswith("python"))
                row = {"lang": lang, "kind": kind, "size": size, "target": key, **prof}
            except (RuntimeError, subprocess.SubprocessError, OSError) as e:
                row = {"lang": lang, "kind": kind, "size": size, "target": key, "error": str(e)[-400:]}
                print(f"bench:   profile failed: {e}", flush=True)
            with open(self.results / "profiles.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")


def main() -> None:
    results = Path(sys.argv[1])
    work = Path(tempfile.mkdtemp(prefix="edgemodule-bench-"))
    bench = Bench(results, work)
    meta = {"started": time.time(), "reps": REPS, "quick": QUICK, "loadavg_start": os.getloadavg()}
    try:
        bench.start()
        langs = bench.languages()
        meta["languages"] = sorted(langs)
        print(f"bench: measuring {', '.join(sorted(langs))} ({REPS} repetitions)", flush=True)
        sections = [("broker", lambda: bench.hub_vs_mosquitto()), ("send", lambda: bench.send(langs)),
                    ("latency", lambda: bench.latency(langs)),
                    ("delivery", lambda: bench.delivery()), ("memory", lambda: bench.memory(langs)),
                    ("sizes", lambda: bench.sizes(langs)), ("reconnect", lambda: bench.reconnect(langs)),
                    ("profiles", lambda: bench.profiles(langs)), ("logging", lambda: bench.logging())]
        for name, section in sections:
            if not ONLY or name in ONLY:
                t0 = time.monotonic()
                section()
                meta[f"{name}_s"] = round(time.monotonic() - t0, 1)
                meta[f"{name}_load"] = os.getloadavg()
    finally:
        bench.stop()
        meta["loadavg_end"] = os.getloadavg()
        meta["finished"] = time.time()
        (results / "run.json").write_text(json.dumps(meta))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
