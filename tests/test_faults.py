"""Faults (issue 11): Ctrl-C and SIGKILL during restore and upgrade, leftover temporary files,
a full disk, a read-only folder, permission denied, names too long. Real processes and real
file systems (a small tmpfs, a read-only remount) where the fault is about them."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm.store.migrations import LATEST_VERSION

V1_DB = Path(__file__).resolve().parent / "data" / "crm-v1.db"
TIMEOUT = 60


def crm_env(db: Path) -> dict:
    return {**os.environ, "CRM_DB": str(db), "CRM_DEBUG": ""}


def crm(db: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crm", *map(str, args)], env=crm_env(db), capture_output=True,
                          text=True, timeout=TIMEOUT, **kwargs)


def start(db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crm", *map(str, args)], env=crm_env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def names(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {n for (n,) in conn.execute("SELECT display_name FROM contact")}
    finally:
        conn.close()


def version(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0]
    finally:
        conn.close()


def book(path: Path, prefix: str, count: int) -> Path:
    path.write_text("".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{prefix} {i}\r\nEMAIL:{prefix.lower()}{i}@example.com\r\n"
        f"NOTE:{'n' * 200}\r\nEND:VCARD\r\n" for i in range(count)))
    return path


@pytest.fixture(scope="module")
def old_and_new(tmp_path_factory):
    """A live database of 'Old' people and a backup of 'New' people, big enough that a
    restore takes a moment."""
    folder = tmp_path_factory.mktemp("restore-pair")
    old, new = folder / "old.db", folder / "new.db"
    assert crm(old, "import", book(folder / "old.vcf", "Old", 800)).returncode == 0
    assert crm(new, "import", book(folder / "new.vcf", "New", 2000)).returncode == 0
    return old, new, names(old), names(new)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


# Where in a restore the signal lands: before it starts reading, while checking, while swapping.
DELAYS = [0.45, 0.8]
SLOW_DELAYS = [0.1 + 0.07 * i for i in range(20)]


@pytest.mark.parametrize("delays", [DELAYS, pytest.param(SLOW_DELAYS, marks=pytest.mark.slow)])
def test_ctrl_c_during_restore_reports_truthfully_what_happened(tmp_path, old_and_new, delays):
    old, new, old_names, new_names = old_and_new
    for n, delay in enumerate(delays):
        db = tmp_path / f"live{n}" / "crm.db"
        db.parent.mkdir()
        shutil.copyfile(old, db)
        proc = start(db, "restore", new)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
        held = names(db)
        assert held in (old_names, new_names)
        if proc.returncode == 0 or "already finished" in err or out.startswith("Restored"):
            # (a Ctrl-C after the report was printed, while Python exits, kills it with -2)
            assert held == new_names, err
        elif err.strip() in ("Aborted!", "Error: interrupted before anything was done"):
            # Ctrl-C while crm was starting, or click's own answer before any command began.
            assert proc.returncode in (1, 130) and held == old_names
            continue
        elif err.rstrip().endswith("KeyboardInterrupt") and "crm/cli" not in err and "crm/store" not in err:
            # Before Python had even started running crm (the interpreter's own start-up, on a
            # loaded machine): no crm code ran, and nothing changed.
            assert held == old_names
            continue
        else:
            assert proc.returncode == 130, err
            assert held == old_names, err  # it said nothing changed: nothing did
            assert "not changed" in err or "nothing was written" in err, err
        assert "Traceback" not in err and err.count("\n") <= 2, err
        assert crm(db, "list", "--json").returncode == 0
        assert leftovers(db.parent) == []


@pytest.mark.parametrize("delays", [DELAYS, pytest.param(SLOW_DELAYS, marks=pytest.mark.slow)])
@pytest.mark.parametrize("live", ["sound", "damaged"])
def test_a_kill_during_restore_leaves_the_old_or_the_new_database(tmp_path, old_and_new, delays, live):
    old, new, old_names, new_names = old_and_new
    for n, delay in enumerate(delays):
        db = tmp_path / f"live{n}" / "crm.db"
        db.parent.mkdir()
        if live == "sound":
            shutil.copyfile(old, db)
        else:
            db.write_bytes(b"not a database at all, but the user's live file" * 100)
        proc = start(db, "restore", new)
        time.sleep(delay)
        proc.kill()
        proc.communicate(timeout=TIMEOUT)
        assert db.exists(), "the live name must always hold a database"
        if live == "sound" or db.read_bytes()[:16] == b"SQLite format 3\x00":
            assert names(db) in (old_names, new_names)
        # A crashed run's temporary files are reported by check, then removed by the next run.
        stale = leftovers(db.parent)
        if db.read_bytes()[:16] == b"SQLite format 3\x00":
            report = json.loads(crm(db, "check", "--json").stdout)
            assert sorted(Path(p["message"].split()[0]).name for p in report["problems"]
                          if p["check"] == "leftover-temp-file") == stale
            listed = crm(db, "list")
            assert listed.returncode == 0
            assert leftovers(db.parent) == []
            if stale:
                assert "removed" in listed.stderr


@pytest.mark.parametrize("delays", [[0.4, 0.7], pytest.param(SLOW_DELAYS, marks=pytest.mark.slow)])
def test_a_kill_during_an_upgrade_leaves_a_whole_database_and_whole_copies(tmp_path, delays):
    for n, delay in enumerate(delays):
        db = tmp_path / f"up{n}" / "crm.db"
        db.parent.mkdir()
        shutil.copyfile(V1_DB, db)
        before = names(db)
        proc = start(db, "list")
        time.sleep(delay)
        proc.kill()
        proc.communicate(timeout=TIMEOUT)
        assert version(db) in (1, LATEST_VERSION)  # all migrations or none: no half-way schema
        assert names(db) == before
        for copy in db.parent.glob("*.bak"):  # any copy made is a whole v1 database
            assert version(copy) == 1 and names(copy) == before
        assert crm(db, "list").returncode == 0
        assert version(db) == LATEST_VERSION and names(db) == before
        assert leftovers(db.parent) == []
        assert 1 <= len(list(db.parent.glob("*.bak"))) <= 2


def test_leftover_temp_files_of_a_dead_run_are_reported_then_removed(tmp_path, run, private_database):
    assert run("add", "Ada Lovelace").exit_code == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # that process has exited: its files are a crashed run's leftovers
    stale = tmp_path / f".crm.db.restore-{pid}-abc123.tmp"
    stale.write_bytes(b"SQLite format 3\x00half a restore")
    mine = tmp_path / f".crm.db.restore-{os.getpid()}-live99.tmp"  # a running process's: left alone
    mine.write_bytes(b"in use")
    report = json.loads(run("check", "--json").stdout)
    assert [p["check"] for p in report["problems"]] == ["leftover-temp-file"]
    assert stale.exists()  # check only reports
    listed = run("list")
    assert listed.exit_code == 0 and "removed 1 temporary file" in listed.stderr
    assert not stale.exists() and mine.exists()


# ---- the environment: full disk, read-only, permissions, long names ------------------------------


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "small"
    if os.geteuid() != 0 or not _mount_tmpfs(where, "1m"):
        pytest.skip("needs root and tmpfs mounts (test_disk_full_in_process covers the same without them)")
    try:
        yield where
    finally:
        _umount(where)


def test_disk_full_during_import_names_the_cause_and_check_stays_calm(small_disk, tmp_path):
    db = small_disk / "crm.db"
    assert crm(db, "add", "Ada Lovelace").returncode == 0
    big = book(tmp_path / "big.vcf", "Big", 6000)
    result = crm(db, "import", big)
    assert result.returncode == 74, result.stderr
    assert "disk is full" in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "rollback" not in result.stderr
    filler = small_disk / "filler"
    try:
        with open(filler, "wb") as handle:  # whatever room is left: fill it
            while True:
                handle.write(b"x" * 4096)
                handle.flush()
    except OSError:
        pass
    checked = crm(db, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr  # sound, though the disk is full
    assert "integrity" not in checked.stderr
    export = crm(db, "export", "-o", small_disk / "out.vcf")
    assert export.returncode == 74 and "no space left" in export.stderr, export.stderr
    filler.unlink()
    assert names(db) == {"Ada Lovelace"}


def test_disk_full_in_process(run, private_database, tmp_path, monkeypatch):
    """The same without a mount: SQLite's max_page_count makes the database 'full' (SQLITE_FULL)."""
    import crm.store.db

    assert run("add", "Ada Lovelace").exit_code == 0
    real_connect = crm.store.db.connect

    def small(path):
        db = real_connect(path)
        db._pragmas = [*db._pragmas, ("max_page_count", 40)]
        return db

    monkeypatch.setattr(crm.store.db, "connect", small)
    result = run("import", book(tmp_path / "big.vcf", "Big", 3000))
    assert result.exit_code == 74, result.output
    assert "disk is full" in result.stderr and "rollback" not in result.stderr
    monkeypatch.setattr(crm.store.db, "connect", real_connect)
    assert run("check").exit_code == 0


@pytest.fixture
def read_only_folder(tmp_path):
    where = tmp_path / "ro"
    if os.geteuid() != 0 or not _mount_tmpfs(where, "4m"):
        pytest.skip("needs root and tmpfs mounts")
    try:
        db = where / "crm.db"
        assert crm(db, "add", "Ada Lovelace").returncode == 0
        backup = where / "old-backup.db"
        assert crm(db, "backup", backup).returncode == 0
        assert subprocess.run(["mount", "-o", "remount,ro", str(where)], capture_output=True).returncode == 0
        yield where
    finally:
        _umount(where)


def test_a_read_only_folder_is_named_as_such_and_check_still_passes(read_only_folder, tmp_path):
    db = read_only_folder / "crm.db"
    checked = crm(db, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No problems found" in checked.stdout
    listed = crm(db, "list")  # SQLite needs to write its -shm even to read: named as read-only
    assert listed.returncode in (0, 73) and listed.stderr.count("\n") <= 1, listed.stderr
    added = crm(db, "add", "Grace Hopper")
    assert added.returncode == 73 and "read-only" in added.stderr and added.stderr.count("\n") == 1, added.stderr
    other = tmp_path / "other.db"
    assert crm(other, "add", "Grace Hopper").returncode == 0
    backed = crm(other, "backup", read_only_folder / "b.db")
    assert backed.returncode == 73 and "read-only" in backed.stderr, backed.stderr
    exported = crm(other, "export", "-o", read_only_folder / "x.vcf")
    assert exported.returncode == 73, exported.stderr


SYSTEM_PYTHON = Path("/usr/bin/python3")


@pytest.mark.skipif(os.geteuid() != 0 or not SYSTEM_PYTHON.exists(), reason="switching to nobody needs root")
def test_permission_denied_is_named_as_such(tmp_path):
    """Root bypasses permission bits, so crm runs as nobody (a Python nobody may execute, with
    this worktree and its libraries on the path) against root's private folder."""
    import crm as package
    import peewee

    db = tmp_path / "crm.db"  # under pytest's 0700 folder: nobody may not even look inside
    assert crm(db, "add", "Ada Lovelace").returncode == 0
    paths = [str(Path(package.__file__).parent.parent), str(Path(peewee.__file__).parent)]
    code = f"import sys; sys.path[:0] = {paths!r}; from crm.cli import cli; cli()"
    as_nobody = subprocess.run([str(SYSTEM_PYTHON), "-c", code, "--db", str(db), "list"], capture_output=True,
                               text=True, timeout=TIMEOUT, preexec_fn=lambda: os.setuid(65534), cwd="/")
    assert as_nobody.returncode == 77, as_nobody.stderr
    assert "permission denied" in as_nobody.stderr and as_nobody.stderr.count("\n") == 1


def test_an_immutable_database_is_named_read_only(tmp_path):
    db = tmp_path / "crm.db"
    assert crm(db, "add", "Ada Lovelace").returncode == 0
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported here")
    try:
        added = crm(db, "add", "Grace Hopper")
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)
    assert added.returncode in (73, 77) and added.stderr.count("\n") == 1, added.stderr
    assert "read-only" in added.stderr or "not permitted" in added.stderr
    assert names(db) == {"Ada Lovelace"}


def test_names_too_long_get_a_clear_error(run, tmp_path):
    long = "n" * 300
    for args in (["--db", tmp_path / long / "crm.db", "list"], ["export", "-o", tmp_path / f"{long}.vcf"],
                 ["backup", tmp_path / f"{long}.db"], ["calendar", "-o", tmp_path / f"{long}.ics"]):
        result = run(*args)
        assert result.exit_code == 75, (args, result.output)
        assert "long" in result.stderr and result.stderr.count("\n") == 1
