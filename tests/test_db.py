"""Opening the database: file mode, pragmas, migrations, refusing foreign files."""
from __future__ import annotations

import sqlite3
import stat

import pytest

from crm.store.db import migrate, open_database, schema_version
from crm.errors import StorageError
from crm.store.migrations import LATEST_VERSION, M001_INITIAL, MIGRATIONS
from crm.store.models import ALL_MODELS, database


def test_new_database_is_private_wal_with_foreign_keys(tmp_path):
    path = tmp_path / "sub" / "crm.db"
    db = open_database(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert schema_version(db) == LATEST_VERSION
    db.close()


def test_migrations_are_recorded_once_and_reopening_changes_nothing(tmp_path):
    path = tmp_path / "crm.db"
    open_database(path).close()
    db = open_database(path)
    rows = db.execute_sql("SELECT version, name FROM schema_migration ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in MIGRATIONS]
    assert migrate(db, path) == []
    db.close()


def test_models_match_the_migrated_schema(tmp_path):
    db = open_database(tmp_path / "crm.db")
    for model in ALL_MODELS:
        table = model._meta.table_name
        columns = {c.name for c in db.get_columns(table)}
        fields = {f.column_name for f in model._meta.sorted_fields}
        assert fields == columns, table
    db.close()


def test_upgrade_from_first_schema_keeps_rows_and_saves_a_copy(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in M001_INITIAL.statements:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migration VALUES (1, 'm001_initial', '2025-01-01T00:00:00')")
    conn.execute(
        "INSERT INTO contact (display_name, name_key, role, created_at, updated_at)"
        " VALUES ('Zoë Ødegård', 'zoe odegard', 'mentor', '2025-01-01T00:00:00', '2025-01-01T00:00:00')"
    )
    conn.execute(
        "INSERT INTO contact_method (contact_id, medium, value, norm) VALUES (1, 'email', 'Zoe@X.example', 'zoe@x.example')"
    )
    conn.commit()
    conn.close()
    db = open_database(path)
    assert schema_version(db) == LATEST_VERSION
    assert db.execute_sql("SELECT display_name, role, paused, cadence_days FROM contact").fetchall() == [
        ("Zoë Ødegård", "mentor", 0, None)
    ]
    assert db.execute_sql("SELECT value FROM contact_method").fetchall() == [("Zoe@X.example",)]
    copy = tmp_path / "old.db.v1.bak"
    assert copy.exists() and stat.S_IMODE(copy.stat().st_mode) == 0o600
    saved = sqlite3.connect(copy)
    assert saved.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0] == 1
    assert saved.execute("SELECT display_name FROM contact").fetchone()[0] == "Zoë Ødegård"
    saved.close()
    db.close()


def test_refuses_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, not a database\n" * 10)
    with pytest.raises(StorageError, match="not a crm database"):
        open_database(path)
    assert path.read_text().startswith("hello")


def test_refuses_an_sqlite_file_of_another_program(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="not a crm database"):
        open_database(path)


def test_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "crm.db"
    db = open_database(path)
    db.execute_sql("INSERT INTO schema_migration VALUES (999, 'm999_future', '2030-01-01')")
    db.close()
    with pytest.raises(StorageError, match="newer"):
        open_database(path)
    database.initialize(None)
