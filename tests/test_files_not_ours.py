"""Only regular files are written, and only ours (issue 11): FIFOs, devices and sockets are
refused without blocking, `-o -` is standard output everywhere, folders are created 0700,
and a file that is not our database is refused before anything writes to it.

Commands that could block on a FIFO run under an alarm (in-process, cheap) or as real
processes with a timeout, so a regression fails instead of hanging the suite."""
from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 30


def crm(db: Path, *args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crm", *map(str, args)], capture_output=True, text=True,
                          timeout=TIMEOUT, env={**os.environ, "CRM_DB": str(db), "CRM_DEBUG": ""}, cwd=cwd)


@contextlib.contextmanager
def within(seconds: int):
    """Fail, instead of hanging, if the block blocks (an open() of a FIFO waits for a writer)."""
    def blocked(signum, frame):
        raise TimeoutError("blocked")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_fifos_sockets_and_devices_are_refused_without_blocking(tmp_path, run):
    db = tmp_path / "crm.db"
    assert run("--db", db, "add", "Ada Lovelace").exit_code == 0
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        for special in (fifo, sock_path):
            for args in (["export", "-o", special], ["calendar", "-o", special], ["backup", special],
                         ["restore", special], ["--db", special, "list"], ["import", special]):
                with within(10):  # a blocking open() would raise TimeoutError and fail the test
                    result = run(*(args if args[0] == "--db" else ["--db", db, *args]))
                assert result.exit_code in (1, 2), (args, result.stderr)
                assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
            assert stat.S_ISFIFO(os.stat(fifo).st_mode) and stat.S_ISSOCK(os.stat(sock_path).st_mode)
    finally:
        server.close()
    assert "FIFO" in run("--db", db, "export", "-o", fifo).stderr
    assert "FIFO" in crm(db, "export", "-o", fifo).stderr  # and as a real process (with a timeout)


def test_devices_are_never_replaced_nor_used_as_a_database(tmp_path, run):
    db = tmp_path / "crm.db"
    assert run("--db", db, "add", "Ada Lovelace").exit_code == 0
    for args in (["export", "-o", "/dev/null"], ["calendar", "-o", "/dev/null"], ["backup", "/dev/null"],
                 ["export", "-o", "/dev/stdout"], ["--db", "/dev/null", "list"], ["--db", "/dev/null", "add", "X"]):
        with within(10):
            result = run(*(args if args[0] == "--db" else ["--db", db, *args]))
        assert result.exit_code in (1, 2), (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not Path("/dev/null-journal").exists() and not Path("/dev/null-wal").exists()


def test_dash_is_standard_output_everywhere(tmp_path):
    db = tmp_path / "crm.db"
    assert crm(db, "add", "Ada Lovelace", "--role", "recruiter").returncode == 0
    exported = crm(db, "export", "-o", "-", cwd=tmp_path)
    calendar = crm(db, "calendar", "-o", "-", "--days", "366", cwd=tmp_path)
    assert exported.returncode == 0 and "BEGIN:VCARD" in exported.stdout
    assert calendar.returncode == 0 and "BEGIN:VCALENDAR" in calendar.stdout
    assert not (tmp_path / "-").exists()


def test_backup_never_replaces_a_dangling_link_or_the_database_files(tmp_path, run):
    db = tmp_path / "crm.db"
    assert run("--db", db, "add", "Ada Lovelace").exit_code == 0
    dangling = tmp_path / "gone.db"
    dangling.symlink_to(tmp_path / "nowhere" / "x.db")
    result = run("--db", db, "backup", dangling)
    assert result.exit_code in (1, 2) and "dangling" in result.stderr
    assert dangling.is_symlink()
    for sidecar in ("crm.db-wal", "crm.db-shm", "crm.db-journal"):
        (tmp_path / sidecar).touch()  # even empty (a checkpointed -wal is 0 bytes)
        result = run("--db", db, "backup", tmp_path / sidecar)
        assert result.exit_code == 1 and "crm database" in result.stderr, result.stderr
        assert (tmp_path / sidecar).stat().st_size == 0
    (tmp_path / "crm.db-journal").unlink()
    assert run("--db", db, "check").exit_code == 0


def test_folders_are_created_private_whatever_the_umask(tmp_path, run, monkeypatch):
    old = os.umask(0)
    try:
        db = tmp_path / "a" / "b" / "c" / "crm.db"
        assert run("--db", db, "add", "Ada Lovelace").exit_code == 0
        assert run("--db", tmp_path / "r" / "s" / "crm.db", "restore", db).exit_code == 0
    finally:
        os.umask(old)
    for folder in ("a", "a/b", "a/b/c", "r", "r/s"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["other-app", "newer-schema"])
def test_a_file_that_is_not_ours_is_refused_before_any_write(tmp_path, kind, run):
    db = tmp_path / "theirs.db"
    if kind == "other-app":
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE songs (title TEXT)")
        conn.execute("INSERT INTO songs VALUES ('Blue in Green')")
        conn.commit()
        conn.close()
    else:
        assert run("--db", db, "add", "Ada Lovelace").exit_code == 0
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode = DELETE")  # as a newer crm might leave it
        conn.execute("INSERT INTO schema_migration VALUES (999, 'm999_future', '2030-01-01')")
        conn.commit()
        conn.close()
    before = digest(db)
    listing = sorted(p.name for p in tmp_path.iterdir())
    for args in (["list"], ["add", "Grace Hopper"], ["check"], ["import", tmp_path / "none.vcf"], ["today"]):
        result = run("--db", db, *args)
        assert result.exit_code == 1, (args, result.stderr)
        assert ("not a crm database" in result.stderr or "newer than this crm" in result.stderr), result.stderr
        assert digest(db) == before, f"{args} changed the file"
        assert sorted(p.name for p in tmp_path.iterdir()) == listing, "no -wal, -shm or journal either"
