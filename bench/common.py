"""Helpers shared by the benchmarks: scratch files, timing whole processes with their peak memory."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CRM = [sys.executable, "-m", "crm"]

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "e = time.perf_counter() - t\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:] if r.returncode else '')\n"
    "print(e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.returncode)\n"
)


def scratch(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    return OUT / name


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run `cmd` as its own process: (wall seconds, peak RSS in MB of that process alone)."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, capture_output=True, text=True)
    seconds, mb, rc = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} exited {rc}: {out.stderr}")
    return float(seconds), float(mb)


def crm_env(db: Path) -> dict:
    return dict(os.environ, CRM_DB=str(db))


def median_min(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.0f} ms, min {min(samples) * 1000:.0f} ms"
