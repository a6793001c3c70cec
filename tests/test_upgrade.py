"""Upgrades: a database made by the oldest schema opens, migrates, keeps every row, and leaves
a private copy of itself from before the migration (guarantee 3)."""
from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import peewee
import pytest

from crm.store.db import open_database, schema_version
from crm.store.migrations import LATEST_VERSION, M001_INITIAL
from crm.store.models import database

V1_DB = Path(__file__).resolve().parent / "data" / "crm-v1.db"
V1_TABLES = ("schema_migration", "organisation", "contact", "contact_method", "interest",
             "contact_interest", "extra_property")


def rows_of(path: Path, columns_from: Path | None = None) -> dict[str, list[tuple]]:
    """Every row of every v1 table, with the v1 columns only, in rowid order."""
    source = sqlite3.connect(columns_from or path)
    columns = {t: [r[1] for r in source.execute(f"PRAGMA table_info({t})")] for t in V1_TABLES}
    source.close()
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT {', '.join(map(repr, columns[t]))} FROM {t} ORDER BY rowid").fetchall()
            for t in V1_TABLES
        }
    finally:
        conn.close()


@pytest.fixture
def old_db(tmp_path) -> Path:
    target = tmp_path / "crm.db"
    shutil.copyfile(V1_DB, target)
    return target


def test_the_fixture_is_a_v1_database_with_representative_data():
    conn = sqlite3.connect(f"file:{V1_DB}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT version FROM schema_migration").fetchall() == [(1,)]
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == set(V1_TABLES)  # m001 and nothing else
        assert "cadence_days" not in [r[1] for r in conn.execute("PRAGMA table_info(contact)")]
        names = [n for (n,) in conn.execute("SELECT display_name FROM contact")]
        assert "Zoë Ødegård" in names and "王小明" in names
        assert conn.execute(
            "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM contact_method WHERE medium = 'email' GROUP BY contact_id)"
        ).fetchone()[0] >= 2
        assert conn.execute("SELECT COUNT(*) FROM contact_interest").fetchone()[0] >= 4
        assert conn.execute("SELECT COUNT(*) FROM extra_property").fetchone()[0] >= 4
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    finally:
        conn.close()
    assert len(M001_INITIAL.statements) > 0


def test_upgrading_the_v1_database_keeps_every_row_and_saves_a_private_copy(old_db):
    before = rows_of(old_db)
    db = open_database(old_db, applied_at="2026-01-01T00:00:00")
    try:
        assert schema_version(db) == LATEST_VERSION
        assert db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        # New columns arrive with their defaults; nothing else changed.
        assert db.execute_sql("SELECT DISTINCT paused, cadence_days, snoozed_until FROM contact").fetchall() == [
            (0, None, None)
        ]
    finally:
        db.close()
        database.initialize(None)
    after = rows_of(old_db, columns_from=V1_DB)
    after["schema_migration"] = after["schema_migration"][:1]
    assert after == before

    copy = old_db.with_name("crm.db.v1.bak")
    assert copy.exists()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert rows_of(copy) == before  # the copy is the database as it was, not a partial one
    saved = sqlite3.connect(copy)
    assert saved.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    saved.close()


def test_upgraded_database_reads_back_through_the_cli(old_db, monkeypatch, run):
    monkeypatch.setenv("CRM_DB", str(old_db))
    zoe = json.loads(run("show", "zoe odegard", "--json").stdout)
    assert zoe["emails"][0] == {"value": "Zoe@Aero.example", "type": "work,pref", "label": ""}
    assert len(zoe["emails"]) == 3
    assert zoe["birthday"] == "1988-02-29"
    assert [i["name"] for i in zoe["interests"]] == ["Café culture", "Chess"]
    jose = json.loads(run("show", "jose@sge.example", "--json").stdout)
    assert jose["birthday"] == "--12-24" and jose["org"] == "Société Générale d'Électronique"
    check = run("check")
    assert check.exit_code == 0, check.output
    assert (old_db.parent / "crm.db.v1.bak").exists()


def test_a_second_open_does_not_copy_again(old_db):
    open_database(old_db).close()
    open_database(old_db).close()
    database.initialize(None)
    assert sorted(p.name for p in old_db.parent.glob("*.bak")) == ["crm.db.v1.bak"]


def test_a_failing_migration_leaves_the_old_version_intact(old_db, monkeypatch):
    """Each migration runs in one transaction with its schema_migration row: a failure part-way
    through m003 leaves a v2 database that the next (fixed) crm upgrades normally."""
    import crm.store.db
    from crm.store.migrations import MIGRATIONS, Migration

    broken = Migration(3, "m003_broken", (MIGRATIONS[2].statements[0], "ALTER TABLE nowhere ADD COLUMN x"),
                       alters_existing=True)
    with monkeypatch.context() as patched:
        patched.setattr(crm.store.db, "MIGRATIONS", (*MIGRATIONS[:2], broken))
        with pytest.raises(peewee.OperationalError):
            open_database(old_db)
    database.obj.close()
    conn = sqlite3.connect(old_db)
    assert conn.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0] == 2
    assert "cadence_days" not in [r[1] for r in conn.execute("PRAGMA table_info(contact)")]
    conn.close()
    db = open_database(old_db)
    assert schema_version(db) == LATEST_VERSION
    db.close()
    database.initialize(None)
