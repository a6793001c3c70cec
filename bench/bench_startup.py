"""Start-up cost: `crm --help` and `crm list --json` on an empty database.

Baseline: a bare `python -c "import click, peewee"` (the floor the issue names, ~80 ms here).
vobject and rapidfuzz must not be imported on these paths; this script also checks that.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CRM, crm_env, measure_cpu, median_min, scratch  # noqa: E402

RUNS = 21


def timed(commands: list[list[str]], env=None) -> list[tuple[list[float], list[float]]]:
    """(wall seconds, CPU seconds) of each run of each command. The commands take turns, run
    after run, so a change of load on this shared machine falls on the baseline and on crm
    alike: the ratio of their medians is then robust where two blocks of runs were not."""
    results: list[tuple[list[float], list[float]]] = [([], []) for _ in commands]
    for _ in range(RUNS):
        for cmd, (walls, cpus) in zip(commands, results):
            wall, _mb, cpu = measure_cpu(cmd, env)
            walls.append(wall)
            cpus.append(cpu)
    return results


def main() -> None:
    db = scratch("startup.db")
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    env = crm_env(db)
    subprocess.run(CRM + ["list", "--json"], env=env, stdout=subprocess.DEVNULL, check=True)  # create it
    subprocess.run(CRM + ["--help"], env=env, stdout=subprocess.DEVNULL, check=True)  # write the .pyc files
    runs = [["--help"], ["list", "--json"]]
    (floor, floor_cpu), *measured = timed([[sys.executable, "-c", "import click, peewee"]]
                                          + [CRM + args for args in runs], env)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {RUNS} runs each, taking turns")
    print(f"baseline  import click, peewee : {median_min(floor)}, cpu {statistics.median(floor_cpu) * 1000:.0f} ms")
    for args, (samples, cpus) in zip(runs, measured):
        ratio = statistics.median(samples) / statistics.median(floor)
        cpu_ratio = statistics.median(cpus) / statistics.median(floor_cpu)
        target = " (target <= 1.15x)" if args == ["--help"] else ""
        print(f"crm {' '.join(args):<22}: {median_min(samples)}, cpu {statistics.median(cpus) * 1000:.0f} ms"
              f"  ({ratio:.2f}x baseline, {cpu_ratio:.2f}x cpu){target}")
    sys.stdout.flush()
    probe = (
        "import sys; sys.argv=['crm','list','--json']\n"
        "from crm.cli import cli\n"
        "try:\n    cli(prog_name='crm')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('vobject', 'rapidfuzz') if m in sys.modules]\n"
        "sys.stderr.write('heavy modules loaded: %s\\n' % (heavy or 'none'))\n"
    )
    subprocess.run([sys.executable, "-c", probe], env=env, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
