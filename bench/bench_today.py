"""The everyday commands on a big database, timed as whole processes, next to a baseline.

Targets (issue 15), with 100k contacts and 1M touchpoints, medians of whole processes against a
bare `python -c "import click, peewee"` measured in the same run: `crm today --json` <= 0.25 s
and <= 3x the baseline, <= 80 MB; `crm calendar --days 14` <= 0.6 s; `crm review --weeks 52
--json` <= 0.5 s; `crm list --json` <= 2 s and <= 100 MB; `crm log` < 0.3 s. Absolute times
drift by +-30% on these shared machines: the ratio to the baseline is the figure to compare.

The database is built once (seeded, raw executemany SQL) and cached under bench/out/: 100k
contacts, most of them role `other` as from an address-book import and 20k with roles;
1M touchpoints over three years, 80% of them with the 20k (the worst case for the engine,
which summarises every keep-warm contact's log); 200 applications with rounds, interviewers
and outcomes; 300 general offers and 60 congratulations.

    python bench/bench_today.py              # build if needed, then time
    python bench/bench_today.py --rebuild    # build afresh
    python bench/bench_today.py --profile    # where the time goes, in-process
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CRM, ROOT, crm_env, measure_cpu, scratch  # noqa: E402

sys.path.insert(0, str(ROOT))

CONTACTS = 100_000
WITH_ROLES = 20_000
TOUCHES = 1_000_000
APPLICATIONS = 200
GENERAL_OFFERS = 300
CONGRATULATIONS = 60
INTERESTS = 60
ON = date(2026, 3, 2)  # the day `crm today --on` asks about; the log runs up to it
YEARS = 3
RUNS = 7
SEED = 20260302
VERSION = 6  # bump when the generated data or the schema changes, so a stale cache is rebuilt (6: m012)
KINDS_OUT = ["check-in", "value-offer", "message", "message", "call", "meeting", "thank-you", "status-check",
             "introduction", "congratulate", "note", "connect"]
KINDS_IN = ["message", "message", "call", "meeting", "note"]
ROLE_MIX = ["recruiter"] * 6 + ["interviewer"] * 4 + ["hiring-manager"] * 2 + ["referrer"] + ["mentor"] + ["peer"] * 6
FIRST = ["Ada", "Ben", "Chloé", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Mo", "Nia", "Oto", "Pia"]
LAST = ["Ng", "Smith", "Okafor", "Müller", "García", "Kowalski", "Tanaka", "Singh", "Rossi", "Dubois", "Novak", "Berg"]


def build(path: Path) -> None:
    """Write the benchmark database at `path` (any old one is replaced)."""
    from crm.store.db import open_database

    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    rng = random.Random(SEED)
    from crm.store.migrations import MIGRATIONS
    from crm.store.summary import rebuild

    db = open_database(path, applied_at="2026-01-01T00:00:00")
    conn = db.connection()
    # The summaries' triggers cost a few index walks per row: for a million rows at once, drop
    # them, and build the summaries afterwards as the migration does on an existing log.
    triggers = [s for m in MIGRATIONS for s in m.statements if s.lstrip().startswith("CREATE TRIGGER")]
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    start = ON - timedelta(days=365 * YEARS)
    stamp = "2023-01-01T09:00:00"

    def day(lo: date = start, hi: date = ON) -> date:
        return lo + timedelta(days=rng.randrange((hi - lo).days + 1))

    with db.atomic():
        conn.executemany(
            "INSERT INTO organisation (id, name, name_key) VALUES (?, ?, ?)",
            ((i, f"Org {i}", f"org {i}") for i in range(1, 5001)),
        )
        conn.executemany(
            "INSERT INTO interest (id, name, name_key) VALUES (?, ?, ?)", ((i, f"topic{i}", f"topic{i}") for i in range(1, INTERESTS + 1))
        )
        contacts = []
        for cid in range(1, CONTACTS + 1):
            role = ROLE_MIX[rng.randrange(len(ROLE_MIX))] if cid <= WITH_ROLES else "other"
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {cid}"
            created = day(start, ON - timedelta(days=30)).isoformat() + "T09:00:00"
            cadence = rng.choice((30, 45, 120)) if rng.random() < 0.02 else None
            contacts.append((cid, name, name.lower(), rng.randrange(1, 5001), role, created, created, cadence,
                             1 if rng.random() < 0.005 else 0))
        conn.executemany(
            "INSERT INTO contact (id, display_name, name_key, organisation_id, role, created_at, updated_at,"
            " cadence_days, paused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            contacts,
        )
        conn.executemany(
            "INSERT INTO contact_method (contact_id, medium, value, norm) VALUES (?, 'email', ?, ?)",
            ((cid, f"p{cid}@example.org", f"p{cid}@example.org") for cid in range(1, CONTACTS + 1)),
        )
        links = {(rng.randrange(1, WITH_ROLES + 1), rng.randrange(1, INTERESTS + 1)) for _ in range(30_000)}
        conn.executemany("INSERT INTO contact_interest (contact_id, interest_id) VALUES (?, ?)", sorted(links))

        recruiters = [c[0] for c in contacts[:WITH_ROLES] if c[4] == "recruiter"]
        interviewers = [c[0] for c in contacts[:WITH_ROLES] if c[4] in ("interviewer", "hiring-manager")]
        round_id = 0
        for aid in range(1, APPLICATIONS + 1):
            created = day(ON - timedelta(days=400), ON - timedelta(days=10))
            decided = rng.random() < 0.7
            outcome = rng.choice(("rejected", "rejected", "offer", "withdrawn", "closed")) if decided else None
            outcome_on = (created + timedelta(days=rng.randrange(20, 60))).isoformat() if decided else None
            conn.execute(
                "INSERT INTO application (id, organisation_id, position, recruiter_id, reply_by, outcome,"
                " outcome_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (aid, rng.randrange(1, 5001), f"Engineer {aid}", rng.choice(recruiters), None, outcome, outcome_on,
                 created.isoformat() + "T09:00:00"),
            )
            for number in range(1, rng.randrange(2, 5)):
                round_id += 1
                on = created + timedelta(days=7 * number)
                reply_by = (on + timedelta(days=7)).isoformat() if rng.random() < 0.5 else None
                conn.execute(
                    'INSERT INTO interview_round (id, application_id, number, "on", reply_by) VALUES (?, ?, ?, ?, ?)',
                    (round_id, aid, number, on.isoformat() + "T10:00", reply_by),
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO round_interviewer (round_id, contact_id) VALUES (?, ?)",
                    ((round_id, rng.choice(interviewers)) for _ in range(rng.randrange(1, 4))),
                )
        for oid in range(1, GENERAL_OFFERS + CONGRATULATIONS + 1):
            general = oid <= GENERAL_OFFERS
            conn.execute(
                'INSERT INTO offer (id, kind, title, url, for_contact_id, "on", created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
                (oid, rng.choice(("article", "event", "resource")) if general else "congratulation", f"Offer {oid}",
                 f"https://example.org/{oid}", None if general else rng.randrange(1, WITH_ROLES + 1),
                 day(ON - timedelta(days=300)).isoformat(), stamp),
            )
            if general:
                conn.executemany(
                    "INSERT OR IGNORE INTO offer_interest (offer_id, interest_id) VALUES (?, ?)",
                    ((oid, rng.randrange(1, INTERESTS + 1)) for _ in range(rng.randrange(1, 4))),
                )

        def touches():
            for n in range(TOUCHES):
                if n % 5:
                    cid = rng.randrange(1, WITH_ROLES + 1)
                else:
                    cid = rng.randrange(WITH_ROLES + 1, WITH_ROLES + 20_001)
                out = rng.random() < 0.6
                kind = rng.choice(KINDS_OUT if out else KINDS_IN)
                when = day().isoformat()
                if rng.random() < 0.3:
                    when += f"T{rng.randrange(8, 19):02d}:{rng.randrange(60):02d}"
                offer = rng.randrange(1, GENERAL_OFFERS + 1) if kind == "value-offer" else None
                yield cid, when, kind, "out" if out else "in", offer, stamp

        conn.executemany(
            'INSERT INTO touchpoint (contact_id, "on", kind, direction, offer_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
            touches(),
        )
        rebuild(conn)
        for statement in triggers:
            conn.execute(statement)
    db.execute_sql("ANALYZE")
    db.close()


def database(rebuild: bool) -> Path:
    path = scratch(f"today-v{VERSION}.db")
    if rebuild or not path.exists():
        t = time.perf_counter()
        tmp = path.with_name("building-" + path.name)
        build(tmp)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        shutil.move(str(tmp), path)
        print(f"built {path.name} in {time.perf_counter() - t:.0f} s")
    return path


class Samples(list):
    """Wall seconds of each run, with `.cpu`: CPU seconds (user + system) of each run."""

    cpu: list[float]


def timed(cmd: list[str], env: dict, runs: int = RUNS) -> tuple[Samples, float]:
    samples, peak = Samples(), 0.0
    samples.cpu = []
    for _ in range(runs):
        seconds, mb, cpu = measure_cpu(cmd, env)
        samples.append(seconds)
        samples.cpu.append(cpu)
        peak = max(peak, mb)
    return samples, peak


def report(label: str, samples: list[float], peak: float, target: float, floor: list[float] | None = None,
           ratio: float | None = None, memory: float | None = None) -> None:
    """One figure: median and min, the ratio to the baseline's median, peak memory, the verdict."""
    median = statistics.median(samples)
    cpu = statistics.median(samples.cpu) if isinstance(samples, Samples) else None
    times = f"{label:<32} median {median * 1000:5.0f} ms  min {min(samples) * 1000:5.0f} ms" + (
        f"  cpu {cpu * 1000:5.0f} ms" if cpu is not None else "")
    if floor is None:
        print(times)
        return
    x = median / statistics.median(floor)
    if cpu is not None and isinstance(floor, Samples):
        times += f" ({cpu / statistics.median(floor.cpu):4.2f}x cpu)"
    misses = [f"> {target * 1000:.0f} ms"] if median > target else []
    if ratio is not None and x > ratio:
        misses.append(f"> {ratio}x")
    if memory is not None and peak > memory:
        misses.append(f"> {memory:.0f} MB")
    wanted = f"<= {target * 1000:.0f} ms" + (f", <= {ratio}x" if ratio else "") + (f", <= {memory:.0f} MB" if memory else "")
    print(f"{times}  {x:5.2f}x baseline  peak {peak:4.0f} MB  target {wanted}: "
          + ("ok" if not misses else "OVER (" + ", ".join(misses) + ")"))


def has_command(name: str, env: dict) -> bool:
    out = subprocess.run(CRM + [name, "--help"], env=env, capture_output=True)
    return out.returncode == 0


def profile(path: Path) -> None:
    """Time the stages in-process: load the snapshot, run the engine."""
    from crm.cadence import engine as cadence
    from crm.store.db import open_database
    from crm.cadence.snapshot import load_snapshot

    open_database(path)
    for _ in range(3):
        t0 = time.perf_counter()
        snapshot = load_snapshot(ON)
        t1 = time.perf_counter()
        suggestions = cadence.suggest(snapshot, ON)
        t2 = time.perf_counter()
        print(f"load_snapshot {1000 * (t1 - t0):5.0f} ms ({len(snapshot.contacts)} contacts, "
              f"{len(snapshot.touches)} touches)  suggest {1000 * (t2 - t1):5.0f} ms ({len(suggestions)} due)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="build the database afresh")
    parser.add_argument("--profile", action="store_true", help="time the stages in-process")
    args = parser.parse_args()
    path = database(args.rebuild)
    if args.profile:
        profile(path)
        return
    env = crm_env(path)
    timed(CRM + ["today", "--on", ON.isoformat(), "--json"], env, runs=1)  # migrate the cache once, untimed
    floor, _ = timed([sys.executable, "-c", "import click, peewee"], env)
    print(f"{CONTACTS} contacts ({WITH_ROLES} with roles), {TOUCHES} touchpoints; {RUNS} runs each; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    report("baseline: import click, peewee", floor, 0, 1.0)
    on = ["--on", ON.isoformat()]
    for label, args, target, ratio, memory in (
        (f"crm today --on {ON} --json", ["today", *on, "--json"], 0.25, 3, 80),
        (f"crm today --on {ON}", ["today", *on], 0.25, 3, 80),
        ("crm calendar --days 14", ["calendar", "--days", "14", *on], 0.6, None, None),
        ("crm review --weeks 52 --json", ["review", "--weeks", "52", "--json", *on], 0.5, None, None),
        ("crm list --json", ["list", "--json"], 2.0, None, 100),
    ):
        samples, peak = timed(CRM + args, env, runs=RUNS if target < 1 else 3)
        report(label, samples, peak, target, floor, ratio, memory)
    if has_command("log", env):
        # A copy, so the timed writes never change the cached database the `today` figures use.
        scratch_db = scratch(f"today-v{VERSION}-log.db")
        shutil.copyfile(path, scratch_db)
        log_env = crm_env(scratch_db)
        samples, peak = timed(CRM + ["log", "p4242@example.org", "message", "--on", ON.isoformat()], log_env)
        report("crm log EMAIL message", samples, peak, 0.3, floor)
        samples, peak = timed(CRM + ["log", "#4242", "check-in", "--on", ON.isoformat()], log_env)
        report("crm log #ID check-in", samples, peak, 0.3, floor)
        for leftover in scratch_db.parent.glob(scratch_db.name + "*"):
            leftover.unlink()
    else:
        print("crm log: not available yet")


if __name__ == "__main__":
    main()
