"""Opening the database: location, file mode, pragmas, migrations.

Every connection runs with WAL journaling, foreign keys on, and a busy timeout, and every
transaction begins IMMEDIATE: a writer takes the write lock up front, so two `crm` processes
queue behind each other instead of failing with "database is locked" on a lock upgrade.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

from crm.errors import StorageError, environment_error
from crm.files import check_name_lengths, in_system_tree, make_private_dirs, special_kind
from crm.store.migrations import LATEST_VERSION, M007_IDENTITY, MIGRATIONS, Migration

# The database every model (crm.store.models, which re-exports it) and every query goes through;
# `open_database` binds it. Here rather than with the models, so that a command reading through
# SQL alone (`crm today`) does not build thirty model classes.
database = DatabaseProxy()

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
    """Create `path` empty with mode 0600 if it does not exist (missing folders 0700)."""
    if path.exists():
        return
    make_private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another crm process created it a moment ago
        return
    os.close(fd)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that exists, is not empty, and is not an SQLite database (never opens a FIFO)."""
    kind = special_kind(path)
    if kind:
        raise StorageError(f"{path} is {kind}, not a database file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise environment_error(exc, f"cannot read {path}") or StorageError(f"cannot read {path}: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise StorageError(f"{path} is not a crm database (not an SQLite file)")


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: never creates the file, never writes to it (no pragma that
    changes it). Where SQLite cannot open it read-only (a WAL database in a read-only folder,
    with no -shm to share), and no -wal holds committed pages, it is opened `immutable`."""
    uri = Path(path).resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


def inspect_read_only(path: Path) -> int:
    """The schema version of the SQLite file at `path`, read without writing to it; raises
    StorageError for a file that is not ours (another application's, or a newer schema), so
    nothing that would change it runs until it is known to be a crm database."""
    check_sqlite_file(path)
    try:
        conn = open_read_only(path)
    except sqlite3.Error as exc:
        raise environment_error(exc, f"cannot open database {path}") or StorageError(
            f"cannot open database {path}: {exc}") from None
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_migration" not in tables:
            if tables:
                raise StorageError(f"{path} is not a crm database (an SQLite file of another application); "
                                   "it was not changed")
            return 0
        version = conn.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0] or 0
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path} is not a crm database ({exc}); it was not changed") from None
    finally:
        conn.close()
    if not isinstance(version, int):
        raise StorageError(f"{path} is not a crm database (its schema version is {version!r}); it was not changed")
    refuse_newer(version)
    return version


def refuse_newer(version: int) -> None:
    if version > LATEST_VERSION:
        raise StorageError(
            f"database schema v{version} is newer than this crm understands (v{LATEST_VERSION}); upgrade crm "
            "(the database was not changed)"
        )


def unwritable(path: Path) -> Exception | None:
    """Why SQLite could not open `path` for writing, when the cause is the file or its folder
    ("unable to open database file" says nothing): a read-only mount, or no write permission."""
    from crm.errors import PermissionDenied, ReadOnlyLocation

    from crm.errors import DiskFull

    folder = path.parent
    try:
        info = os.statvfs(folder)
    except OSError:
        return None
    if info.f_flag & os.ST_RDONLY:
        return ReadOnlyLocation(f"cannot open database {path}: it is on a read-only file system")
    if info.f_bavail == 0:  # SQLite could not even map its -shm: "disk I/O error"
        return DiskFull(f"cannot open database {path}: no space left on the device")
    for target in (folder, path):
        if target.exists() and not os.access(target, os.W_OK):
            return PermissionDenied(f"cannot open database {path}: {target} is not writable")
    return None


def check_database_path(path: Path) -> None:
    """Refuse, before anything opens it, a --db that cannot be a database file."""
    check_name_lengths(path)
    if str(path) == "-" or in_system_tree(Path(path).resolve()):
        raise StorageError(f"{path} is not a place for a database; give a regular file")
    kind = special_kind(path)
    if kind:
        raise StorageError(f"{path} is {kind}, not a database file")


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
    """Open (creating if needed, mode 0600) and migrate the database at `path`; bind the models to it.

    An existing file is first read read-only: it is opened for writing (which switches it to
    WAL) only once it is known to be a crm database of a schema this crm understands."""
    path = Path(path)
    check_database_path(path)
    if path.exists() and path.stat().st_size > 0:
        inspect_read_only(path)
    else:
        try:
            create_private_file(path)
        except OSError as exc:
            raise environment_error(exc, f"cannot create database {path}") or StorageError(
                f"cannot create database {path}: {exc.strerror}") from None
    db = connect(path)
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:  # sqlite3 errors on a damaged file
        cause = getattr(exc, "orig", None) or exc
        raise environment_error(cause, f"cannot open database {path}") or unwritable(path) or StorageError(
            f"cannot open database {path}: {exc}") from None
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


def save_checked_copy(conn: sqlite3.Connection, path: Path, suffix: str,
                      expect_version: int | None = None) -> Path:
    """Save a consistent copy of the database on `conn` next to `path` as `NAME.SUFFIX.bak`
    (`NAME.SUFFIX.2.bak` if taken; never replacing a file), mode 0600.

    The copy is written to a temporary file, checked (integrity, and the version it should
    hold), and only then given its name: a `.bak` is always a whole database."""
    from crm.files import fsync_directory, private_temp

    tmp = private_temp(path.parent, path.name, "copy")
    try:
        dest = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
            sound = dest.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            copied = None
            if expect_version is not None:
                copied = dest.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0]
        finally:
            dest.close()
        if not sound or copied != expect_version:
            raise StorageError(f"the copy of {path} did not check out; nothing was changed")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        n = 1
        target = path.with_name(f"{path.name}.{suffix}.bak")
        while True:
            try:
                os.link(tmp, target)  # never replaces a file already there
                break
            except FileExistsError:
                n += 1
                target = path.with_name(f"{path.name}.{suffix}.{n}.bak")
        fsync_directory(path.parent)
    except OSError as exc:
        raise environment_error(exc, f"cannot save a copy of {path}") or StorageError(
            f"cannot save a copy of {path}: {exc.strerror}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal")):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
    return target


def pre_migration_copy(db: SqliteDatabase, path: Path, from_version: int) -> Path:
    """The copy made before an upgrade changes a table that holds data (`crm.db.vN.bak`).
    Called inside the upgrade's write transaction, so no other crm process upgrades or copies
    at the same time."""
    # A second connection reads the last committed state: a connection inside a write
    # transaction cannot be the source of SQLite's backup (it waits for itself forever).
    reader = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS)
    try:
        return save_checked_copy(reader, path, f"v{from_version}", from_version)
    finally:
        reader.close()


def migrate(db: SqliteDatabase, path: Path, applied_at: str | None = None) -> list[Migration]:
    """Apply every pending migration. Returns what was applied.

    The version is read again inside one write transaction (BEGIN IMMEDIATE) that holds the
    whole upgrade, so of several crm processes opening an old (or new, empty) database at once
    exactly one upgrades it and makes the one pre-migration copy; the others wait, then find
    nothing to do. Each migration is a savepoint with its schema_migration row: one that fails
    is undone alone, and the ones before it are kept (the next, fixed, crm goes on from there)."""
    current = schema_version(db)  # a cheap look outside the lock: nearly every open stops here
    refuse_newer(current)
    if current == LATEST_VERSION:
        return []
    # Informative only, and given by the caller (the CLI passes its "now"): storage never reads the clock.
    stamp = applied_at or "unrecorded"
    applied: list[Migration] = []
    failure: BaseException | None = None
    with db.atomic():
        current = schema_version(db)
        refuse_newer(current)
        pending = [m for m in MIGRATIONS if m.version > current]
        if current > 0 and any(m.alters_existing for m in pending) and has_user_data(db):
            pre_migration_copy(db, path, current)
        for migration in pending:
            for name, function in migration.functions:
                db.connection().create_function(name, 1, function, deterministic=True)
            try:
                with db.atomic():
                    for statement in migration.statements:
                        db.execute_sql(statement)
                    db.execute_sql(
                        "INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
                        (migration.version, migration.name, stamp),
                    )
            except Exception as exc:  # noqa: BLE001 - keep the migrations before it, then raise
                failure = exc
                if not db.connection().in_transaction:
                    raise  # SQLite itself ended the transaction (disk full): nothing to keep
                break
            applied.append(migration)
    if failure is not None:
        raise failure
    return applied
