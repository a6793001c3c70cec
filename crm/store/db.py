"""Opening the database: location, file mode, pragmas, migrations.

Every connection runs with WAL journaling, foreign keys on, and a busy timeout, and every
transaction begins IMMEDIATE: a writer takes the write lock up front, so two `crm` processes
queue behind each other instead of failing with "database is locked" on a lock upgrade.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

from crm.errors import StorageError
from crm.store.migrations import LATEST_VERSION, M007_IDENTITY, MIGRATIONS, Migration
from crm.store.models import database

BUSY_TIMEOUT_SECONDS = 30
APP_NAME = "crm"
SQLITE_MAGIC = b"SQLite format 3\x00"


def default_path() -> Path:
    """`CRM_DB` if set, else the platform's user data dir (e.g. ~/.local/share/crm/crm.db)."""
    env = os.environ.get("CRM_DB")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "crm.db"


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist (parent dirs 0700)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that exists, is not empty, and is not an SQLite database."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except IsADirectoryError:
        raise StorageError(f"{path} is a directory, not a database file") from None
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise StorageError(f"{path} is not a crm database (not an SQLite file)")


def connect(path: Path) -> SqliteDatabase:
    return SqliteDatabase(
        str(path),
        pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": BUSY_TIMEOUT_SECONDS * 1000,
            "synchronous": "normal",  # safe in WAL mode: a crash loses at most the last commit, never corrupts
            "cache_size": -32000,
        },
        timeout=BUSY_TIMEOUT_SECONDS,
        lock_type="IMMEDIATE",
    )


def open_database(path: Path | str, *, migrate_schema: bool = True, applied_at: str | None = None,
                  region: str | None = None) -> SqliteDatabase:
    """Open (creating if needed, mode 0600) and migrate the database at `path`; bind the models to it."""
    path = Path(path)
    if path.exists():
        check_sqlite_file(path)
    else:
        try:
            create_private_file(path)
        except OSError as exc:
            raise StorageError(f"cannot create database {path}: {exc.strerror}") from None
    db = connect(path)
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:  # sqlite3 errors on a damaged file
        raise StorageError(f"cannot open database {path}: {exc}") from None
    database.initialize(db)
    if migrate_schema:
        applied = migrate(db, path, applied_at)
        if region and any(m.name == M007_IDENTITY.name for m in applied):
            rekey_phones(db, region)
    return db


def rekey_phones(db: SqliteDatabase, region: str) -> int:
    """Key national phone numbers with the caller's region: m007, which cannot know it, left
    them digits-only. Returns how many keys changed."""
    from crm.text import phone_key

    with db.atomic():
        conn = db.connection()
        rows = conn.execute("SELECT id, value, norm FROM contact_method WHERE medium = 'phone' AND norm NOT LIKE '+%'")
        changes = [(key, rid) for rid, value, norm in rows.fetchall() if (key := phone_key(value, region)) != norm]
        conn.executemany("UPDATE contact_method SET norm = ? WHERE id = ?", changes)
    return len(changes)


def schema_version(db: SqliteDatabase) -> int:
    """0 for an empty database; raises StorageError for a database that is not ours."""
    try:
        tables = set(db.get_tables())
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"not a crm database: {exc}") from None
    if "schema_migration" not in tables:
        if tables:
            raise StorageError("not a crm database (it has tables, but no crm schema)")
        return 0
    row = db.execute_sql("SELECT MAX(version) FROM schema_migration").fetchone()
    return row[0] or 0


def has_user_data(db: SqliteDatabase) -> bool:
    return bool(db.execute_sql("SELECT EXISTS (SELECT 1 FROM contact)").fetchone()[0])


def pre_migration_copy(db: SqliteDatabase, path: Path, from_version: int) -> Path:
    """Save a consistent copy of the database next to it, named for the version it holds."""
    target = path.with_name(f"{path.name}.v{from_version}.bak")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.v{from_version}.{n}.bak")
    create_private_file(target)
    source = db.connection()
    dest = sqlite3.connect(str(target))
    try:
        source.backup(dest)
    finally:
        dest.close()
    return target


def migrate(db: SqliteDatabase, path: Path, applied_at: str | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction. Returns what was applied."""
    current = schema_version(db)
    if current > LATEST_VERSION:
        raise StorageError(
            f"database schema v{current} is newer than this crm understands (v{LATEST_VERSION}); upgrade crm"
        )
    pending = [m for m in MIGRATIONS if m.version > current]
    if not pending:
        return []
    if current > 0 and any(m.alters_existing for m in pending) and has_user_data(db):
        pre_migration_copy(db, path, current)
    # Informative only, and given by the caller (the CLI passes its "now"): storage never reads the clock.
    stamp = applied_at or "unrecorded"
    for migration in pending:
        for name, function in migration.functions:
            db.connection().create_function(name, 1, function, deterministic=True)
        with db.atomic():
            for statement in migration.statements:
                db.execute_sql(statement)
            db.execute_sql(
                "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, stamp),
            )
    return pending
