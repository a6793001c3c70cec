"""Concurrent `crm` processes give the serial result (issue 11): real processes, started at once,
on a database that does not exist yet, on an old-schema one being upgraded, and importing
files that share new organisations and people. The full sizes (16 processes, more rounds)
run under `-m slow`; the default run uses 8 processes once."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crm.store.migrations import MIGRATIONS

V1_DB = Path(__file__).resolve().parent / "data" / "crm-v1.db"
TIMEOUT = 120  # seconds for a whole batch: a regression fails instead of hanging the suite


def crm_env(db: Path) -> dict:
    return {**os.environ, "CRM_DB": str(db), "CRM_DEBUG": ""}


def run_at_once(db: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    """Start every command as its own `crm` process, all before any finishes; wait for all."""
    procs = [subprocess.Popen([sys.executable, "-m", "crm", *args], env=crm_env(db), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for args in commands]
    results = []
    for args, proc in zip(commands, procs):
        out, err = proc.communicate(timeout=TIMEOUT)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


def run_serially(db: Path, commands: list[list[str]], monkeypatch) -> None:
    """The same commands one after another (in this process: the serial reference is what
    matters here, not process start-up)."""
    from click.testing import CliRunner

    from crm.cli import cli

    with monkeypatch.context() as patched:
        patched.setenv("CRM_DB", str(db))
        for args in commands:
            done = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert done.exit_code == 0, done.output


def failures(results) -> list[str]:
    return [f"{r.args}: exit {r.returncode}: {r.stderr.strip()}" for r in results if r.returncode != 0]


def content(db: Path) -> dict:
    """What a user would call the database's content: people with their organisation, methods and
    interests, by name (ids and timestamps differ between runs, the content must not)."""
    conn = sqlite3.connect(db)
    try:
        people = sorted(conn.execute(
            "SELECT c.display_name, o.name, c.uid IS NOT NULL,"
            " (SELECT group_concat(norm, ' ') FROM (SELECT norm FROM contact_method m WHERE m.contact_id = c.id ORDER BY norm)),"
            " (SELECT group_concat(name, ' ') FROM (SELECT i.name FROM contact_interest ci JOIN interest i"
            "  ON i.id = ci.interest_id WHERE ci.contact_id = c.id ORDER BY i.name))"
            " FROM contact c LEFT JOIN organisation o ON o.id = c.organisation_id"))
        return {
            "people": people,
            "organisations": sorted(name for (name,) in conn.execute("SELECT name FROM organisation")),
            "interests": sorted(name for (name,) in conn.execute("SELECT name FROM interest")),
            "versions": [v for (v,) in conn.execute("SELECT version FROM schema_migration ORDER BY version")],
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
        }
    finally:
        conn.close()


def add_commands(processes: int, per_process: int) -> list[list[str]]:
    # Every process adds its people with a shared interest and organisation that do not exist yet.
    return [["add", f"Person {p}-{i}", "--org", "Shared Newco", "--interest", "new-tag", "--role", "peer",
             "--email", f"p{p}.{i}@example.com"] for p in range(processes) for i in range(per_process)]


def batched(commands: list[list[str]], processes: int) -> list[list[list[str]]]:
    return [commands[p::processes] for p in range(processes)]


def add_at_once(db: Path, processes: int) -> list[subprocess.CompletedProcess]:
    return run_at_once(db, add_commands(processes, 1))


@pytest.mark.parametrize("processes", [8, pytest.param(16, marks=pytest.mark.slow)])
def test_first_use_by_many_processes_at_once_stores_every_write(tmp_path, processes, monkeypatch):
    db = tmp_path / "new" / "crm.db"  # neither the folder nor the file exists yet
    results = add_at_once(db, processes)
    assert failures(results) == []
    serial = tmp_path / "serial.db"
    run_serially(serial, add_commands(processes, 1), monkeypatch)
    assert content(db) == content(serial)
    assert content(db)["versions"] == [m.version for m in MIGRATIONS]
    assert len(content(db)["people"]) == processes


@pytest.mark.parametrize("processes", [8, pytest.param(16, marks=pytest.mark.slow)])
def test_an_old_schema_upgraded_by_many_processes_at_once_is_copied_once(tmp_path, processes, monkeypatch):
    db = tmp_path / "crm.db"
    shutil.copyfile(V1_DB, db)
    results = add_at_once(db, processes)
    assert failures(results) == []
    serial = tmp_path / "serial" / "crm.db"
    serial.parent.mkdir()
    shutil.copyfile(V1_DB, serial)
    run_serially(serial, add_commands(processes, 1), monkeypatch)
    assert content(db) == content(serial)
    copies = sorted(p.name for p in tmp_path.glob("*.bak"))
    assert copies == ["crm.db.v1.bak"]  # exactly one pre-migration copy, and it is the v1 database
    conn = sqlite3.connect(tmp_path / "crm.db.v1.bak")
    assert conn.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0] == 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def vcard(name: str, email: str, org: str, categories: str = "") -> str:
    extra = f"CATEGORIES:{categories}\r\n" if categories else ""
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEMAIL:{email}\r\nORG:{org}\r\n{extra}END:VCARD\r\n"


def _word(seed: str) -> str:
    """A made-up name, far from every other (names alone may join people at one organisation)."""
    import hashlib

    digest = hashlib.sha256(seed.encode()).digest()
    return "".join("bcdfghjklmnprstvz"[b % 17] + "aeiou"[b % 5] for b in digest[:4]).capitalize()


def two_address_books(folder: Path, people: int) -> tuple[Path, Path]:
    """Two files of `people` each: one new organisation and one person in common, each file
    with its own new organisations and interests too."""
    a, b = folder / "a.vcf", folder / "b.vcf"
    shared = vcard("Sam Shared", "sam@shared.example", "Common Ltd", "shared-tag")
    for path, side in ((a, "a"), (b, "b")):
        path.write_text(shared + "".join(
            vcard(f"{_word(side + str(i))} {_word(side + 'x' + str(i))}", f"{side}{i}@{side}.example",
                  "Common Ltd" if i % 2 else f"{side.upper()} Org {i % 5}", f"tag-{side}{i % 3},shared-tag")
            for i in range(people - 1)))
    return a, b


@pytest.mark.parametrize("rounds", [1, pytest.param(8, marks=pytest.mark.slow)])
def test_overlapping_imports_give_the_serial_result(tmp_path, rounds, monkeypatch):
    a, b = two_address_books(tmp_path, 40)
    serial = tmp_path / "serial.db"
    run_serially(serial, [["import", str(a)], ["import", str(b)]], monkeypatch)
    expected = content(serial)
    assert len(expected["people"]) == 79  # 40 + 40 with one person in common
    for trial in range(rounds):
        db = tmp_path / f"trial{trial}.db"
        # The same file several times, and the other file, all at once.
        results = run_at_once(db, [["import", str(a)]] * 4 + [["import", str(b)]] * 4)
        assert failures(results) == []
        assert "UNIQUE" not in "".join(r.stderr for r in results)
        assert content(db) == expected
