"""Importing cards into the store: identity matching, merging, one transaction per file.

Identity, in order: vCard UID, then any shared email (case-insensitive), then a shared phone
number (last nine digits), else a new contact. Fuzzy name matches are never merged here: the
new contact is created and `crm dupes` shows the pair.

Reading files is the format layer's job (`crm.vcard`); this module sees only `Card` values.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from crm.card import ROLES, Card, Typed
from crm.errors import CrmError, FormatError
from crm.models import database
from crm.text import email_key, fold, phone_key

MAX_FILE_BYTES = 1 << 30  # 1 GiB: larger files are refused rather than read into memory
SINGLE_VALUED = {"PHOTO", "LOGO", "REV", "GEO", "TZ", "GENDER", "ANNIVERSARY", "KIND", "SOUND", "KEY"}


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

    def as_json(self) -> dict:
        return {
            "files": self.files,
            "cards": self.cards,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "errors": self.errors,
        }

    def error(self, file: str, message: str, card: int | None = None, line: int | None = None) -> None:
        self.errors.append({"file": file, "card": card, "line": line, "message": message})


class StrictImportFailed(CrmError):
    """--strict and at least one card was broken: nothing was written."""


class _Rollback(Exception):
    pass


def vcf_files(paths: Iterable[Path], report: ImportReport) -> list[Path]:
    """Expand folders to the .vcf files directly in them; report paths that cannot be read."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".vcf", ".vcard"))
            if not found:
                report.error(str(path), "folder holds no .vcf files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            report.error(str(path), "not a regular file")
        else:
            report.error(str(path), "no such file")
    return files


class IdentityIndex:
    """Maps from UID, email and phone key to contact id, loaded once per import."""

    def __init__(self, conn: sqlite3.Connection):
        self.by_uid = dict(conn.execute("SELECT uid, id FROM contact WHERE uid IS NOT NULL"))
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        for medium, norm, cid in conn.execute(
            "SELECT medium, norm, contact_id FROM contact_method WHERE medium IN ('email', 'phone') ORDER BY id"
        ):
            target = self.by_email if medium == "email" else self.by_phone
            target.setdefault(norm, cid)

    def match(self, card: Card) -> int | None:
        if card.uid and card.uid in self.by_uid:
            return self.by_uid[card.uid]
        for email in card.emails:
            cid = self.by_email.get(email_key(email.value))
            if cid is not None:
                return cid
        for phone in card.phones:
            key = phone_key(phone.value)
            if len(key) >= 7 and key in self.by_phone:
                return self.by_phone[key]
        return None

    def remember(self, cid: int, card: Card) -> None:
        if card.uid:
            self.by_uid.setdefault(card.uid, cid)
        for email in card.emails:
            self.by_email.setdefault(email_key(email.value), cid)
        for phone in card.phones:
            key = phone_key(phone.value)
            if len(key) >= 7:
                self.by_phone.setdefault(key, cid)


class CardWriter:
    """Writes cards with raw SQL on the peewee connection: the import's hot path."""

    def __init__(self, conn: sqlite3.Connection, now: str):
        self.conn = conn
        self.now = now
        self.orgs: dict[str, int] = {}
        self.interests: dict[str, int] = {}
        for oid, name in conn.execute("SELECT id, name FROM organisation"):
            self.orgs[name.lower()] = oid
        for iid, name in conn.execute("SELECT id, name FROM interest"):
            self.interests[name.lower()] = iid

    def org_id(self, name: str) -> int | None:
        name = " ".join(name.split())
        if not name:
            return None
        oid = self.orgs.get(name.lower())
        if oid is None:
            oid = self.conn.execute(
                "INSERT INTO organisation (name, name_key) VALUES (?, ?)", (name, fold(name))
            ).lastrowid
            self.orgs[name.lower()] = oid
        return oid

    def interest_id(self, name: str) -> int:
        name = " ".join(name.split())
        iid = self.interests.get(name.lower())
        if iid is None:
            iid = self.conn.execute("INSERT INTO interest (name) VALUES (?)", (name,)).lastrowid
            self.interests[name.lower()] = iid
        return iid

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
                    (cid, medium, t.value, _norm(medium, t.value), t.kind, t.label, t.service, i)
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
        role = card.role if card.role in ROLES else "other"
        cid = self.conn.execute(
            "INSERT INTO contact (display_name, given_name, family_name, additional_names, name_prefix,"
            " name_suffix, nickname, name_key, organisation_id, department, title, notes, bday_year,"
            " bday_month, bday_day, role, uid, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._scalars(card) + (role, card.uid or None, self.now, self.now),
        ).lastrowid
        self._children(cid, card)
        return cid

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


def _norm(medium: str, value: str) -> str:
    if medium == "email":
        return email_key(value)
    if medium == "phone":
        return phone_key(value)
    return value.strip().lower()


def _prop_name(line: str) -> str:
    head = line.split(":", 1)[0].split(";", 1)[0]
    return head.rsplit(".", 1)[-1].upper()


def _union(existing: list[Typed], incoming: list[Typed], medium: str) -> list[Typed]:
    seen = {_norm(medium, t.value) for t in existing}
    merged = list(existing)
    for t in incoming:
        key = _norm(medium, t.value)
        if key not in seen:
            merged.append(t)
            seen.add(key)
    return merged


def merge_cards(existing: Card, incoming: Card) -> Card:
    """What a contact becomes when a file brings `incoming` for it.

    Non-empty scalar fields from the file win; emails, phones, URLs, profiles and interests are
    united; notes are appended when new; unmapped properties from the file replace those of
    the same name (PHOTO replaces PHOTO) and the rest are kept. The existing UID is kept.
    """
    merged = replace(existing)
    for name in ("display_name", "given_name", "family_name", "additional_names", "name_prefix",
                 "name_suffix", "nickname", "org", "department", "title", "role", "birthday"):
        value = getattr(incoming, name)
        if value:
            setattr(merged, name, value)
    if incoming.uid and not existing.uid:
        merged.uid = incoming.uid
    if incoming.note and incoming.note not in existing.note:
        merged.note = f"{existing.note}\n\n{incoming.note}" if existing.note else incoming.note
    merged.emails = _union(existing.emails, incoming.emails, "email")
    merged.phones = _union(existing.phones, incoming.phones, "phone")
    merged.urls = _union(existing.urls, incoming.urls, "url")
    merged.socials = _union(existing.socials, incoming.socials, "social")
    known = {c.lower() for c in existing.categories}
    merged.categories = existing.categories + [c for c in incoming.categories if c.lower() not in known]
    incoming_props = {_prop_name(line) for line in incoming.extra}
    kept = [
        line for line in existing.extra
        if _prop_name(line) not in incoming_props or _prop_name(line) not in SINGLE_VALUED
    ]
    merged.extra = kept + [line for line in incoming.extra if line not in kept]
    return merged


def _existing_card(cid: int) -> Card:
    from crm.contacts import contact_to_card
    from crm.models import Contact

    return contact_to_card(Contact.get_by_id(cid))


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
        card = result.card
        if card.uid and index.by_uid.get(card.uid) not in (None, index.match(card)):
            card = replace(card, uid="")  # the UID belongs to someone else: do not steal it
        cid = index.match(card)
        if cid is None:
            cid = writer.create(card)
            report.created += 1
        else:
            existing = _existing_card(cid)
            merged = merge_cards(existing, card)
            if merged.uid and index.by_uid.get(merged.uid, cid) != cid:
                merged.uid = existing.uid
            if merged == existing:
                report.unchanged += 1
            else:
                writer.replace(cid, merged)
                report.updated += 1
            card = merged
        index.remember(cid, card)


def read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(f"file is {size >> 20} MiB; files over {MAX_FILE_BYTES >> 20} MiB are refused")
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror}") from None


def import_paths(paths: Iterable[Path], now: str, *, dry_run: bool = False, strict: bool = False,
                 on_file: Callable[[Path, bytes], Callable[[int], None] | None] | None = None) -> ImportReport:
    """Import vCard files. One transaction per file (one for the whole run with --strict or
    --dry-run, which then rolls back). `on_file` may return a per-card progress callback."""
    from crm.vcard import read_cards

    report = ImportReport()
    files = vcf_files(paths, report)
    conn = database.connection()
    index = IdentityIndex(conn)
    writer = CardWriter(conn, now)
    whole_run = dry_run or strict

    def run_file(path: Path) -> None:
        report.files += 1
        try:
            data = read_file(path)
            progress = on_file(path, data) if on_file else None
            import_cards(read_cards(data), str(path), report, writer, index, progress)
        except FormatError as exc:
            report.error(str(path), exc.message)

    if strict and report.errors:  # a missing file or empty folder: fail before writing anything
        first = report.errors[0]
        raise StrictImportFailed(f"--strict: {first['file']}: {first['message']}; nothing imported")
    try:
        if whole_run:
            with database.atomic():
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
                    run_file(path)
    except _Rollback:
        pass
    return report

