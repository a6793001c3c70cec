"""Helpers shared by the benchmarks: scratch files, timing whole processes with their peak memory."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# CRM_BENCH_DIR: where the big databases are built and cached (e.g. /tmp, shared across worktrees).
OUT = Path(os.environ.get("CRM_BENCH_DIR") or ROOT / "bench" / "out")
CRM = [sys.executable, "-m", "crm"]

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "e = time.perf_counter() - t\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:] if r.returncode else '')\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(e, u.ru_maxrss / 1024, r.returncode, u.ru_utime + u.ru_stime)\n"
)


def scratch(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT / name


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run `cmd` as its own process: (wall seconds, peak RSS in MB of that process alone)."""
    seconds, mb, _cpu = measure_cpu(cmd, env)
    return seconds, mb


def measure_cpu(cmd: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds: user + system) of `cmd` as its own process.
    On a machine shared with other work, CPU time is what the process itself cost; wall time
    also counts the time it waited for a core."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, capture_output=True, text=True)
    seconds, mb, rc, cpu = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} exited {rc}: {out.stderr}")
    return float(seconds), float(mb), float(cpu)


def crm_env(db: Path) -> dict:
    """The environment for timed runs: the database, and bytecode caching on. An installed crm
    has its .pyc files (pip compiles them); with PYTHONDONTWRITEBYTECODE set, as on some CI and
    sandboxes, every run would compile crm's sources again while click and peewee, the
    baseline, load compiled."""
    env = dict(os.environ, CRM_DB=str(db))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def median_min(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.0f} ms, min {min(samples) * 1000:.0f} ms"
