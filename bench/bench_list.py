"""`crm list` on a terminal at 100k contacts: how soon the first screen is in the pager.

Issue 15: `crm list` on a terminal shows the first screen at once, through a pager as git does,
instead of printing all 100k rows first. Timed here as whole processes on a pseudo-terminal,
with bench_today.py's database (built and cached by it), next to a bare
`python -c "import click, peewee"` measured in the same run:

- first screen: from starting `crm list` until its pager has read a screenful (50 lines);
- quit: from starting until `crm list` has exited, when that pager quits after the first screen
  (as `q` in less does): the rest of the book is not read;
- whole: `crm --no-pager list > file`, every row, for scale.

Target: the first screen within 3x the baseline (the bar `crm today` has), and quitting as
quick. A pager that waited for the whole listing would take the `whole` figure.

    python bench/bench_list.py
"""
from __future__ import annotations

import os
import pty
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_today import database  # noqa: E402
from common import CRM, crm_env, measure_cpu  # noqa: E402

RUNS = 7
SCREEN = 50
RATIO = 3.0

# The pager: read a screenful, note the time, quit.
PAGER = (
    f"{sys.executable} -c \"import sys, time; [sys.stdin.readline() for _ in range({SCREEN})]; "
    "open(sys.argv[1], 'w').write(repr(time.time()))\" {stamp}"
)


def on_a_terminal(env: dict, stamp: Path) -> tuple[float, float]:
    """(seconds to the first screen, seconds to crm's exit) of one `crm list` on a pty."""
    leader, follower = pty.openpty()
    env = dict(env, CRM_PAGER=PAGER.format(stamp=stamp))
    stamp.unlink(missing_ok=True)
    started = time.time()
    proc = subprocess.Popen(CRM + ["list"], stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=env)
    os.close(follower)
    _, err = proc.communicate(timeout=120)
    ended = time.time()
    os.close(leader)
    if proc.returncode != 0 or not stamp.exists():
        raise SystemExit(f"crm list on a terminal exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return float(stamp.read_text()) - started, ended - started


def main() -> None:
    path = database(rebuild=False)
    env = crm_env(path)
    env.pop("LESS", None)
    subprocess.run(CRM + ["list", "--json"], env=env, stdout=subprocess.DEVNULL, check=True)  # migrate once
    stamp = path.with_name("bench-list-stamp")
    floor, first, quit_, whole = [], [], [], []
    for _ in range(RUNS):  # taking turns, so a change of load falls on all alike
        floor.append(measure_cpu([sys.executable, "-c", "import click, peewee"], env)[0])
        screen, done = on_a_terminal(env, stamp)
        first.append(screen)
        quit_.append(done)
    for _ in range(3):
        whole.append(measure_cpu(CRM + ["--no-pager", "list"], env)[0])
    stamp.unlink(missing_ok=True)
    base = statistics.median(floor)
    print(f"crm list at 100k contacts; {RUNS} runs; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"baseline: import click, peewee   median {base * 1000:5.0f} ms")
    for label, samples, target in (
        (f"first screen ({SCREEN} lines) in the pager", first, RATIO),
        ("crm exits when the pager quits", quit_, RATIO),
        ("whole listing, --no-pager", whole, None),
    ):
        median = statistics.median(samples)
        line = f"{label:<38} median {median * 1000:5.0f} ms  {median / base:5.2f}x baseline"
        if target is not None:
            line += f"  target <= {target}x: " + ("ok" if median / base <= target else "OVER")
        print(line)


if __name__ == "__main__":
    main()
