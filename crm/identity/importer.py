"""Importing cards into the store: identity matching, merging, one transaction per file.

Identity: the join rules of `crm.identity.rules` (UID; a shared email or phone with names that
agree; a profile URL; the same name at the same organisation), each join reported with its
reason and journalled when it changed the contact. Fuzzy name matches are never merged here:
the new contact is created and `crm dupes` shows the pair.

Reading files is the format layer's job (`crm.formats.vcard`); this module sees only `Card` values.
"""
from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from peewee import OperationalError

from crm import shapes
from crm.formats.card import ROLES, Card, merge_cards
from crm.formats.vcard.read import Segment
from crm.errors import CrmError, FormatError
from crm.files import check_input_file
from crm.store import journal
from crm.store.models import database
from crm.identity.rules import Join
from crm.identity.index import IdentityIndex, _existing_card
from crm.identity.writer import CardKeys, CardWriter, card_keys
from crm.store import fingerprints
from crm.store.contacts import filling_empty_contacts
from crm.text import interest_key, org_key

__all__ = ["CardWriter", "IdentityIndex", "ImportReport", "import_paths"]

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
    # Every card joined to a contact, and why: (file, card, contact, name, reason, evidence,
    # changed, journal) tuples, the keys of `as_json`'s records (a tuple is a third of a dict: an
    # unchanged re-import of 100k cards keeps 100k of them).
    joins: list[tuple] = field(default_factory=list)

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
            "joins": [dict(zip(_JOIN_KEYS, join)) for join in self.joins],
        }

    def error(self, file: str, message: str, card: int | None = None, line: int | None = None) -> None:
        self.errors.append({"file": file, "card": card, "line": line, "message": message})


_JOIN_KEYS = ("file", "card", "contact", "name", "reason", "evidence", "changed", "journal")


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


CHUNK_CARDS = 500  # cards read ahead: new contacts written together, stored cards read together


def import_cards(items: Iterable, file_label: str, report: ImportReport, writer: CardWriter,
                 index: IdentityIndex, progress: Callable[[int], None] | None = None) -> None:
    """Write the cards of one file (inside the caller's transaction): CardResults, or the
    vCard reader's Segments, read here unless their fingerprint says they change nothing."""
    run = _FileImport(file_label, report, writer, index)
    try:
        for chunk in _chunks(items, CHUNK_CARDS):
            run.flush()
            for item, result, digest, seen in run.read_ahead(chunk):
                report.cards += 1
                if progress:
                    progress(1)
                if result is None:
                    if run.unchanged(item, seen):
                        continue
                    result = _read(item)
                for warning in result.warnings:
                    report.warnings.append(f"{file_label}: card {result.index}: {warning}")
                run.store(result, digest)
        run.flush()
    finally:
        index.load = _existing_card  # the index no longer points back at this run


def _read(item):
    return normalised(item.read() if isinstance(item, Segment) else item)


@lru_cache(maxsize=None)
def _code_digest() -> bytes | None:
    """What a card's fingerprint depends on besides its bytes and the region: the code that reads,
    keys, joins and merges cards (any change, even an upgrade of phonenumbers, and the
    fingerprints taken before no longer match). None where the sources cannot be read."""
    import importlib
    import sys
    import unicodedata

    import phonenumbers

    digest = hashlib.blake2b(b"crm card fingerprint 1", digest_size=16)
    digest.update(f"{sys.version_info[:2]} {unicodedata.unidata_version} {phonenumbers.__version__}".encode())
    for name in _FINGERPRINTED_MODULES:
        try:
            digest.update(Path(importlib.import_module(name).__file__).read_bytes())
        except (OSError, TypeError):
            return None
    return digest.digest()


_FINGERPRINTED_MODULES = (
    "crm.text", "crm.formats.card", "crm.formats.vcard.text", "crm.formats.vcard.props", "crm.formats.vcard.read",
    "crm.identity.importer", "crm.identity.writer", "crm.identity.rules", "crm.identity.roles",
    "crm.store.contacts", "crm.store.fingerprints",
)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _FileImport:
    """One file's cards into the store, with the result of storing them one at a time.

    A card that makes a new contact (most of a first import) is gathered into the writer's
    batch, and counted and remembered at once; the batch is written when
    it is full or before anything else touches the database (a join, a broken card, a LinkedIn
    connection), so the rows and their order are those of one card at a time. Should writing
    a batch fail (a value SQLite refuses), the batch is undone whole and its cards stored
    again one at a time, each under its own savepoint, so that only the bad card is skipped.
    Stored cards that the upcoming cards' UIDs name are read a chunk at a time (a re-import
    joins every card to one).
    """

    def __init__(self, file_label: str, report: ImportReport, writer: CardWriter, index: IdentityIndex):
        self.label = file_label
        self.report = report
        self.writer = writer
        self.index = index
        self.conn = writer.conn
        self.gathered: list[tuple] = []  # (result, uid, cid, keys) of the contacts in the batch
        self.trying: tuple | None = None  # (result, uid) of the card being gathered
        # Read a chunk ahead, each dropped when its contact is written: stored cards, states.
        self.stored: dict[int, Card] = {}
        self.states: dict[int, fingerprints.Stored] = {}
        code = _code_digest()
        self.salt = code + (index.region or "").encode() if code is not None else None
        # The hash of the salt, copied for each card: no copy of the card's bytes behind it.
        self.salted = hashlib.blake2b(self.salt, digest_size=16) if self.salt is not None else None
        self.on_record = fingerprints.on_record(self.conn) if self.salt is not None else {}
        index.load = self.existing

    # ---- a chunk of cards ahead ----

    def fingerprint(self, item) -> bytes | None:
        """The digest of a card that can have a fingerprint: one cut cleanly from a UTF-8 file."""
        if self.salt is None or not isinstance(item, Segment) or item.notes:
            return None
        digest = self.salted.copy()
        digest.update(item.body)
        return digest.digest()

    def read_ahead(self, chunk: list) -> list[tuple]:
        """(item, its CardResult or None when its fingerprint is on record, digest, record) for
        each; the stored cards and states of the contacts the chunk's UIDs and fingerprints name."""
        from crm.store.contacts import card_of, stored_rows

        digests = [self.fingerprint(item) for item in chunk]
        on_record = self.on_record
        out = []
        for item, digest in zip(chunk, digests):
            seen = on_record.get(digest) if digest else None
            out.append((item, None if seen else _read(item), digest, seen))
        by_uid = self.index.by_uid
        wanted = {by_uid[r.card.uid] for _i, r, _d, _s in out if r is not None and r.card is not None and r.card.uid in by_uid}
        named = {seen[0] for *_rest, seen in out if seen} | {
            by_uid[r.card.uid] for _i, r, d, _s in out if d and r is not None and r.card is not None and r.card.uid in by_uid}
        rows = dict(stored_rows(sorted(wanted | named))) if wanted or named else {}
        self.stored = {cid: card_of(rows[cid]) for cid in wanted if cid in rows}
        self.states = {cid: fingerprints.stored_state(rows[cid]) for cid in named if cid in rows}
        return out

    def existing(self, cid: int) -> Card:
        card = self.stored.get(cid)
        if card is None:
            self.flush()
            card = _existing_card(cid)
        return card

    def written(self, cid: int) -> None:
        self.stored.pop(cid, None)
        self.states.pop(cid, None)

    def unchanged(self, item, seen: tuple[int, bytes]) -> bool:
        """A card whose fingerprint is on record: counted and reported as the join by UID that
        changes nothing it was, while its contact's rows are as they were then."""
        cid, state = seen
        stored = self.states.get(cid)
        if stored is None or stored.state != state or self.index.by_uid.get(stored.uid) != cid:
            return False
        self.report.unchanged += 1
        self.report.joins.append((self.label, item.index, cid, stored.display_name, "uid", stored.uid, False, None))
        return True

    def record_join(self, digest: bytes, cid: int, existing: Card) -> None:
        """The card just joined `cid` by UID and changed nothing: its fingerprint, if the stored
        keys are those the identity index would compute (remembering it then changes nothing)."""
        stored = self.states.get(cid)
        if stored is None:
            return
        keys = card_keys(existing, self.index.region)
        socials = len(existing.socials)
        if (stored.name_key, stored.org_key) != (keys.name, keys.org) or stored.norms != {
                "email": list(keys.emails), "phone": list(keys.phones), "url": list(keys.links[socials:]),
                "social": list(keys.links[:socials])}:
            return
        fingerprints.record(self.conn, [(cid, digest, stored.state)])

    def stable(self, card: Card) -> bool:
        """True when the contact just made from `card` reads back as a card that `card` itself
        would not change, with the keys it was stored under: its organisation and interests are
        stored under the names and keys the card gives them."""
        writer = self.writer
        if card.org:
            oid = writer.orgs.get(org_key(" ".join(card.org.split())))
            if oid is None or writer.org_rows[oid] != (card.org, org_key(card.org)):
                return False
        for name in card.categories:
            iid = writer.interests.get(interest_key(" ".join(name.split()))) if name.strip() else None
            if iid is None or interest_key(writer.interest_names[iid]) != interest_key(name):
                return False
        return True

    # ---- one card ----

    def store(self, result, digest: bytes | None = None) -> None:
        """Store one card; `digest` is its fingerprint, to be recorded if it turns out stable."""
        if result.card is None:
            self.flush()
            self.report.skipped += 1
            self.report.error(self.label, result.error or "unreadable card", result.index, result.line)
            return
        card = result.card
        join = keys = None
        # The same-card rule reads stored cards, a LinkedIn connection writes a touch: such cards,
        # and every join, are stored one at a time, after the batch.
        if getattr(result, "connected_on", None) is None and (card.uid or card.emails or card.phones):
            self.trying = (result, "")
            try:
                if not (card.uid and card.uid in self.index.by_uid):
                    keys = card_keys(card, self.index.region)
                join = self.index.match(card, keys)
                if join is None and self._batching():
                    self._gather(result, keys, digest if not result.warnings else None)
                    return
            except (sqlite3.OperationalError, OperationalError):
                raise
            except Exception:  # noqa: BLE001 - stored again one at a time, where it is reported
                self._replay()
                return
            finally:
                self.trying = None
        if self.flush():
            join = keys = None  # a replayed batch may have changed what the card joins
        self._store_one(result, join=join, keys=keys, digest=digest if not result.warnings else None)

    def _batching(self) -> bool:
        return self.writer.batch is not None or self.writer.begin_batch()

    def _gather(self, result, keys: CardKeys, digest: bytes | None) -> None:
        """The card's new contact into the batch, counted and remembered at once, and its
        fingerprint kept when the card has a UID (that a re-import joins it by) and is stable."""
        card = result.card
        uid = card.uid
        if not uid:
            from crm.store.contacts import new_uid

            uid = new_uid()
            card = replace(card, uid=uid)
            self.trying = (result, uid)
            digest = None
        batch = self.writer.batch
        if digest is None:
            cid = self.writer.create(card, keys)
        else:
            cid, state = self.writer.create_in_batch(card, keys)
            if self.stable(card):
                batch.fingerprints.append((cid, digest, state))
        self.gathered.append((result, uid, cid, keys))
        self.trying = None  # from here on, undoing the batch undoes this card too
        self.report.created += 1
        self.index.remember(cid, card, keys)
        if len(self.gathered) >= CHUNK_CARDS:
            self.flush()

    def flush(self) -> bool:
        """Write the batch; True when it had to be stored again one card at a time."""
        if self.writer.batch is None:
            return False
        try:
            self.writer.flush()
        except (sqlite3.OperationalError, OperationalError):
            raise
        except Exception:  # noqa: BLE001 - stored again one at a time, where it is reported
            self._replay()
            return True
        self.gathered.clear()
        return False

    def _replay(self) -> None:
        """Undo the batch (rows, counts, index) and store its cards, and the one being gathered
        when it failed, one at a time."""
        self.writer.undo_batch()
        again = [(result, uid) for result, uid, _cid, _keys in self.gathered]
        for result, uid, cid, keys in reversed(self.gathered):
            self.index.forget(cid, replace(result.card, uid=uid), keys)
        self.report.created -= len(self.gathered)
        self.gathered.clear()
        if self.trying is not None:
            again.append(self.trying)  # the card that was being matched or gathered
            self.trying = None
        for result, uid in again:
            self._store_one(result, uid=uid)

    def _store_one(self, result, *, uid: str = "", join: Join | None = None, keys: CardKeys | None = None,
                   digest: bytes | None = None) -> None:
        # A savepoint per card (raw SQL: peewee's nested atomic() costs ~8x more per card): a card
        # the database refuses (a value SQLite cannot store, a constraint) is undone whole and
        # reported, and the rest of the file goes on.
        writer = self.writer
        writer.cached_this_card.clear()
        self.conn.execute("SAVEPOINT import_card")
        try:
            _store_card(result, self, uid=uid, join=join, keys=keys, digest=digest)
        except (sqlite3.OperationalError, OperationalError):
            raise  # disk full, I/O error: the caller's transaction rolls the whole file back
        except Exception as exc:  # noqa: BLE001 - one bad card must not stop the import
            self.conn.execute("ROLLBACK TO import_card")
            self.conn.execute("RELEASE import_card")
            writer.forget_card()
            self.report.skipped += 1
            self.report.error(self.label, f"the card could not be stored ({type(exc).__name__}: {exc})",
                              result.index, result.line)
        else:
            self.conn.execute("RELEASE import_card")


def _store_card(result, run: _FileImport, *, uid: str = "", join: Join | None = None,
                keys: CardKeys | None = None, digest: bytes | None = None) -> None:
    """One card, joined or created (`join` and `keys` when already known; `uid` for a card
    without one that was given it before; `digest`: its fingerprint, kept if it changes nothing)."""
    writer, index, report = run.writer, run.index, run.report
    card = result.card
    if join is None:
        keys = card_keys(card, index.region)
        join = index.match(card, keys)  # a UID already in the database always matches its own contact first
    cid = join.contact_id if join else None
    connected_on = getattr(result, "connected_on", None)
    if cid is None:
        if not card.uid:
            if not uid:
                from crm.store.contacts import new_uid

                uid = new_uid()
            card = replace(card, uid=uid)
        cid = writer.create(card, keys)
        created = True
    else:
        existing = run.existing(cid)
        merged = merge_cards(existing, card, other_wins=True)
        created = False
        changed = merged != existing
        entry = None
        keys = None
        if changed:
            run.written(cid)
            writer.replace(cid, merged)
            # Journalled so `crm unmerge` can take the card back out (an unchanged card brought nothing).
            entry = journal.record(at=writer.now, kept_id=cid, before=existing, after=merged, absorbed=card,
                                   reason=join.reason, evidence=join.evidence, source="import",
                                   absorbed_row={"role": card.role if card.role in ROLES else "other",
                                                 "created_at": writer.now})
        report.joins.append((run.label, result.index, cid, merged.display_name, join.reason, join.evidence or None,
                             changed, entry))
        if digest is not None and not changed and join.reason == "uid" and connected_on is None:
            run.record_join(digest, cid, existing)
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
    index.remember(cid, card, keys)


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
        from crm.formats.vcard import card_segments, read_cards

        cards = card_segments(data) if data.strip() else None
        return cards if cards is not None else read_cards(data)
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
            records = read_records(path, data, fmt)
            del data  # read_records keeps what it needs: the bytes need not stay beside it
            with filling_empty_contacts():
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
