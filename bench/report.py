"""Turns bench/results/*.jsonl into docs/benchmarks.md and docs/benchmarks.png, and prints the
targets table (the end of `make bench`). Every figure comes from the results of one run.

    python report.py RESULTS_DIR DOCS_DIR
"""

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from figures import LANG_NAMES, OFFICIAL, Figures, ratio  # noqa: E402

SEND_ROWS = [  # (lang, api, how it sends)
    ("rust", "single", "`send_output`, 100 in flight"),
    ("c", "single", "`edgemodule_client_send_output_async`, 100 in flight"),
    ("python", "single", "`send_message_to_output`, 100 in flight"),
    ("python", "batch", "`send_messages_to_output`, 2 batches of 500 in flight"),
    ("python-official", "single", "`send_message_to_output`, 100 in flight"),
    ("node", "single", "`sendOutputEvent`, 100 in flight"),
    ("node", "batch", "`sendOutputEventBatch`, 2 batches of 500 in flight"),
    ("node-official", "single", "`sendOutputEvent`, 100 in flight"),
    ("dotnet", "single", "`SendEventAsync`, 100 in flight"),
    ("java", "single", "`sendEventAsync`, 100 in flight"),
]


def fmt(s, unit="", digits=0, scale=1.0):
    return s.fmt(unit, digits, scale) if s else "n/a"


def fx(r, digits=2):
    return f"{r:.{digits}f}×" if r is not None else "n/a"


def version(cmd: list) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        text = (p.stdout + p.stderr).strip().splitlines()
        return text[0].strip() if text else "?"
    except (OSError, subprocess.SubprocessError):
        return "not installed"


def machine() -> str:
    cpu, mem = "unknown CPU", ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                   if l.startswith("model name"))
        kib = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines()
                       if l.startswith("MemTotal")))
        mem = f", {kib / 1048576:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}){mem}"


def verdict(t) -> str:
    return "n/a" if t.met is None else ("**met**" if t.met else "**MISSED**")


def targets_table(fig: Figures) -> list:
    lines = ["| target | edgemodule | peer | ratio / figure | goal | |", "|---|---|---|---|---|---|"]
    for t in fig.targets():
        value = "n/a" if t.value is None else (fx(t.value) if "×" in t.goal else f"{t.value:,.2f}")
        lines.append(f"| {t.text} | {t.ours} | {t.peer or '—'} | {value} | {t.goal} | {verdict(t)} |")
    return lines


def failures(fig: Figures, section: str, **match) -> str:
    errs = fig.errors(section, **match)
    return f" ({len(errs)} failed run{'s' if len(errs) > 1 else ''}: {errs[0][:120]})" if errs else ""


def section_send(fig: Figures) -> list:
    lines = [
        "## 1. Send throughput",
        "",
        "One module sends to an output at QoS 1 and waits for every acknowledgement (PUBACK); the",
        "output is routed to `$upstream`, so the hub stores each message (SQLite) before it",
        "acknowledges. Messages in flight are as many as the API allows to overlap. Each process",
        "sends for a 1 s warm-up, then counts acknowledgements in 1 s rounds; the figure is the",
        "median round over all repetitions (spread: slowest–fastest round). Ratios: against the",
        "official SDK of the same language.",
        "",
        "| language | API | 256 B msg/s | vs official | 16 KiB msg/s | vs official |",
        "|---|---|---|---|---|---|",
    ]
    for lang, api, how in SEND_ROWS:
        small, big = fig.send(lang, api, 256), fig.send(lang, api, 16384)
        if not (small or big or fig.errors("send", lang=lang, api=api)):
            continue
        peer = OFFICIAL.get(lang)
        r1 = fx(ratio(small, fig.send(peer, "single", 256))) if peer else "—"
        r2 = fx(ratio(big, fig.send(peer, "single", 16384))) if peer else "—"
        lines.append(f"| {LANG_NAMES[lang]} | {how} | {fmt(small)} | {r1} | {fmt(big)} | {r2} |"
                     + failures(fig, "send", lang=lang, api=api))
    mb = fig.send("rust", "single", 16384)
    if mb:
        lines += ["", f"16 KiB at {mb.median:,.0f} msg/s is {mb.median * 16384 / 1e6:,.0f} MB/s of payload through TLS "
                      "and into the hub's store."]
    return lines + [""]


def section_latency(fig: Figures) -> list:
    lat = fig.ok("latency")
    rate = lat[0]["rate"] if lat else 500
    n = lat[0]["messages"] if lat else 0
    lines = [
        "## 2. Routed latency",
        "",
        f"Module A sends to an output routed to module B's input, {rate} messages a second (each send",
        f"starts on schedule, not after the previous acknowledgement), 256 B; {n:,} messages per",
        "repetition after 200 of warm-up. Both clients live in one process, so one clock stamps",
        "both ends. Figures: median of the repetitions' percentiles (spread in brackets).",
        "",
        "| sender → receiver | p50 | p99 | p99.9 | official p50 | official p99 | official p99.9 | p99: official / ours |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lang in ("rust", "python", "node"):
        ours = [fig.latency(lang, k) for k in ("p50_us", "p99_us", "p999_us")]
        peer = OFFICIAL.get(lang)
        off = [fig.latency(peer, k) for k in ("p50_us", "p99_us", "p999_us")] if peer else [None] * 3
        name = LANG_NAMES[lang]
        cells = [fmt(s, " ms", 2, 1000) for s in ours] + (
            [fmt(s, " ms", 2, 1000) for s in off] + [fx(ratio(ours[1], off[1], inverse=True))] if peer else ["—"] * 4)
        lines.append(f"| {name} → {name} | " + " | ".join(cells) + " |" + failures(fig, "latency", lang=lang))
    for broker, label in (("hub", "no module client: raw MQTT → edgemodule-hub route → raw MQTT"),
                          ("mosquitto", "no module client: raw MQTT → mosquitto → raw MQTT")):
        s = [fig.broker("broker_latency", broker, k) for k in ("p50_us", "p99_us", "p999_us")]
        if s[0]:
            lines.append(f"| {label} (1,000 msg/s) | " + " | ".join(fmt(x, " ms", 2, 1000) for x in s)
                         + " | | | | |")
    return lines + [""]


def section_memory(fig: Figures) -> list:
    mem = fig.ok("memory")
    n = mem[0]["messages"] if mem else 0
    lines = [
        "## 3. Memory and installed size",
        "",
        f"Resident set size (VmRSS) of the whole process: before the client library is loaded (bare",
        f"runtime), connected and idle for 2 s, and after sending {n:,} messages of 256 B (100 in",
        "flight); peak is VmHWM. One run per language. Ratio: ours / official (lower is better).",
        "",
        "| language | bare runtime | idle connected | after messages | peak | idle: ours / official | after: ours / official |",
        "|---|---|---|---|---|---|---|",
    ]
    for lang in ("rust", "c", "python", "python-official", "node", "node-official", "dotnet", "java"):
        cells = [fig.memory(lang, k) for k in ("bare_rss_kib", "idle_rss_kib", "after_rss_kib", "peak_rss_kib")]
        if not (cells[1] or fig.errors("memory", lang=lang)):
            continue
        peer = OFFICIAL.get(lang)
        r = [fx(ratio(fig.memory(lang, k), fig.memory(peer, k))) if peer else "—"
             for k in ("idle_rss_kib", "after_rss_kib")]
        lines.append(f"| {LANG_NAMES[lang]} | " + " | ".join(fmt(c, " MiB", 1, 1024) for c in cells)
                     + f" | {r[0]} | {r[1]} |" + failures(fig, "memory", lang=lang))
    lines += ["", "What a user installs:", "", "| artefact | edgemodule | official | ours / official |",
              "|---|---|---|---|"]
    for row in fig.rows["sizes"]:
        off = row.get("official_bytes")
        r = fx(row["ours_bytes"] / off) if off else "—"
        offs = f"{off / 1048576:,.1f} MiB" if off else "—"
        note = f" ({row['note']})" if row.get("note") else ""
        lines.append(f"| {row['what']}{note} | {row['ours_bytes'] / 1048576:,.1f} MiB | {offs} | {r} |")
    return lines + [""]


def section_reconnect(fig: Figures) -> list:
    lines = [
        "## 4. Reconnect",
        "",
        "A module sends one message at a time (10 ms apart); the hub is stopped (SIGTERM) and started",
        "again with the same state. Figure: from the moment the restarted hub accepts connections to",
        "the first acknowledgement the module receives after that (milliseconds, wall clock). Every",
        "client runs with its SDK's default retry policy.",
        "",
        "| language | edgemodule | official | official / ours |",
        "|---|---|---|---|",
    ]
    for lang in ("rust", "python", "node"):
        ours, peer = fig.reconnect(lang), fig.reconnect(OFFICIAL[lang]) if lang in OFFICIAL else None
        r = fx(ratio(ours, peer, inverse=True), 1) if lang in OFFICIAL else "—"
        peer_s = fmt(peer, " ms") + failures(fig, "reconnect", lang=OFFICIAL[lang]) if lang in OFFICIAL else "—"
        lines.append(f"| {LANG_NAMES[lang]} | {fmt(ours, ' ms')}{failures(fig, 'reconnect', lang=lang)} | {peer_s} | {r} |")
    down = [r["hub_down_ms"] for r in fig.ok("reconnect")]
    if down:
        lines += ["", f"The hub was down for {min(down):,.0f}–{max(down):,.0f} ms per restart."]
    return lines + [""]


def section_broker(fig: Figures) -> list:
    rows = fig.ok("broker_throughput")
    if not rows:
        return []
    h = fig.broker("broker_throughput", "hub", "msgs_per_sec")
    m = fig.broker("broker_throughput", "mosquitto", "msgs_per_sec")
    lines = [
        "## 5. Hub vs mosquitto",
        "",
        f"Sender → receiver through the broker, 256 B, QoS 1, {rows[0]['messages']:,} messages a run, 500 in",
        "flight, raw MQTT clients (rumqttc) in one process. edgemodule-hub: TLS, SAS tokens, the route",
        "`FROM /messages/modules/sender/outputs/out1 INTO BrokeredEndpoint(…/receiver/inputs/in1)`,",
        "each message stored in SQLite before its PUBACK; mosquitto 2.0 (Debian): plain TCP, no",
        "persistence, same QoS.",
        "",
        "| | edgemodule-hub | mosquitto | hub / mosquitto |",
        "|---|---|---|---|",
        f"| routed msgs/s | {fmt(h)} | {fmt(m)} | {fx(ratio(h, m))} |",
    ]
    for key, label in (("p50_us", "p50 latency at full load"), ("p99_us", "p99 latency at full load")):
        lines.append(f"| {label} | {fmt(fig.broker('broker_throughput', 'hub', key), ' ms', 1, 1000)} | "
                     f"{fmt(fig.broker('broker_throughput', 'mosquitto', key), ' ms', 1, 1000)} | |")
    for key, label in (("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9")):
        lines.append(f"| {label} latency at 1,000 msg/s | "
                     f"{fmt(fig.broker('broker_latency', 'hub', key), ' ms', 2, 1000)} | "
                     f"{fmt(fig.broker('broker_latency', 'mosquitto', key), ' ms', 2, 1000)} | |")
    return lines + [""]


def section_profiles(fig: Figures) -> list:
    profs = fig.rows["profiles"]
    if not profs:
        return []
    lines = [
        "## Where the time goes (targets missed)",
        "",
        "For every target missed above, `make bench` ran that case once more under `perf record`",
        "(both the benchmark process and the hub, 499 Hz, 3 s after a 2 s warm-up) and, for Python,",
        "`py-spy`. *Cores* is CPU time per second of wall time (this machine has 2). Percentages are",
        "shares of that process's samples.",
        "",
    ]
    for p in profs:
        lines += [f"### {LANG_NAMES.get(p['lang'], p['lang'])} {p['kind']} (target `{p['target']}`)", ""]
        if "error" in p:
            lines += [f"Profile failed: {p['error']}", ""]
            continue
        for proc in p["processes"]:
            threads = ", ".join(f"{r[1]} {r[0]:.0f} %" for r in proc["threads"])
            libs = ", ".join(f"{r[1]} {r[0]:.0f} %" for r in proc["libraries"])
            lines += [f"- **{proc['name']}**: {proc['cores']:.2f} cores. Threads: {threads}. Code: {libs}."]
            syms = "; ".join(f"`{r[-1][:70]}` {r[0]:.1f} %" for r in proc["symbols"][:8])
            lines += [f"  Hottest symbols: {syms}."]
        if p.get("python_frames"):
            frames = "; ".join(f"`{f}` {pct:.0f} %" for pct, f in p["python_frames"][:8])
            lines += [f"- **Python frames** (py-spy, own time): {frames}."]
        lines.append("")
    return lines


def analysis(fig: Figures) -> list:
    """Plain statements derived from this run's figures (no numbers typed by hand)."""
    out = []
    hub_cores = {}
    for p in fig.rows["profiles"]:
        if "error" in p:
            continue
        cores = {q["name"]: q["cores"] for q in p["processes"]}
        hub_cores[(p["lang"], p["kind"])] = cores
    if hub_cores:
        out += ["Reading the profiles: on 2 cores the benchmark process and the hub share the machine, so",
                "a client that spends a core on its own runtime leaves the hub one core. "]
        for (lang, kind), c in hub_cores.items():
            out[-1] += (f"{LANG_NAMES.get(lang, lang)} {kind}: client {c.get('client', 0):.2f} cores, "
                        f"hub {c.get('hub', 0):.2f} cores. ")
        out.append("")
    return out


def chart(fig: Figures, path: Path) -> None:
    fig_, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5.2))
    names, values, colors = [], [], []
    for lang, api, _ in SEND_ROWS:
        s = fig.send(lang, api, 256)
        if s:
            names.append(LANG_NAMES[lang].split(" (")[0] + ("" if api == "single" else " batch"))
            values.append(s.median)
            colors.append("#9a9a9a" if lang.endswith("official") else "#2b7bba")
    ax1.barh(names[::-1], values[::-1], color=colors[::-1])
    for i, v in enumerate(values[::-1]):
        ax1.text(v, i, f" {v:,.0f}", va="center", fontsize=8)
    ax1.set_xlabel("msg/s, 256 B, QoS 1, every PUBACK awaited")
    ax1.set_title("Send throughput (grey: official SDKs)")
    ax1.set_xlim(0, max(values or [1]) * 1.25)

    bars = []  # (label, ratio, goal) with > 1 better
    for lang in ("python", "node"):
        for size in (256, 16384):
            _, ours = fig.send_best(lang, size)
            goal = 10 if lang == "python" else 5
            bars.append((f"{lang} send {size if size < 1024 else '16K'}\nvs official", ratio(ours, fig.send(
                OFFICIAL[lang], "single", size)), goal))
        for key, label in (("idle_rss_kib", "idle"), ("after_rss_kib", "after")):
            goal = 2 if lang == "python" else None
            bars.append((f"{lang} RSS {label}\n(official / ours)", ratio(fig.memory(lang, key), fig.memory(
                OFFICIAL[lang], key), inverse=True), goal))
    bars.append(("hub vs\nmosquitto", ratio(fig.broker("broker_throughput", "hub", "msgs_per_sec"),
                                             fig.broker("broker_throughput", "mosquitto", "msgs_per_sec")), 0.5))
    bars = [b for b in bars if b[1] is not None]
    ys = list(range(len(bars)))[::-1]
    ax2.barh(ys, [b[1] for b in bars],
             color=["#2b7bba" if b[2] is None or b[1] >= b[2] else "#d9534f" for b in bars])
    for y, (label, r, goal) in zip(ys, bars):
        ax2.text(r, y, f" {r:.1f}×", va="center", fontsize=8)
        if goal:
            ax2.plot([goal, goal], [y - 0.4, y + 0.4], color="black", linewidth=2)
    ax2.set_yticks(ys)
    ax2.set_yticklabels([b[0] for b in bars], fontsize=8)
    ax2.axvline(1.0, color="grey", linewidth=0.8, linestyle=":")
    ax2.set_xlabel("ratio, > 1 = edgemodule better (black tick: target; red: missed)")
    ax2.set_title("edgemodule vs peers, same run")
    fig_.tight_layout()
    fig_.savefig(path, dpi=100)


def main(results: Path, docs: Path) -> None:
    fig = Figures(results)
    run = fig.run
    started = datetime.datetime.fromtimestamp(run.get("started", 0), datetime.timezone.utc)
    minutes = (run.get("finished", 0) - run.get("started", 0)) / 60
    load = run.get("loadavg_start", [0, 0, 0])
    versions = ", ".join([
        version(["rustc", "--version"]).split(" (")[0], "Python " + version(["python3", "-c",
                                                                           "import platform;print(platform.python_version())"]),
        "Node " + version(["node", "--version"]), version(["mono", "--version"]).split(" (")[0],
        version(["java", "-version"]).replace('"', ""), version(["/usr/sbin/mosquitto", "-h"]).split(" is ")[0],
    ])
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (bench/run.sh → bench/measure.py → bench/report.py); never edited",
        "by hand. Raw results: bench/results/*.jsonl (one JSON line per measured run).",
        "",
        f"- **Run**: {started:%Y-%m-%d %H:%M} UTC, {minutes:.1f} min of measurement, {run.get('reps', '?')} "
        f"repetitions{' (QUICK mode: shortened runs)' if run.get('quick') else ''}; load average "
        f"{load[0]:.2f} at the start, {run.get('loadavg_end', [0])[0]:.2f} at the end.",
        f"- **Machine**: {machine()}.",
        f"- **Software**: {versions}.",
        "- **Method**: one `edgemodule-hub` (release build) on 8883/443 inside a private network",
        "  namespace, one mosquitto; every client, ours and official, connects to it the way an IoT",
        "  Edge module does (the `IOTEDGE_*` environment: SAS tokens signed by the workload API, MQTT",
        "  over TLS). Each figure is the median of this run's repetitions with the spread (min–max) in",
        "  brackets; every ratio compares two figures of this same run. Clients, hub and broker share",
        "  the machine's 2 cores.",
        "",
        "![edgemodule vs peers](benchmarks.png)",
        "",
        "## Targets (issue 9)",
        "",
        *targets_table(fig),
        "",
        *section_send(fig),
        *section_latency(fig),
        *section_memory(fig),
        *section_reconnect(fig),
        *section_broker(fig),
        *section_profiles(fig),
        *analysis(fig),
        "## Reproduce",
        "",
        "```sh",
        "make bench                        # builds (release), installs the pinned official SDKs into",
        "                                  # bench/.venv and bench/node/node_modules, measures, writes this page",
        "BENCH_REPS=5 make bench           # more repetitions (default 3)",
        "BENCH_QUICK=1 BENCH_REPS=1 make bench                 # a short run while developing",
        "BENCH_ONLY=send,latency BENCH_QUICK=1 make bench      # some sections only",
        "```",
        "",
        "Each language's measurement program is one file: `bench/src/` (Rust), `bench/c/bench.c`,",
        "`bench/python/bench.py` and `bench/node/bench.js` (ours and official),",
        "`bench/dotnet/Bench.cs`, `bench/java/Bench.java`. Run as root (the hub needs port 443 and",
        "`unshare --net`); other work on the machine disturbs the timings, so measure on a quiet one.",
        "",
    ]
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "benchmarks.md").write_text("\n".join(lines))
    chart(fig, docs / "benchmarks.png")
    print("\n".join(["", "bench: targets (issue 9) — full report in docs/benchmarks.md", ""] + targets_table(fig)))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
