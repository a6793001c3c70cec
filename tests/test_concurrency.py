"""Concurrent use (guarantee 2): several `crm` processes writing at once all succeed, every row is
stored, and "database is locked" never reaches the user.

Each worker is a separate Python process that runs the CLI in-process in a loop (the same code
path as `crm log ...` from a shell, without paying interpreter start-up 800 times). Every
invocation opens the database afresh, as a real command does. One set of workers does both races
(interpreter start-up is most of the cost): they log touches to the same contacts, and they add
contacts that share an interest tag, which `crm add` creates in the same transaction as the
contact -- a row the workers race for.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

WORKERS = 4
TOUCHES_PER_WORKER = 200  # the figure (marked slow); the default run uses 25
ADDS_PER_WORKER = 30  # each add costs more than a log; the default run uses 8

WORKER = r"""
import contextlib, io, json, random, sys
from crm.cli import cli

worker, logs, adds, contacts = (int(a) for a in sys.argv[1:5])
rng = random.Random(worker)
failures = []
commands = []
for i in range(max(logs, adds)):
    note = f"w{worker}-{i}"
    if i < logs:
        commands.append(["log", str(rng.randint(1, contacts)), "message", "--on", "2026-01-05", "--note", note])
    if i < adds:
        commands.append(["add", f"Person {note}", "--email", f"{note}@example.com", "--interest", "chess"])
for args in commands:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(args, prog_name="crm", standalone_mode=False)
        except SystemExit as exc:
            code = exc.code or 0
        except Exception as exc:  # what would have been a traceback
            code, err = -1, io.StringIO(repr(exc))
    if code != 0 or "error" in err.getvalue().lower() or "locked" in err.getvalue().lower():
        failures.append({"args": args, "code": code, "stderr": err.getvalue()})
print(json.dumps(failures))
"""


def run_workers(env: dict, logs: int, adds: int, contacts: int, during=None):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(n), str(logs), str(adds), str(contacts)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(WORKERS)
    ]
    extra = during() if during else None
    failures = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
        failures += json.loads(out)
    return failures, extra


@pytest.mark.parametrize("touches, adds", [(25, 8), pytest.param(TOUCHES_PER_WORKER, ADDS_PER_WORKER,
                                                                   marks=pytest.mark.slow)])
def test_four_processes_logging_and_adding_at_once_store_every_row(private_database, run, child_env, touches, adds):
    for i in range(10):
        assert run("add", f"Contact {i}").exit_code == 0

    def meanwhile():
        """Read-only commands and a backup, run while the writers write, must not fail either."""
        results = []
        deadline = time.monotonic() + 30
        while len(results) < 4 and time.monotonic() < deadline:
            results.append(run("history", "1", "--json").exit_code)
            results.append(run("backup", private_database.with_name("during.db")).exit_code)
        return results

    failures, during = run_workers(child_env(CRM_DB=str(private_database)), touches, adds, 10, meanwhile)
    assert failures == []
    assert set(during) == {0}
    conn = sqlite3.connect(private_database)
    notes = [n for (n,) in conn.execute("SELECT note FROM touchpoint")]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM interest").fetchone()[0] == 1
    conn.close()
    assert len(notes) == WORKERS * touches
    assert set(notes) == {f"w{w}-{i}" for w in range(WORKERS) for i in range(touches)}
    rows = json.loads(run("list", "--json").stdout)
    added = [r for r in rows if r["name"].startswith("Person ")]
    assert len(rows) == 10 + WORKERS * adds and len(added) == WORKERS * adds
    assert all(r["interests"] == ["chess"] for r in added)
    assert {r["name"] for r in added} == {f"Person w{w}-{i}" for w in range(WORKERS) for i in range(adds)}


def test_a_transaction_takes_the_write_lock_up_front(private_database):
    """Why no writer ever sees "database is locked": a transaction that reads and then writes
    holds the write lock from its first statement (BEGIN IMMEDIATE), so it can never find at
    its first write that another process committed meanwhile -- an error SQLite reports at once,
    without waiting. Other writers wait for it instead (busy timeout)."""
    from crm.store.db import open_database
    from crm.store.models import database

    db = open_database(private_database)
    other = sqlite3.connect(private_database, timeout=0, isolation_level=None)
    try:
        with db.atomic():
            db.execute_sql("SELECT COUNT(*) FROM contact").fetchone()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO organisation (name, name_key) VALUES ('Acme', 'acme')")
            db.execute_sql("INSERT INTO organisation (name, name_key) VALUES ('Globex', 'globex')")
        other.execute("INSERT INTO organisation (name, name_key) VALUES ('Acme', 'acme')")
        assert [n for (n,) in other.execute("SELECT name FROM organisation ORDER BY id")] == ["Globex", "Acme"]
    finally:
        other.close()
        db.close()
        database.initialize(None)
