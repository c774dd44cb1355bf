"""Where the time goes in one benchmark case: `perf` samples of the benchmark process and the
hub together (CPU used by each, by thread, by library, hottest symbols), plus `py-spy` for the
Python frames of a Python client. Used by measure.py for every target that was missed.
"""

import collections
import re
import shutil
import subprocess
import time
from pathlib import Path

FREQ = 499  # Hz: few enough samples to stay cheap, enough for a 1 % resolution
ROW = re.compile(r"^\s*([\d.]+)%\s+(.*?)\s*$")


def report(data: Path, pid: int, sort: str, limit: float) -> list:
    """`perf report` rows for one process: [(percent of its samples, columns…)]."""
    out = subprocess.run(
        ["perf", "report", "-i", str(data), "--no-children", "--pid", str(pid), "--sort", sort, "--stdio",
         "-g", "none", "--percentage", "relative", "--percent-limit", str(limit)],
        capture_output=True, text=True, timeout=120).stdout
    rows = []
    for line in out.splitlines():
        m = ROW.match(line)
        if m and not line.startswith("#"):
            cols = [c for c in re.split(r"\s{2,}", m.group(2)) if c]
            cols = [re.sub(r"^\[[.k]\] ", "", c).replace(" (deleted)", "") for c in cols]
            rows.append([float(m.group(1))] + cols)
    return rows


def samples_per_pid(data: Path) -> collections.Counter:
    out = subprocess.run(["perf", "script", "-i", str(data), "-F", "pid"], capture_output=True, text=True,
                         timeout=120).stdout
    return collections.Counter(int(x) for x in out.split())


def pyspy(argv: list, env: dict, cwd: Path, warm: float, secs: float) -> list:
    """Python functions by own time (leaf frames of py-spy's samples, idle excluded)."""
    exe = Path(argv[0]).parent / "py-spy"
    if not exe.exists():
        return []
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=str(cwd))
    try:
        time.sleep(warm)
        raw = cwd / f"pyspy-{proc.pid}.txt"
        subprocess.run([str(exe), "record", "--pid", str(proc.pid), "--duration", str(int(secs)), "--rate", "200",
                        "--format", "raw", "--output", str(raw), "--nonblocking"],
                       capture_output=True, timeout=secs + 60)
        own = collections.Counter()
        for line in raw.read_text().splitlines() if raw.exists() else []:
            stack, _, count = line.rpartition(" ")
            leaf = stack.split(";")[-1]
            own[re.sub(r" \((?:/[^)]*/)?([^/)]*)\)", r" (\1)", leaf)] += int(count)
        total = sum(own.values()) or 1
        return [[round(100 * n / total, 1), frame] for frame, n in own.most_common(12)]
    finally:
        proc.kill()
        proc.wait()


def profile(argv: list, hub_pid: int, env: dict, cwd: Path, python: bool = False, warm: float = 2.0,
            secs: float = 3.0) -> dict:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=str(cwd))
    data = cwd / f"perf-{proc.pid}.data"
    try:
        time.sleep(warm)
        if proc.poll() is not None:
            raise RuntimeError(f"the case ended before profiling: {proc.stderr.read()[-300:]}")
        rec = subprocess.run(["perf", "record", "-F", str(FREQ), "-g", "-p", f"{proc.pid},{hub_pid}", "-o", str(data),
                              "--", "sleep", str(secs)], capture_output=True, text=True, timeout=secs + 60)
        if not data.exists():
            raise RuntimeError(f"perf record failed: {rec.stderr[-300:]}")
    finally:
        proc.kill()
        proc.wait()
    counts = samples_per_pid(data)
    processes = []
    for name, pid in (("client", proc.pid), ("hub", hub_pid)):
        processes.append({
            "name": name,
            "cores": round(counts.get(pid, 0) / (FREQ * secs), 2),
            "threads": report(data, pid, "comm", 2.0)[:6],
            "libraries": report(data, pid, "dso", 2.0)[:6],
            "symbols": report(data, pid, "dso,sym", 1.0)[:14],
        })
    result = {"seconds": secs, "frequency": FREQ, "processes": processes}
    if python and shutil.which("perf"):
        result["python_frames"] = pyspy(argv, env, cwd, warm, secs)
    return result
