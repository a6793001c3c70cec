"""`crm check`: the database's health in plain words.

SQLite's own integrity and foreign-key checks, then the things only crm knows are wrong
(a contact without a name, a touchpoint dated in an impossible format, an interview round with
no interviewers, an email whose stored normal form does not match it). Reads only; prints nothing.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator

from crm import shapes
from crm.errors import StorageError, environment_error
from crm.files import remove_files, stale_temp_files
from crm.store.backup import _count, _tables, _version, integrity_errors
from crm.store.db import check_sqlite_file, open_read_only
from crm.store.migrations import LATEST_VERSION


@dataclass(frozen=True)
class Problem:
    """One thing wrong, in plain words. `check` is a stable code a script can match on."""

    check: str
    table: str
    id: int | None
    message: str
    column: str = field(default="", compare=False)  # where a repair writes; not in the JSON

    def as_json(self) -> shapes.Problem:
        return {"check": self.check, "table": self.table, "id": self.id, "message": self.message}


@dataclass
class CheckReport:
    database: str
    schema_version: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)  # set by `crm check --repair`

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> shapes.CheckReport:
        return {
            "database": self.database,
            "ok": self.ok,
            "schema_version": self.schema_version,
            "counts": self.counts,
            "problems": [p.as_json() for p in self.problems],
            "repaired": [p.as_json() for p in self.repaired],
        }


# The checks `crm check` runs, in the order it reports them (codes are part of the JSON shape).
CHECKS = {
    "integrity": "SQLite integrity check",
    "foreign-key": "rows pointing at a row that does not exist",
    "contact-without-name": "contacts without a name",
    "contact-name-key": "contacts whose search key does not match their name",
    "contact-bad-birthday": "birthdays that are not a date",
    "contact-bad-date": "snooze dates that are not a date",
    "method-empty": "emails, phones or URLs with an empty value",
    "method-norm": "emails, phones or URLs whose stored normalised form does not match the value",
    "organisation-without-name": "organisations without a name",
    "touchpoint-bad-date": "touchpoints dated in an impossible format",
    "touchpoint-without-kind": "touchpoints without a kind",
    "application-without-organisation": "applications without an organisation",
    "application-bad-date": "application dates that are not a date",
    "round-bad-date": "interview rounds dated in an impossible format",
    "round-without-interviewers": "interview rounds with no interviewers",
    "offer-bad-date": "offers dated in an impossible format",
    "contact-bad-cadence": "own keep-in-touch intervals that are not 1-3650 days",
    "bad-created-at": "records whose creation or update time is empty or not a date",
    "value-wrong-type": "binary data or numbers where text belongs",
    "text-not-utf8": "text that is not valid UTF-8",
    "leftover-temp-file": "temporary files left by an interrupted crm run",
    "touch-summary": "contacts whose touch summary (what crm today reads) disagrees with their log",
    "review-summary": "days and contacts whose review summary (what crm review reads) disagrees with the log",
}

COUNTED = ("contact", "organisation", "touchpoint", "application", "interview_round", "offer")
_WHEN = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?")


def valid_when(value: object) -> bool:
    """'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM[:SS]' naming a real day and time."""
    if not isinstance(value, str) or not _WHEN.fullmatch(value):
        return False
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def valid_date(value: object) -> bool:
    return value is None or (isinstance(value, str) and len(value) == 10 and valid_when(value))


def _show(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def check_database(path: Path, open_migrated: Callable[[], sqlite3.Connection]) -> CheckReport:
    """Check the database at `path`: first the file itself, read-only; then, only if it is sound,
    the data. A database of the current schema is checked on the read-only connection (so a
    read-only folder or a full disk cannot be mistaken for damage); an older one on the
    connection `open_migrated` returns (the database opened, and so upgraded, as every
    command opens it)."""
    path = Path(path)
    if not path.is_file():
        raise StorageError(f"no database at {path}")
    check_sqlite_file(path)
    report = CheckReport(database=str(path))
    for leftover in stale_temp_files(path.parent, path.name):
        report.problems.append(Problem("leftover-temp-file", "", None,
                                       f"{leftover.name} was left by an interrupted crm run (crm check --repair removes it)",
                                       str(leftover)))
    try:
        raw = open_read_only(path)
    except sqlite3.Error as exc:
        raise environment_error(exc, f"cannot read {path}") or StorageError(f"cannot open {path}: {exc}") from None
    try:
        try:
            errors = integrity_errors(raw)
        except sqlite3.OperationalError as exc:
            raise environment_error(exc, f"cannot read {path}") or StorageError(f"cannot check {path}: {exc}") from None
        if errors and environment_error(sqlite3.OperationalError(errors[0]), "") is not None:
            raise environment_error(sqlite3.OperationalError(errors[0]), f"cannot read {path}")
        report.problems.extend(Problem("integrity", "", None, f"integrity check: {e}") for e in errors)
        if not errors:
            current = "schema_migration" in _tables(raw) and _version(raw) == LATEST_VERSION
            check_consistency(raw if current else open_migrated(), report)
    finally:
        raw.close()
    return report


def check_consistency(conn: sqlite3.Connection, report: CheckReport) -> CheckReport:
    """Step two, on a sound database of the current schema: foreign keys and the data's own rules."""
    previous = conn.text_factory
    conn.text_factory = _lenient_text  # text that is not UTF-8 is a finding, not a crash
    try:
        report.schema_version = _version(conn)
        report.counts = {table: _count(conn, table) for table in COUNTED}
        report.problems.extend(_foreign_keys(conn))
        for finder in (_contacts, _methods, _organisations, _touchpoints, _applications, _rounds, _offers,
                       _cadences, _stamps, _values, _summaries):
            report.problems.extend(finder(conn))
    finally:
        conn.text_factory = previous
    return report


def _lenient_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _has_raw_bytes(value: object) -> bool:
    return isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value)


def _cadences(conn: sqlite3.Connection) -> Iterator[Problem]:
    from crm.store.models import MAX_CADENCE_DAYS

    for cid, days in conn.execute("SELECT id, cadence_days FROM contact WHERE cadence_days IS NOT NULL ORDER BY id"):
        if not (isinstance(days, int) and 1 <= days <= MAX_CADENCE_DAYS):
            yield Problem("contact-bad-cadence", "contact", cid,
                          f"contact #{cid}: keep in touch every {_show(days)} days is not 1-{MAX_CADENCE_DAYS} "
                          f"(set it with crm cadence {cid} DAYS)", "cadence_days")


_DAYS = re.compile(r"\s*(\d+)\s*(?:d|days?)?\s*", re.IGNORECASE)  # '30', ' 30 ', '30 days'
_STAMPED = ("contact", "touchpoint", "application", "offer")


def _stamps(conn: sqlite3.Connection) -> Iterator[Problem]:
    for table in _STAMPED:
        columns = ["created_at"] + (["updated_at"] if table == "contact" else [])
        for column in columns:
            for rowid, value in conn.execute(f"SELECT id, {column} FROM {table} ORDER BY id"):
                if not valid_when(value):
                    yield Problem("bad-created-at", table, rowid,
                                  f"{table} #{rowid}: {column} {_show(value)} is not a date and time", column)


def _text_columns(conn: sqlite3.Connection) -> dict[str, list[str]]:
    found = {}
    for table in sorted(_tables(conn)):
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")') if row[2].upper() == "TEXT"]
        if columns:
            found[table] = columns
    return found


def _values(conn: sqlite3.Connection) -> Iterator[Problem]:
    """Binary data where text belongs, and text that is not UTF-8, in every TEXT column. SQL
    passes on only the rows with a value that is not text or holds a character outside
    printable ASCII, so this reads little."""
    for table, columns in _text_columns(conn).items():
        suspicious = " OR ".join(
            f'typeof("{c}") NOT IN (\'text\', \'null\') OR "{c}" GLOB \'*[^ -~]*\'' for c in columns)
        picked = ", ".join(f'typeof("{c}"), CAST("{c}" AS BLOB)' for c in columns)
        for row in conn.execute(f'SELECT rowid, {picked} FROM "{table}" WHERE {suspicious} ORDER BY rowid'):
            rowid = row[0]
            for i, column in enumerate(columns):
                kind, raw = row[1 + 2 * i], row[2 + 2 * i]
                if kind in ("blob", "integer", "real"):
                    yield Problem("value-wrong-type", table, rowid,
                                  f"{table} #{rowid}: {column} holds {kind} data, not text", column)
                elif kind == "text" and raw is not None:
                    try:
                        bytes(raw).decode("utf-8")
                    except UnicodeDecodeError:
                        yield Problem("text-not-utf8", table, rowid,
                                      f"{table} #{rowid}: {column} is not valid UTF-8 text", column)


# ---- crm check --repair ---------------------------------------------------------------------------

_DERIVED = ("touch-summary", "review-summary")  # the tables crm.store.summary states from the log
REPAIRABLE = ("contact-name-key", "method-norm", "text-not-utf8", "value-wrong-type", "contact-bad-cadence",
              "bad-created-at", "leftover-temp-file")


def as_text(raw: bytes) -> str:
    """Bytes as text without losing any: UTF-8 where they are, each other byte as the Latin-1
    character of the same number (the usual source of such bytes is a Latin-1 file)."""
    return raw.decode("utf-8", "surrogateescape").encode("utf-8", "surrogateescape").decode("utf-8", _LATIN1)


def _latin1(error: UnicodeDecodeError):
    return error.object[error.start:error.end].decode("latin-1"), error.end


import codecs  # noqa: E402 - registered once, beside its one user

_LATIN1 = "crm-latin1-fallback"
codecs.register_error(_LATIN1, _latin1)


def repair(conn: sqlite3.Connection, report: CheckReport) -> list[Problem]:
    """Fix, in one write transaction, what can be fixed without losing anything; returns what
    was fixed. Values are first made text (so the keys computed next are right)."""
    from crm.store.models import MAX_CADENCE_DAYS
    from crm.text import fold, method_key

    fixed: list[Problem] = []
    for problem in report.problems:
        if problem.check == "leftover-temp-file" and remove_files([Path(problem.column)]):
            fixed.append(problem)
    previous = conn.text_factory
    conn.text_factory = _lenient_text
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for problem in report.problems:
                if problem.check in ("text-not-utf8", "value-wrong-type"):
                    kind, raw = conn.execute(
                        f'SELECT typeof("{problem.column}"), CAST("{problem.column}" AS BLOB) FROM "{problem.table}" '
                        "WHERE rowid = ?", (problem.id,)).fetchone()
                    if kind in ("integer", "real"):
                        continue  # a number is not lossy to leave; only the user knows what it meant
                    conn.execute(f'UPDATE "{problem.table}" SET "{problem.column}" = ? WHERE rowid = ?',
                                 (as_text(bytes(raw)), problem.id))
                    fixed.append(problem)
            again = check_consistency(conn, CheckReport(report.database))
            for problem in again.problems:
                if problem.check == "contact-name-key":
                    (name,) = conn.execute("SELECT display_name FROM contact WHERE id = ?", (problem.id,)).fetchone()
                    conn.execute("UPDATE contact SET name_key = ? WHERE id = ?", (fold(name), problem.id))
                elif problem.check == "method-norm":
                    medium, value = conn.execute("SELECT medium, value FROM contact_method WHERE id = ?",
                                                 (problem.id,)).fetchone()
                    conn.execute("UPDATE contact_method SET norm = ? WHERE id = ?", (method_key(medium, value), problem.id))
                elif problem.check == "contact-bad-cadence":
                    (days,) = conn.execute("SELECT cadence_days FROM contact WHERE id = ?", (problem.id,)).fetchone()
                    number = _DAYS.fullmatch(str(days))
                    if not (number and 1 <= int(number.group(1)) <= MAX_CADENCE_DAYS):
                        continue  # out of range or not a number: only the user knows what was meant
                    conn.execute("UPDATE contact SET cadence_days = ? WHERE id = ?", (int(number.group(1)), problem.id))
                elif problem.check == "bad-created-at":
                    if not _restamp(conn, problem):
                        continue
                elif problem.check in _DERIVED:  # every derived table rebuilt whole from the log, once
                    if not any(p.check in _DERIVED for p in fixed):
                        from crm.store.summary import rebuild

                        rebuild(conn)
                else:
                    continue
                fixed.append(problem)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.text_factory = previous
    return fixed


def _restamp(conn: sqlite3.Connection, problem: Problem) -> bool:
    """An empty or broken creation time takes the record's own other time: its update time,
    or its date, or (for a contact) its first touch. Nothing is invented."""
    table, rowid, column = problem.table, problem.id, problem.column
    candidates = []
    if table == "contact":
        other = "updated_at" if column == "created_at" else "created_at"
        candidates.append(conn.execute(f"SELECT {other} FROM contact WHERE id = ?", (rowid,)).fetchone()[0])
        candidates.append(conn.execute('SELECT MIN("on") FROM touchpoint WHERE contact_id = ?', (rowid,)).fetchone()[0])
    elif table in ("touchpoint", "offer"):
        candidates.append(conn.execute(f'SELECT "on" FROM {table} WHERE id = ?', (rowid,)).fetchone()[0])
    for value in candidates:
        if valid_when(value):
            stamp = value if len(value) > 10 else value + "T00:00:00"
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", (stamp, rowid))
            return True
    return False


def _foreign_keys(conn: sqlite3.Connection) -> Iterator[Problem]:
    references = {}
    for table in sorted(_tables(conn)):
        for row in conn.execute(f"PRAGMA foreign_key_list({table})"):
            references[(table, row[0])] = (row[3], row[2])  # (column, parent table)
    for table, rowid, parent, fkid in conn.execute("PRAGMA foreign_key_check").fetchall():
        column, _ = references.get((table, fkid), ("?", parent))
        if (table, column) == ("application", "organisation_id"):
            continue  # reported in plainer words as application-without-organisation
        value = None
        if rowid is not None and column != "?":
            value = conn.execute(f'SELECT "{column}" FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
        what = f"{parent} #{value[0]}" if value else f"a {parent}"
        yield Problem("foreign-key", table, rowid, f"{table} #{rowid} refers to {what}, which does not exist")


def _contacts(conn: sqlite3.Connection) -> Iterator[Problem]:
    from crm.text import fold

    for cid, name, key, year, month, day, snoozed in conn.execute(
        "SELECT id, display_name, name_key, bday_year, bday_month, bday_day, snoozed_until FROM contact ORDER BY id"
    ):
        if not isinstance(name, str) or not name.strip():
            yield Problem("contact-without-name", "contact", cid,
                          f"contact #{cid} has no name (give it one: crm edit {cid} --name NAME)")
        elif key != fold(name):
            yield Problem("contact-name-key", "contact", cid,
                          f"contact #{cid}: search key {_show(key)} does not match the name {_show(name)}")
        if month is not None or day is not None:
            try:
                date(year if isinstance(year, int) and year > 0 else 2000, month, day)
            except (TypeError, ValueError):
                yield Problem("contact-bad-birthday", "contact", cid,
                              f"contact #{cid}: birthday {year}-{month}-{day} is not a date")
        if not valid_date(snoozed):
            yield Problem("contact-bad-date", "contact", cid,
                          f"contact #{cid}: snoozed until {_show(snoozed)}, which is not a date")


def _methods(conn: sqlite3.Connection) -> Iterator[Problem]:
    from crm.text import method_key, phone_key_fits

    for mid, cid, medium, value, norm in conn.execute(
        "SELECT id, contact_id, medium, value, norm FROM contact_method ORDER BY contact_id, id"
    ):
        if not isinstance(value, str) or not value.strip():
            yield Problem("method-empty", "contact_method", mid, f"contact #{cid} has an empty {medium}")
            continue
        expected = method_key(medium, value)
        if norm != expected and not (medium == "phone" and isinstance(norm, str) and phone_key_fits(value, norm)):
            yield Problem("method-norm", "contact_method", mid,
                          f"contact #{cid}: {medium} {_show(value)} is stored as {_show(norm)}, expected "
                          f"{_show(expected)} (look-ups by {medium} will miss it)")


def _organisations(conn: sqlite3.Connection) -> Iterator[Problem]:
    for oid, name in conn.execute("SELECT id, name FROM organisation ORDER BY id"):
        if not isinstance(name, str) or not name.strip():
            yield Problem("organisation-without-name", "organisation", oid, f"organisation #{oid} has no name")


def _touchpoints(conn: sqlite3.Connection) -> Iterator[Problem]:
    for tid, cid, on, kind in conn.execute('SELECT id, contact_id, "on", kind FROM touchpoint ORDER BY id'):
        if not valid_when(on):
            yield Problem("touchpoint-bad-date", "touchpoint", tid,
                          f"touchpoint #{tid} (contact #{cid}) is dated {_show(on)}, which is not a date")
        if not isinstance(kind, str) or not kind.strip():
            yield Problem("touchpoint-without-kind", "touchpoint", tid,
                          f"touchpoint #{tid} (contact #{cid}) has no kind")


def _applications(conn: sqlite3.Connection) -> Iterator[Problem]:
    for aid, position, oid, org, reply_by, outcome_on in conn.execute(
        "SELECT a.id, a.position, a.organisation_id, o.id, a.reply_by, a.outcome_on"
        " FROM application a LEFT JOIN organisation o ON o.id = a.organisation_id ORDER BY a.id"
    ):
        if org is None:
            gone = f" (organisation #{oid} does not exist)" if oid is not None else ""
            yield Problem("application-without-organisation", "application", aid,
                          f"application #{aid} ({_show(position)}) has no organisation{gone}")
        for label, value in (("reply-by date", reply_by), ("outcome date", outcome_on)):
            if not valid_date(value):
                yield Problem("application-bad-date", "application", aid,
                              f"application #{aid}: {label} {_show(value)} is not a date")


def _rounds(conn: sqlite3.Connection) -> Iterator[Problem]:
    for rid, aid, number, on, reply_by, interviewers in conn.execute(
        'SELECT r.id, r.application_id, r.number, r."on", r.reply_by,'
        " (SELECT COUNT(*) FROM round_interviewer ri WHERE ri.round_id = r.id)"
        " FROM interview_round r ORDER BY r.id"
    ):
        where = f"interview round #{rid} (application #{aid}, round {number})"
        if not valid_when(on):
            yield Problem("round-bad-date", "interview_round", rid,
                          f"{where} is dated {_show(on)}, which is not a date")
        if not valid_date(reply_by):
            yield Problem("round-bad-date", "interview_round", rid,
                          f"{where}: reply-by {_show(reply_by)} is not a date")
        if not interviewers:
            yield Problem("round-without-interviewers", "interview_round", rid, f"{where} has no interviewers")


def _offers(conn: sqlite3.Connection) -> Iterator[Problem]:
    for oid, title, on in conn.execute('SELECT id, title, "on" FROM offer ORDER BY id'):
        if on is None or not valid_date(on):
            yield Problem("offer-bad-date", "offer", oid,
                          f"offer #{oid} ({_show(title)}) is dated {_show(on)}, which is not a date")


def _summaries(conn: sqlite3.Connection) -> Iterator[Problem]:
    from crm.store.summary import stale_contacts, stale_replies, stale_reply_days, stale_touch_days

    # (what finds them, code, table, message): a contact is named by id, a day by its date.
    for stale, code, table, message in (
        (stale_contacts, "touch-summary", "contact_summary",
         "contact #{}: the stored summary of their touches disagrees with their log (crm today would misjudge them)"),
        (stale_touch_days, "review-summary", "touch_day",
         "touches of {}: the stored counts of that day disagree with the log (crm review would miscount its week)"),
        (stale_replies, "review-summary", "expected_reply",
         "contact #{}: the stored replies to their touches disagree with their log"
         " (crm review would misjudge their answers)"),
        (stale_reply_days, "review-summary", "reply_day",
         "touches of {}: the stored count of their replies disagrees with the log (crm review would miscount its week)"),
    ):
        for key in stale(conn):
            day = isinstance(key, str)
            yield Problem(code, table, None if day else key, message.format(_show(key) if day else key))
