"""Importing cards into the store: identity matching, merging, one transaction per file.

Identity: the join rules of `crm.identity.rules` (UID; a shared email or phone with names that
agree; a profile URL; the same name at the same organisation), each join reported with its
reason and journalled when it changed the contact. Fuzzy name matches are never merged here:
the new contact is created and `crm dupes` shows the pair.

Reading files is the format layer's job (`crm.formats.vcard`); this module sees only `Card` values.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from peewee import OperationalError

from crm import shapes
from crm.formats.card import ROLES, Card, merge_cards
from crm.identity.roles import infer_role
from crm.errors import CrmError, FormatError
from crm.files import check_input_file
from crm.store import journal
from crm.store.models import database
from crm.identity import rules
from crm.identity.rules import Join
from crm.text import email_key, fold, interest_key, method_key, org_key, phone_key, url_key

MAX_FILE_BYTES = 1 << 30  # 1 GiB: larger files are refused rather than read into memory
IMPORTABLE_SUFFIXES = (".vcf", ".vcard", ".csv")


@dataclass
class ImportReport:
    files: int = 0
    cards: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    joins: list[dict] = field(default_factory=list)  # every card joined to a contact, and why

    def as_json(self) -> shapes.ImportReport:
        return {
            "files": self.files,
            "cards": self.cards,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "errors": self.errors,
            "joins": self.joins,
        }

    def error(self, file: str, message: str, card: int | None = None, line: int | None = None) -> None:
        self.errors.append({"file": file, "card": card, "line": line, "message": message})


class StrictImportFailed(CrmError):
    """--strict and at least one card was broken: nothing was written."""


class _Rollback(Exception):
    pass


def importable_files(paths: Iterable[Path], report: ImportReport) -> list[Path]:
    """Expand folders to the .vcf/.vcard/.csv files directly in them; report paths that cannot be read."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMPORTABLE_SUFFIXES)
            if not found:
                report.error(str(path), "folder holds no .vcf or .csv files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            report.error(str(path), "not a regular file")
        else:
            report.error(str(path), "no such file")
    return files


class IdentityIndex:
    """Maps from UID, email, phone, profile URL and (name, organisation) to contact id.

    Loaded once per import; cards written during the import are added as they go, so the same
    person twice in one file is one contact. `match` applies the join rules of
    `crm.identity.rules` and says which one joined.
    """

    def __init__(self, conn: sqlite3.Connection, region: str | None = None):
        self.region = region
        self.by_uid = dict(conn.execute("SELECT uid, id FROM contact WHERE uid IS NOT NULL"))
        self.uid_of = {cid: uid for uid, cid in self.by_uid.items()}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.name_of: dict[int, str] = {}
        for cid, name_key in conn.execute("SELECT id, name_key FROM contact"):
            self.by_name[name_key].append(cid)
            self.name_of[cid] = name_key
        # An address or number may be shared (a family mailbox, a switchboard): all holders kept.
        self.by_email: dict[str, list[int]] = defaultdict(list)
        self.by_phone: dict[str, list[int]] = defaultdict(list)
        self.by_url: dict[str, int] = {}
        for medium, norm, cid in conn.execute(
            "SELECT medium, norm, contact_id FROM contact_method ORDER BY id"
        ):
            if medium == "email":
                _add(self.by_email[norm], cid)
            elif medium == "phone":
                _add(self.by_phone[norm], cid)
            elif "/in/" in norm:  # personal profile URLs identify a person; home pages may be shared
                self.by_url.setdefault(norm, cid)
        self.by_org: dict[str, dict[str, int]] = defaultdict(dict)
        for cid, name_key, org_key_ in conn.execute(
            "SELECT c.id, c.name_key, o.name_key FROM contact c JOIN organisation o ON o.id = c.organisation_id"
        ):
            self.by_org[org_key_].setdefault(_sorted_tokens(name_key), cid)

    def match(self, card: Card) -> Join | None:
        if card.uid and card.uid in self.by_uid:
            return Join(self.by_uid[card.uid], "uid", card.uid)
        name = fold(card.display_name)
        for email in card.emails:
            key = email_key(email.value)
            cid = self._holder(self.by_email.get(key), name)
            if cid is not None:
                return Join(cid, "email", key)
        for phone in card.phones:
            key = phone_key(phone.value, self.region)
            cid = self._holder(self.by_phone.get(key) if len(key) >= 7 else None, name)
            if cid is not None:
                return Join(cid, "phone", key)
        for typed in card.socials + card.urls:
            key = url_key(typed.value)
            cid = self.by_url.get(key)
            if cid is not None:
                return Join(cid, "profile", key)
        return self._match_name_at_org(card, name) or self._match_same_card(card, name)

    def _holder(self, holders: list[int] | None, name: str) -> int | None:
        if not holders:
            return None
        return rules.pick([(cid, self.name_of.get(cid, "")) for cid in holders], name)

    def _match_same_card(self, card: Card, name: str) -> Join | None:
        """A card with nothing that identifies a person (no UID, email, phone or organisation) is
        still the same contact when a contact of that exact name already holds everything it says:
        re-importing such a card must not create it again."""
        if card.uid or card.emails or card.phones:
            return None
        for cid in self.by_name.get(name, ()):
            existing = _existing_card(cid)
            if merge_cards(existing, card, other_wins=True) == existing:
                return Join(cid, "same-card", "")
        return None

    def _match_name_at_org(self, card: Card, name: str) -> Join | None:
        """Rule 4: the same folded name (never a near one) at the same organisation."""
        people = self.by_org.get(org_key(card.org)) if card.org else None
        cid = people.get(_sorted_tokens(name)) if people else None
        if cid is None:
            return None
        # Two records whose UIDs differ are two people the source keeps apart (namesakes at one
        # company): a name alone does not join them.
        known = self.uid_of.get(cid)
        if card.uid and known and known != card.uid:
            return None
        return Join(cid, "name-at-org", card.org)

    def remember(self, cid: int, card: Card) -> None:
        name = fold(card.display_name)
        if card.uid:
            self.by_uid.setdefault(card.uid, cid)
            self.uid_of.setdefault(cid, card.uid)
        old = self.name_of.get(cid)
        if old is not None and old != name and cid in self.by_name.get(old, ()):
            self.by_name[old].remove(cid)
        _add(self.by_name[name], cid)
        self.name_of[cid] = name
        for email in card.emails:
            _add(self.by_email[email_key(email.value)], cid)
        for phone in card.phones:
            key = phone_key(phone.value, self.region)
            if len(key) >= 7:
                _add(self.by_phone[key], cid)
        for typed in card.socials + card.urls:
            if "/in/" in url_key(typed.value):
                self.by_url.setdefault(url_key(typed.value), cid)
        if card.org:
            self.by_org[org_key(card.org)].setdefault(_sorted_tokens(name), cid)


def _add(holders: list[int], cid: int) -> None:
    if cid not in holders:
        holders.append(cid)


def _sorted_tokens(name_key: str) -> str:
    return " ".join(sorted(name_key.split()))


class CardWriter:
    """Writes cards with raw SQL on the peewee connection: the import's hot path."""

    def __init__(self, conn: sqlite3.Connection, now: str, region: str | None = None):
        self.conn = conn
        self.now = now
        self.region = region
        self.orgs: dict[str, int] = {}
        self.interests: dict[str, int] = {}
        self.cached_this_card: list[tuple[dict, str]] = []  # undone if the card is rolled back
        for oid, key in conn.execute("SELECT id, name_key FROM organisation ORDER BY id DESC"):
            self.orgs[key] = oid  # descending: the oldest of any pre-m007 twins wins
        for iid, key in conn.execute("SELECT id, name_key FROM interest ORDER BY id DESC"):
            self.interests[key] = iid

    def org_id(self, name: str) -> int | None:
        """The organisation this name is (`crm.text.org_key`), created if new."""
        name = " ".join(name.split())
        if not name:
            return None
        key = org_key(name)
        oid = self.orgs.get(key)
        if oid is None:
            oid = self.conn.execute(
                "INSERT INTO organisation (name, name_key) VALUES (?, ?)", (name, key)
            ).lastrowid
            self.orgs[key] = oid
            self.cached_this_card.append((self.orgs, key))
        return oid

    def interest_id(self, name: str) -> int:
        name = " ".join(name.split())
        key = interest_key(name)
        iid = self.interests.get(key)
        if iid is None:
            iid = self.conn.execute("INSERT INTO interest (name, name_key) VALUES (?, ?)", (name, key)).lastrowid
            self.interests[key] = iid
            self.cached_this_card.append((self.interests, key))
        return iid

    def forget_card(self) -> None:
        """The card's savepoint was rolled back: the organisations and interests it created are gone."""
        for cache, key in self.cached_this_card:
            cache.pop(key, None)
        self.cached_this_card.clear()

    def _scalars(self, card: Card) -> tuple:
        bday = card.birthday
        return (
            card.display_name, card.given_name, card.family_name, card.additional_names,
            card.name_prefix, card.name_suffix, card.nickname, fold(card.display_name),
            self.org_id(card.org), card.department, card.title, card.note,
            bday.year if bday else None, bday.month if bday else None, bday.day if bday else None,
        )

    def _children(self, cid: int, card: Card) -> None:
        methods = (
            [("email", t) for t in card.emails] + [("phone", t) for t in card.phones]
            + [("url", t) for t in card.urls] + [("social", t) for t in card.socials]
        )
        if methods:
            self.conn.executemany(
                "INSERT INTO contact_method (contact_id, medium, value, norm, kind, label, service, position)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (cid, medium, t.value, method_key(medium, t.value, self.region), t.kind, t.label, t.service, i)
                    for i, (medium, t) in enumerate(methods)
                ],
            )
        if card.extra:
            self.conn.executemany(
                "INSERT INTO extra_property (contact_id, position, line) VALUES (?, ?, ?)",
                [(cid, i, line) for i, line in enumerate(card.extra)],
            )
        if card.categories:
            self.conn.executemany(
                "INSERT OR IGNORE INTO contact_interest (contact_id, interest_id, note) VALUES (?, ?, '')",
                [(cid, self.interest_id(name)) for name in card.categories if name.strip()],
            )

    def create(self, card: Card) -> int:
        role = card.role if card.role in ROLES and card.role else "other"
        # A clear title ("Senior Technical Recruiter") gives a role, marked as inferred.
        inferred = infer_role(card.title) if role == "other" and card.title else None
        cid = self.conn.execute(
            "INSERT INTO contact (display_name, given_name, family_name, additional_names, name_prefix,"
            " name_suffix, nickname, name_key, organisation_id, department, title, notes, bday_year,"
            " bday_month, bday_day, role, uid, created_at, updated_at, role_inferred, keep_warm_since)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            # keep_warm_since: the import day, even when a back-dated connection moves created_at
            # earlier, so rule 10 spreads the first touches from it instead of making a wall.
            self._scalars(card) + (inferred or role, card.uid or None, self.now, self.now, inferred is not None,
                                   self.now[:10]),
        ).lastrowid
        self._children(cid, card)
        return cid

    def connected(self, cid: int, on: str) -> int | None:
        """Record a LinkedIn connection as a `connect` touch on its date, once."""
        exists = self.conn.execute(
            "SELECT 1 FROM touchpoint WHERE contact_id = ? AND kind = 'connect' AND substr(\"on\", 1, 10) = ?",
            (cid, on),
        ).fetchone()
        if exists:
            return None
        touch = self.conn.execute(
            "INSERT INTO touchpoint (contact_id, \"on\", kind, via, direction, note, created_at)"
            " VALUES (?, ?, 'connect', 'linkedin', 'out', 'Connected on LinkedIn (imported)', ?)",
            (cid, on, self.now),
        ).lastrowid
        # Like a back-dated `crm log`: the contact was known from that day (crm.store.contacts.known_since).
        day = on[:10] + "T00:00:00"
        self.conn.execute("UPDATE contact SET created_at = ? WHERE id = ? AND created_at > ?", (day, cid, day))
        return touch

    def replace(self, cid: int, card: Card) -> None:
        role_sql = ", role = ?" if card.role in ROLES and card.role else ""
        params = self._scalars(card) + ((card.role,) if role_sql else ()) + (card.uid or None, self.now, cid)
        self.conn.execute(
            "UPDATE contact SET display_name = ?, given_name = ?, family_name = ?, additional_names = ?,"
            " name_prefix = ?, name_suffix = ?, nickname = ?, name_key = ?, organisation_id = ?,"
            f" department = ?, title = ?, notes = ?, bday_year = ?, bday_month = ?, bday_day = ?{role_sql},"
            " uid = ?, updated_at = ? WHERE id = ?",
            params,
        )
        for table in ("contact_method", "extra_property"):
            self.conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", (cid,))
        self._children(cid, card)


def _existing_card(cid: int) -> Card:
    from crm.store.contacts import iter_cards

    return next(iter_cards([cid]))[1]


def import_cards(cards: Iterable, file_label: str, report: ImportReport, writer: CardWriter,
                 index: IdentityIndex, progress: Callable[[int], None] | None = None) -> None:
    """Write a stream of CardResults from one file (inside the caller's transaction)."""
    for result in cards:
        report.cards += 1
        if progress:
            progress(1)
        for warning in result.warnings:
            report.warnings.append(f"{file_label}: card {result.index}: {warning}")
        if result.card is None:
            report.skipped += 1
            report.error(file_label, result.error or "unreadable card", result.index, result.line)
            continue
        # A savepoint per card (raw SQL: peewee's nested atomic() costs ~8x more per card): a card
        # the database refuses (a value SQLite cannot store, a constraint) is undone whole and
        # reported, and the rest of the file goes on.
        writer.cached_this_card.clear()
        writer.conn.execute("SAVEPOINT import_card")
        try:
            _store_card(result, writer, index, report, file_label)
        except (sqlite3.OperationalError, OperationalError):
            raise  # disk full, I/O error: the caller's transaction rolls the whole file back
        except Exception as exc:  # noqa: BLE001 - one bad card must not stop the import
            writer.conn.execute("ROLLBACK TO import_card")
            writer.conn.execute("RELEASE import_card")
            writer.forget_card()
            report.skipped += 1
            report.error(file_label, f"the card could not be stored ({type(exc).__name__}: {exc})",
                         result.index, result.line)
        else:
            writer.conn.execute("RELEASE import_card")


def _store_card(result, writer: CardWriter, index: IdentityIndex, report: ImportReport, file_label: str) -> None:
    card = result.card
    join = index.match(card)  # a UID already in the database always matches its own contact first
    cid = join.contact_id if join else None
    connected_on = getattr(result, "connected_on", None)
    if cid is None:
        if not card.uid:
            from crm.store.contacts import new_uid

            card = replace(card, uid=new_uid())
        cid = writer.create(card)
        created = True
    else:
        existing = _existing_card(cid)
        merged = merge_cards(existing, card, other_wins=True)
        created = False
        changed = merged != existing
        entry = None
        if changed:
            writer.replace(cid, merged)
            # Journalled so `crm unmerge` can take the card back out (an unchanged card brought nothing).
            entry = journal.record(at=writer.now, kept_id=cid, before=existing, after=merged, absorbed=card,
                                   reason=join.reason, evidence=join.evidence, source="import",
                                   absorbed_row={"role": card.role if card.role in ROLES else "other",
                                                 "created_at": writer.now})
        report.joins.append({"file": file_label, "card": result.index, "contact": cid,
                             "name": merged.display_name, "reason": join.reason, "evidence": join.evidence or None,
                             "changed": changed, "journal": entry})
        card = merged
    if connected_on is not None:
        touch = writer.connected(cid, connected_on.isoformat())
        if touch is not None and not created and entry is not None:
            journal.add_touchpoint(entry, touch)
    # Counted and remembered only once every row of the card is written.
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1
    index.remember(cid, card)


def normalised(result):
    """The card with every text in NFC: a composed and a decomposed "é" are one organisation,
    one interest, one name."""
    if result.card is None:
        return result
    card = result.card.nfc()
    return result if card is result.card else replace(result, card=card)


def read_file(path: Path) -> bytes:
    try:
        check_input_file(path, FormatError)
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(f"file is {size >> 20} MiB; files over {MAX_FILE_BYTES >> 20} MiB are refused")
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror}") from None


def read_records(path: Path, data: bytes, fmt: str | None) -> Iterator:
    """The card stream of one file, in the format named or detected from its content."""
    from crm.formats.csv_contacts import detect_csv, read_csv_contacts

    if fmt is None:
        head = data[:65536].lower()
        if b"begin:vcard" in head or b"b\x00e\x00g\x00i\x00n\x00" in head or path.suffix.lower() != ".csv":
            fmt = "vcard"
        else:
            fmt = detect_csv(data)
            if fmt is None:
                raise FormatError("not a vCard file nor a LinkedIn, Google Contacts or Outlook CSV export")
    if fmt == "vcard":
        from crm.formats.vcard import read_cards

        return read_cards(data)
    return read_csv_contacts(data, fmt)


def import_paths(paths: Iterable[Path], now: str, *, dry_run: bool = False, strict: bool = False,
                 region: str | None = None,
                 fmt: str | None = None, on_file: Callable[[Path, bytes], Callable[[int], None] | None] | None = None) -> ImportReport:
    """Import vCard or CSV files. One transaction per file (one for the whole run with --strict or
    --dry-run, which then rolls back). `on_file` may return a per-card progress callback."""
    report = ImportReport()
    files = importable_files(paths, report)
    conn = database.connection()
    whole_run = dry_run or strict
    state: dict = {}

    def load_state() -> None:
        # Read inside the write transaction (BEGIN IMMEDIATE, already begun): what another crm
        # process committed before we took the lock is in the index and caches, so concurrent
        # imports give the serial result (no duplicate person, no UNIQUE failure on a new org).
        state["index"] = IdentityIndex(conn, region)
        state["writer"] = CardWriter(conn, now, region)

    def run_file(path: Path) -> None:
        report.files += 1
        try:
            data = read_file(path)
            progress = on_file(path, data) if on_file else None
            records = (normalised(result) for result in read_records(path, data, fmt))
            del data  # read_records has decoded it: the bytes need not stay beside the text
            import_cards(records, str(path), report, state["writer"], state["index"], progress)
        except FormatError as exc:
            report.error(str(path), exc.message)

    if strict and report.errors:  # a missing file or empty folder: fail before writing anything
        first = report.errors[0]
        raise StrictImportFailed(f"--strict: {first['file']}: {first['message']}; nothing imported")
    try:
        if whole_run:
            with database.atomic():
                load_state()
                for path in files:
                    run_file(path)
                if strict and report.errors:
                    first = report.errors[0]
                    where = f"card {first['card']}, line {first['line']}: " if first["card"] else ""
                    raise StrictImportFailed(
                        f"--strict: {len(report.errors)} error(s), nothing imported; first: "
                        f"{first['file']}: {where}{first['message']}"
                    )
                if dry_run:
                    raise _Rollback
        else:
            for path in files:
                with database.atomic():
                    load_state()
                    run_file(path)
    except _Rollback:
        pass
    return report

