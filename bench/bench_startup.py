"""Start-up cost: `crm --help` and `crm list --json` on an empty database.

Baseline: a bare `python -c "import click, peewee"` (the floor the issue names, ~80 ms here).
vobject and rapidfuzz must not be imported on these paths; this script also checks that.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CRM, crm_env, median_min, scratch  # noqa: E402

RUNS = 15


def timed(cmd: list[str], env=None) -> list[float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    db = scratch("startup.db")
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    env = crm_env(db)
    subprocess.run(CRM + ["list", "--json"], env=env, stdout=subprocess.DEVNULL, check=True)  # create it
    floor = timed([sys.executable, "-c", "import click, peewee"])
    print(f"baseline  import click, peewee : {median_min(floor)}")
    for args in (["--help"], ["list", "--json"]):
        samples = timed(CRM + args, env)
        ratio = (sorted(samples)[RUNS // 2]) / (sorted(floor)[RUNS // 2])
        print(f"crm {' '.join(args):<22}: {median_min(samples)}  ({ratio:.2f}x baseline)")
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
