"""Crash safety (guarantee 1): `crm import` killed with SIGKILL part-way through a large file
leaves a database that opens, passes the integrity check, and holds exactly what it held
before that file (each file is imported in one transaction).

No test hook in the product: the test watches the database's -wal file from outside. Once it
has grown by a megabyte, the import's transaction is demonstrably under way with uncommitted
pages on disk -- the case SQLite's recovery must undo -- and the process is killed there.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

ON = "2026-01-01"  # a fixed --on makes the created/updated stamps reproducible
WAL_GROWTH = 1 << 20  # bytes of -wal beyond what the small first file can account for


def big_vcf(path: Path, cards: int, note_bytes: int = 4000) -> None:
    """Cards whose notes fill many pages, so the transaction spills to the -wal file early.
    The first cards update people already in the database (an update must roll back too)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for n in range(3):
            handle.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:before {n}\r\nNOTE:updated by the big file\r\n"
                         f"EMAIL:before{n}@example.com\r\nEMAIL:big-{n}@example.com\r\nEND:VCARD\r\n")
        for i in range(cards):
            note = (f"Bulk note {i}; " * (note_bytes // 12))[:note_bytes]
            handle.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bulk Person {i}\r\nN:Person {i};Bulk;;;\r\n"
                         f"EMAIL;TYPE=work:bulk{i}@example.com\r\nTEL:+1 555 {i:07d}\r\n"
                         f"CATEGORIES:bulk,batch {i % 7}\r\nNOTE:{note}\r\nEND:VCARD\r\n")


SMALL_VCF = (
    # A UID of its own: a card without one is given a random UID, and the two imports compared
    # below would then differ in it.
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:zoe-1\r\nFN:Zoë Ødegård\r\nEMAIL:zoe@example.com\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:BEFORE 1\r\nEMAIL:before1@example.com\r\n"
    "TEL:+44 20 7946 0001\r\nEND:VCARD\r\n"
)


def dump(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
    finally:
        conn.close()


def wal_size(db: Path) -> int:
    try:
        return os.path.getsize(f"{db}-wal")
    except FileNotFoundError:
        return 0


def bulk_contacts(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM contact WHERE display_name LIKE 'Bulk Person %'").fetchone()[0]
    finally:
        conn.close()


def crm_import(env: dict, *files: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crm", "import", *map(str, files), "--on", ON],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def kill_mid_import(env: dict, db: Path, first: Path, big: Path) -> int:
    """Start the import, SIGKILL it once the -wal has grown by WAL_GROWTH; returns the -wal size
    at the kill, or 0 if the import finished first (the file was too small for this machine)."""
    proc = crm_import(env, first, big)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            size = wal_size(db)
            if size > WAL_GROWTH:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                assert proc.returncode == -signal.SIGKILL
                return size
            time.sleep(0.002)
        return 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_import_killed_mid_file_leaves_the_database_as_before_that_file(tmp_path, run, private_database, child_env):
    db = private_database
    for n in range(3):
        assert run("add", f"Before {n}", "--email", f"before{n}@example.com", "--on", ON).exit_code == 0
    if "log" in _commands():
        assert run("log", "1", "thank-you", "--on", ON).exit_code == 0
    first = tmp_path / "first.vcf"
    first.write_text(SMALL_VCF, encoding="utf-8")

    # What the database must hold afterwards: its state before, plus the small first file,
    # which is imported (and committed) before the big one starts.
    expected_db = tmp_path / "expected.db"
    assert run("backup", expected_db).exit_code == 0
    assert run("--db", expected_db, "import", first, "--on", ON).exit_code == 0
    expected = dump(expected_db)
    before_big = dump(db)
    assert before_big != expected

    cards = 1_500  # about 6 MB: the -wal passes WAL_GROWTH long before the import could finish
    for _attempt in range(3):
        big = tmp_path / f"big-{cards}.vcf"
        big_vcf(big, cards)
        saved = tmp_path / "saved.db"
        shutil.copyfile(db, saved)  # the WAL was checkpointed when the last command closed it
        assert wal_size(db) == 0
        killed_at = kill_mid_import(child_env(CRM_DB=str(db)), db, first, big)
        wal_after_kill = wal_size(db)  # before anything opens the database and recovers it
        bulk = bulk_contacts(db)
        if killed_at and bulk == 0:
            break
        # Too late: the import finished (or committed and was closing) before the kill landed.
        # Even then it must be all of the big file or none of it; then try again, bigger.
        assert bulk == cards, f"{bulk} of {cards} cards of the killed file are in the database"
        for sidecar in ("-wal", "-shm"):
            Path(f"{db}{sidecar}").unlink(missing_ok=True)
        shutil.copyfile(saved, db)
        cards *= 2
    else:
        pytest.fail("the import always finished before it could be killed")

    assert wal_after_kill >= killed_at  # uncommitted frames were left on disk for recovery to undo
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert dump(db) == expected  # before that file, plus the whole file before it; nothing of the big one
    assert run("check").exit_code == 0
    assert "Bulk Person 0" not in run("list").stdout


def _commands():
    from crm.cli import cli

    return cli.commands
