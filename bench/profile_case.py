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
SAMPLE = re.compile(r"^\s*(.+?)\s+(\d+)\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")


def samples(data: Path) -> list:
    """[(pid, thread name, library, symbol)] for every sample `perf record` took."""
    out = subprocess.run(["perf", "script", "-i", str(data), "-F", "comm,pid,ip,sym,dso", "-G"],
                         capture_output=True, text=True, timeout=300).stdout
    rows = []
    for line in out.splitlines():
        m = SAMPLE.match(line)
        if m:
            dso = Path(m.group(4).replace(" (deleted)", "")).name
            rows.append((int(m.group(2)), m.group(1), dso, m.group(3)))
    return rows


def shares(rows: list, key, limit: float, top: int) -> list:
    """[[percent, label…]] of the most frequent keys, at least `limit` percent each."""
    counts = collections.Counter(key(r) for r in rows)
    total = sum(counts.values()) or 1
    out = []
    for label, n in counts.most_common(top):
        if 100 * n / total >= limit:
            out.append([round(100 * n / total, 1), *(label if isinstance(label, tuple) else (label,))])
    return out


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
            leaf = stack.split(";")[-1].strip()
            if not leaf:
                continue
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
        rec = subprocess.run(["perf", "record", "-F", str(FREQ), "-p", f"{proc.pid},{hub_pid}", "-o", str(data),
                              "--", "sleep", str(secs)], capture_output=True, text=True, timeout=secs + 60)
        if not data.exists():
            raise RuntimeError(f"perf record failed: {rec.stderr[-300:]}")
    finally:
        proc.kill()
        proc.wait()
    rows = samples(data)
    processes = []
    for name, pid in (("client", proc.pid), ("hub", hub_pid)):
        mine = [r for r in rows if r[0] == pid]
        processes.append({
            "name": name,
            "cores": round(len(mine) / (FREQ * secs), 2),
            "threads": shares(mine, lambda r: r[1], 2.0, 6),
            "libraries": shares(mine, lambda r: r[2], 2.0, 6),
            "symbols": shares(mine, lambda r: (r[2], r[3]), 1.0, 14),
        })
    result = {"seconds": secs, "frequency": FREQ, "processes": processes}
    if python and shutil.which("perf"):
        result["python_frames"] = pyspy(argv, env, cwd, warm, secs)
    return result
