"""Data-safety figures for docs/data-safety.md: kills survived, concurrent writes stored,
hostile targets refused, and the cost of huge CATEGORIES lists and folded NOTEs against a
10x smaller baseline measured in the same run.

    python bench/bench_safety.py [--kills 30] [--processes 16] [--adds 10]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CRM, crm_env, measure, scratch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
V1_DB = ROOT / "tests" / "data" / "crm-v1.db"
def run(db: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([*CRM, *map(str, args)], env=crm_env(db), capture_output=True, text=True, timeout=120)


def names(db: Path) -> frozenset | None:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                return None
            return frozenset(n for (n,) in conn.execute("SELECT display_name FROM contact"))
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def book(path: Path, prefix: str, count: int) -> Path:
    path.write_text("".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{prefix} {i}\r\nEMAIL:{prefix}{i}@x.example\r\n"
                            f"NOTE:{'n' * 200}\r\nEND:VCARD\r\n" for i in range(count)))
    return path


def kills(work: Path, count: int) -> tuple[int, int]:
    old, new = work / "old.db", work / "new.db"
    run(old, "import", book(work / "old.vcf", "Old", 1500))
    run(new, "import", book(work / "new.vcf", "New", 3000))
    old_names, new_names = names(old), names(new)
    rng = random.Random(11)
    survived = 0
    for n in range(count):
        kind = ("restore-sound", "restore-damaged", "upgrade")[n % 3]
        db = work / f"k{n}" / "crm.db"
        db.parent.mkdir()
        if kind == "restore-sound":
            shutil.copyfile(old, db)
        elif kind == "restore-damaged":
            db.write_bytes(b"damaged" * 1000)
        else:
            shutil.copyfile(V1_DB, db)
        before = names(db)
        proc = subprocess.Popen([*CRM, *(["restore", str(new)] if kind != "upgrade" else ["list"])],
                                env=crm_env(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.15, 1.2)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        held = names(db) if db.exists() else None
        if kind == "restore-damaged" and db.exists() and db.read_bytes()[:7] == b"damaged":
            held = "old"
        problems = []
        if not db.exists() or not (held == "old" or held in (before, new_names, old_names)):
            problems.append(f"live database: {'missing' if not db.exists() else 'neither old nor new'}")
        for copy in db.parent.glob("*.bak"):  # a whole database, or the damaged file kept as it was
            if names(copy) is None and not (kind == "restore-damaged" and copy.read_bytes() == b"damaged" * 1000):
                problems.append(f"{copy.name} is not whole")
        # The next run: a restore again over a damaged file, else any command.
        after = run(db, "restore", new) if held == "old" and kind == "restore-damaged" else run(db, "list")
        if after.returncode != 0:
            problems.append(f"next run failed: {after.stderr.strip()}")
        left = [p.name for p in db.parent.iterdir() if ".tmp" in p.name]
        if left:
            problems.append(f"temp files left after the next run: {left}")
        if problems:
            print(f"  kill {n} ({kind}, {delay:.2f} s): {'; '.join(problems)}")
        ok = not problems
        survived += ok
    return survived, count


def concurrent(work: Path, processes: int, adds: int) -> tuple[int, int, int]:
    script = ("import subprocess, sys\n"
              "for i in range(int(sys.argv[2])):\n"
              "    r = subprocess.run([sys.executable, '-m', 'crm', 'add', f'P{sys.argv[1]}-{i}', '--org', 'Newco',"
              " '--interest', 'tag'], capture_output=True)\n"
              "    sys.exit(r.returncode) if r.returncode else None\n")
    results = {}
    for label, seed in (("new", None), ("v1", V1_DB)):
        db = work / label / "crm.db"
        db.parent.mkdir()
        if seed:
            shutil.copyfile(seed, db)
        before = len(names(db) or ()) if seed else 0
        procs = [subprocess.Popen([sys.executable, "-c", script, str(p), str(adds)], env=crm_env(db))
                 for p in range(processes)]
        failed = sum(p.wait() != 0 for p in procs)
        results[label] = (len(names(db)) - before, failed, len(list(db.parent.glob("*.bak"))))
    stored = results["new"][0] + results["v1"][0]
    return stored, 2 * processes * adds, results["v1"][2]


def hostile_targets(work: Path) -> tuple[int, int]:
    db = work / "h.db"
    run(db, "add", "Ada")
    fifo = work / "fifo"
    os.mkfifo(fifo)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(work / "sock"))
    dangling = work / "dangling"
    dangling.symlink_to(work / "nowhere")
    targets = [fifo, work / "sock", "/dev/null", "/dev/stdout", dangling, work / ("n" * 300)]
    commands = [["export", "-o"], ["calendar", "-o"], ["backup"], ["restore"], ["import"]]
    refused = tried = 0
    for target in targets:
        for command in commands:
            tried += 1
            try:
                result = run(db, *command, target)
                refused += result.returncode in (1, 2, 75) and result.stderr.count("\n") == 1
            except subprocess.TimeoutExpired:
                pass
        tried += 1
        result = run(Path(target), "list")
        refused += result.returncode in (1, 2, 75)
    sock.close()
    return refused, tried


def parsing(work: Path) -> list[tuple[str, float, float]]:
    rows = []
    for label, n, make in (("CATEGORIES x 20,000", 20_000, "cat"), ("CATEGORIES x 200,000", 200_000, "cat"),
                           ("folded NOTE 5 MB", 5_000_000, "note"), ("folded NOTE 50 MB", 50_000_000, "note")):
        path = work / f"{make}{n}.vcf"
        with open(path, "w") as f:
            if make == "cat":
                f.write("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:T\r\nCATEGORIES:" + ",".join(f"t{i}" for i in range(n))
                        + "\r\nEND:VCARD\r\n")
            else:
                note = "x" * n
                f.write("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:N\r\nNOTE:" + "\r\n ".join(
                    note[i:i + 74] for i in range(0, n, 74)) + "\r\nEND:VCARD\r\n")
        db = work / f"p{make}{n}.db"
        seconds, mb = measure([*CRM, "import", str(path)], env=crm_env(db))
        rows.append((label, seconds, mb))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--adds", type=int, default=10)
    args = parser.parse_args()
    work = scratch("safety")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "kills").mkdir()
    survived, killed = kills(work / "kills", args.kills)
    print(f"SIGKILL during restore (sound and damaged live db) and upgrade: {survived}/{killed} left a sound "
          "database (old or new), whole .bak copies, no temp files after the next run")
    (work / "conc").mkdir()
    stored, attempted, copies = concurrent(work / "conc", args.processes, args.adds)
    print(f"{args.processes} processes x {args.adds} adds at once, on a new and on a v1 database: "
          f"{stored}/{attempted} stored; pre-migration copies made: {copies}")
    (work / "hostile").mkdir()
    refused, tried = hostile_targets(work / "hostile")
    print(f"hostile targets (FIFO, socket, /dev/null, /dev/stdout, dangling link, 300-char name) x commands: "
          f"{refused}/{tried} refused with one line, none blocked")
    rows = parsing(work / "hostile")
    print(f"{'import of':<24} {'seconds':>8} {'peak MB':>8}")
    for label, seconds, mb in rows:
        print(f"{label:<24} {seconds:>8.2f} {mb:>8.0f}")
    print(f"ratio 10x CATEGORIES: {rows[1][1] / rows[0][1]:.1f}x time; 10x NOTE: {rows[3][1] / rows[2][1]:.1f}x time, "
          f"{rows[3][2] / rows[2][2]:.1f}x memory")


if __name__ == "__main__":
    main()
