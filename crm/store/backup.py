"""Keeping the data safe: online backup and validated restore (the health check is crm.store.check).

Backup and restore copy pages with SQLite's online backup API, never with a file copy: a copy
taken while another `crm` process writes is still one consistent snapshot, and a restore into
a database other processes have open is one write transaction they see whole or not at all.

Nothing here prints or reads the clock: callers pass the timestamp used in file names and
turn the returned values into output.
"""
from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from crm.errors import Interrupted, InvalidInput, StorageError, environment_error
from crm.files import check_input_file, check_output_path, hold_interrupts, make_private_dirs, private_temp
from crm.store.db import BUSY_TIMEOUT_SECONDS, SQLITE_MAGIC, open_read_only, save_checked_copy
from crm.store.migrations import LATEST_VERSION, MIGRATIONS

_CREATE_TABLE = re.compile(r"CREATE TABLE (\w+)", re.IGNORECASE)


# ---- opening files without changing them -------------------------------------------------------


def _writable(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    return conn


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _private_temp(directory: Path, name: str, purpose: str) -> Path:
    return private_temp(directory, name, purpose)


def _sidecars(database: Path) -> tuple[Path, ...]:
    return (database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal"))


def _refuse_database_files(target: Path, database: Path, what: str, error: type = StorageError) -> None:
    """The database and its -wal/-shm/-journal belong to SQLite: nothing else is written over them."""
    for protected in _sidecars(database):
        if _same_file(target, protected) or os.path.abspath(target) == os.path.abspath(protected):
            raise error(f"{target} is the crm database (or its {protected.name[len(database.name):] or 'file'}); "
                               f"{what} cannot be written over it")


def _remove_with_sidecars(path: Path) -> None:
    for candidate in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            candidate.unlink()
        except FileNotFoundError:
            pass


def _fsync_file_and_dir(path: Path) -> None:
    from crm.files import fsync_directory

    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    fsync_directory(path.parent)


def integrity_errors(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own `PRAGMA integrity_check`: [] when the file is sound."""
    try:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:  # too damaged to check at all ("database disk image is malformed")
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _version(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT MAX(version) FROM schema_migration").fetchone()[0] or 0


def _count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def _finish_copy(conn: sqlite3.Connection) -> None:
    """Make a freshly copied database one self-contained file (no -wal beside it)."""
    conn.execute("PRAGMA journal_mode = DELETE")


# ---- backup ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    schema_version: int
    contacts: int
    integrity_errors: tuple[str, ...] = ()


def backup_target(target: Path, stamp: str) -> Path:
    """Where `crm backup TARGET` writes: TARGET itself, or a dated file inside a folder."""
    if target.is_dir():
        return target / f"crm-{stamp.replace(':', '-')}.db"
    return target


def backup_database(source: Path, target: Path) -> BackupResult:
    """Copy the database at `source` to `target` (mode 0600), safe while others write to it.

    The copy is written to a temporary file in the target's folder and renamed into place, so
    an interrupted backup never leaves a half-written file where a good one was. An existing
    target is replaced only if it is itself a crm database (or empty): a backup never
    overwrites an unrelated file. A source that fails its integrity check is still copied
    (a damaged database is worth keeping) and the errors are returned.
    """
    source, target = Path(source), Path(target)
    check_output_path(target, "backup")
    if target.is_symlink():  # a link to a regular file: the file it points to gets the copy
        target = target.resolve()
    _refuse_database_files(target, source, "a backup")
    if not source.exists():
        raise StorageError(f"no database at {source}")
    check_input_file(source, StorageError)
    if not _is_sqlite(source):
        raise StorageError(f"{source} is not a crm database (not an SQLite file)")
    if _same_file(source, target):
        raise StorageError("the backup cannot be the database itself; choose another file")
    if target.is_dir():
        raise StorageError(f"{target} is a folder")
    if not target.parent.is_dir():
        raise StorageError(f"folder {target.parent} does not exist")
    if target.exists() and target.stat().st_size > 0 and not _is_crm_database(target):
        raise StorageError(f"{target} exists and is not a crm database; not overwriting it")
    try:
        tmp = _private_temp(target.parent, target.name, "backup")
    except OSError as exc:
        raise environment_error(exc, f"cannot write a backup in {target.parent}") or StorageError(
            f"cannot write a backup in {target.parent}: {exc.strerror}") from None
    try:
        src = _writable(source)
        try:
            dest = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                src.backup(dest)  # one step: a consistent snapshot even while another process writes
                _finish_copy(dest)
                errors = integrity_errors(dest)
                version = contacts = 0
                if not errors:
                    tables = _tables(dest)
                    version = _version(dest) if "schema_migration" in tables else 0
                    contacts = _count(dest, "contact") if "contact" in tables else 0
            finally:
                dest.close()
        finally:
            src.close()
        os.chmod(tmp, 0o600)
        _fsync_file_and_dir(tmp)
        os.replace(tmp, target)
    except (sqlite3.Error, OSError) as exc:
        _remove_with_sidecars(tmp)
        raise environment_error(exc, f"cannot write the backup {target}") or StorageError(
            f"backup failed: {exc}") from None
    except BaseException:
        _remove_with_sidecars(tmp)
        raise
    _fsync_file_and_dir(target)
    return BackupResult(target, target.stat().st_size, version, contacts, tuple(errors))


def _is_crm_database(path: Path) -> bool:
    if not _is_sqlite(path):
        return False
    try:
        conn = open_read_only(path)
        try:
            return "schema_migration" in _tables(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return False


# ---- restore ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    database: Path
    kept: Path | None  # where the database that was replaced now lives (None: there was none)
    schema_version: int
    contacts: int


def _tables_of_version(version: int) -> set[str]:
    names: set[str] = set()
    for migration in MIGRATIONS:
        if migration.version <= version:
            for statement in migration.statements:
                names.update(_CREATE_TABLE.findall(statement))
    return names


def validate_copy(conn: sqlite3.Connection, label: str) -> tuple[int, int]:
    """Refuse what is not a sound crm database this version understands. Returns (version, contacts)."""
    errors = integrity_errors(conn)
    if errors:
        raise StorageError(f"{label} fails SQLite's integrity check ({errors[0]}); not restoring it")
    tables = _tables(conn)
    if "schema_migration" not in tables:
        raise StorageError(f"{label} is not a crm database (SQLite, but without crm's schema)")
    try:
        version = _version(conn)
    except sqlite3.Error as exc:
        raise StorageError(f"{label} is not a crm database ({exc})") from None
    if not isinstance(version, int) or version < 1:
        raise StorageError(f"{label} is not a crm database (it records no schema version)")
    if version > LATEST_VERSION:
        raise StorageError(
            f"{label} has schema v{version}, newer than this crm understands (v{LATEST_VERSION}); upgrade crm first"
        )
    missing = sorted(_tables_of_version(version) - tables)
    if missing:
        raise StorageError(f"{label} claims schema v{version} but lacks the table(s) {', '.join(missing)}")
    return version, _count(conn, "contact")


def _free_name(path: Path, suffix: str) -> Path:
    candidate = path.with_name(f"{path.name}.{suffix}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{suffix}.{n}.bak")
    return candidate


def restore_database(database: Path, source: Path, stamp: str) -> RestoreResult:
    """Replace the database at `database` with the crm database in `source`.

    `source` is checked first (SQLite, integrity check passes, crm's schema_migration table and
    the tables its version implies, a version this crm knows); anything else is refused and
    nothing changes. The restored copy is staged beside the database and checked; the current
    database is saved next to itself as `crm.db.pre-restore-STAMP.bak` (0600, checked before it
    gets its name); only then is the live database replaced, in one step (see `_swap_in`).
    Ctrl-C is held during that step, so an interrupt reports truthfully whether it happened.
    A restored database of an older schema is migrated by the next command.
    """
    database, source = Path(database), Path(source)
    if not source.exists() and not source.is_symlink():
        raise StorageError(f"no such file: {source}")
    check_input_file(source, StorageError)
    check_output_path(database, "database")
    if _same_file(source, database):
        raise StorageError(f"{source} is the database itself; nothing to restore")
    if source.stat().st_size == 0:
        raise StorageError(f"{source} is empty, not a crm database")
    if not _is_sqlite(source):
        raise StorageError(f"{source} is not a crm database (not an SQLite file)")
    directory = database.parent
    try:
        make_private_dirs(directory)
        tmp = _private_temp(directory, database.name, "restore")
    except OSError as exc:
        raise environment_error(exc, f"cannot restore into {directory}") or StorageError(
            f"cannot create {directory}: {exc.strerror}") from None
    try:
        try:
            version, contacts = _stage(source, tmp, database)
        except KeyboardInterrupt:
            raise Interrupted("interrupted while checking the backup; the database was not changed") from None
        except OSError as exc:
            raise environment_error(exc, f"cannot restore into {directory}") or StorageError(
                f"restore failed, the database is unchanged: {exc.strerror}") from None
        with hold_interrupts() as held:
            kept = _swap_in(tmp, database, stamp)
    finally:
        _remove_with_sidecars(tmp)
    if held.interrupted:
        where = f"; the database it replaced is kept as {kept}" if kept else ""
        raise Interrupted(f"interrupted, but the restore had already finished: {database} holds the "
                          f"{contacts} contact(s) of {source}{where}")
    return RestoreResult(source, database, kept, version, contacts)


def _stage(source: Path, tmp: Path, database: Path) -> tuple[int, int]:
    """Copy `source` into `tmp`, validate the copy, and give it the live database's page size."""
    try:
        src = open_read_only(source)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {source}: {exc}") from None
    try:
        staged = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            try:
                src.backup(staged)
                _finish_copy(staged)
            except sqlite3.Error as exc:
                raise StorageError(f"{source} is not a crm database ({exc})") from None
            version, contacts = validate_copy(staged, str(source))
            live_page_size = _page_size(database)
            if live_page_size and staged.execute("PRAGMA page_size").fetchone()[0] != live_page_size:
                # A database in WAL mode cannot change its page size, so the copy adapts instead.
                staged.execute(f"PRAGMA page_size = {live_page_size}")
                staged.execute("VACUUM")
        finally:
            staged.close()
    finally:
        src.close()
    return version, contacts


def _page_size(database: Path) -> int | None:
    if not _is_sqlite(database):
        return None
    try:
        conn = open_read_only(database)
        try:
            return conn.execute("PRAGMA page_size").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _live_is_sound(database: Path) -> bool:
    if not _is_sqlite(database):
        return False
    try:
        conn = open_read_only(database)
        try:
            return not integrity_errors(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _swap_in(tmp: Path, database: Path, stamp: str) -> Path | None:
    """Put the staged (complete, checked) copy in place, keeping what was there. Returns where
    it was kept. Killed at any moment, the live name holds the old database or the restored one.

    A sound live database receives the restored pages through SQLite's backup API, which is
    one write transaction on it: a crash is rolled back by SQLite like any transaction, and
    other crm processes that have it open see the old database or the restored one. (A rename
    over a database others have open would let their -wal land on the new file.) A missing,
    empty or damaged one is replaced by one rename; the damaged file is first linked to its
    kept name, so no moment leaves the live name empty."""
    suffix = f"pre-restore-{stamp.replace(':', '-')}"
    try:
        if not database.exists() or database.stat().st_size == 0:
            for sidecar in _sidecars(database)[1:3]:  # a stray -wal/-shm must not meet the new file
                _unlink(sidecar)
            os.replace(tmp, database)
            _fsync_file_and_dir(database)
            return None
        if _live_is_sound(database):
            live = _writable(database)
            try:
                kept = save_checked_copy(live, database, suffix)
                staged = sqlite3.connect(str(tmp), isolation_level=None)
                try:
                    staged.backup(live)
                finally:
                    staged.close()
            except sqlite3.Error as exc:
                raise environment_error(exc, "restore failed, the current database is unchanged") or StorageError(
                    f"restore failed, the current database is unchanged: {exc}") from None
            finally:
                live.close()
            return kept
        # Damaged or not SQLite at all: keep it whole (with its -wal) under another name, then
        # one rename puts the restored file in its place.
        kept = _free_name(database, suffix)
        os.link(database, kept)
        os.chmod(kept, 0o600)
        wal = Path(f"{database}-wal")
        if wal.exists():
            os.link(wal, Path(f"{kept}-wal"))
            _unlink(wal)  # from here the live name is the damaged file without its log, still "old"
        _unlink(Path(f"{database}-shm"))
        os.replace(tmp, database)
        _fsync_file_and_dir(database)
        return kept
    except OSError as exc:
        raise environment_error(exc, "restore failed") or StorageError(f"restore failed: {exc.strerror}") from None


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# ---- exports ---------------------------------------------------------------------------------------


def check_export_target(output: Path, database: Path) -> None:
    """Refuse to write an export over the database, its -wal/-shm, any SQLite file (a backup),
    or anything that is not a regular file: `crm export -o crm.db` must not turn years of data
    into a vCard file, and `-o /dev/null` must not replace the device."""
    output = Path(output)
    check_output_path(output)
    if not output.exists():
        _refuse_database_files(output, database, "an export", InvalidInput)
        return
    for protected in _sidecars(database):
        if _same_file(output, protected):
            raise InvalidInput(f"{output} is the crm database; an export cannot be written over it")
    if _is_sqlite(output):
        raise InvalidInput(f"{output} is an SQLite database (a backup?); an export will not overwrite it")
