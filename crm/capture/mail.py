"""Mail into the log (`crm mail import`): each message becomes at most one touch per contact.

A message from one of your own addresses (`crm me`) is outbound to every contact among its
recipients; a message from a contact is inbound from that contact; any other message is counted,
not stored, and its unknown correspondents are tallied so you can `crm add` the ones that matter.
The kind of an outbound touch follows crm.capture.kinds; inbound touches are `message`s.

The message key (its Message-ID, else a hash of From, Date and Subject) makes every message
count once per contact: the Sent copy and the same message in another folder, a second run, a
UIDVALIDITY reset. Messages are handled in batches; each batch, with the source's progress
(IMAP UIDVALIDITY and last UID, or how far into an mbox), is one transaction, so an interrupted
import leaves the database as it was before that batch and the next run continues from there.
Bodies are never stored: only the date, direction, subject (as the note) and the key.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

from crm import shapes
from crm.capture.invites import LocalTime, import_invite
from crm.capture.kinds import KindRules
from crm.errors import CrmError, FormatError, InvalidInput
from crm.formats.invite import parse_invites
from crm.formats.mail import (
    Message,
    Unreadable,
    count_maildir,
    decode_part,
    is_maildir,
    is_mbox,
    iter_maildir,
    iter_mbox,
    parse_headers,
    read_eml,
)
from crm.store.applications import contact_names
from crm.store.mail import (
    FolderState,
    MailTouch,
    contacts_by_email,
    folder_state,
    insert_mail_touches,
    logged_keys,
    save_folder_state,
)
from crm.store.models import database
from crm.text import email_key

BATCH = 500
MAX_WARNINGS = 50
_CHECKSUM_BYTES = 4096

Progress = Callable[[str, int, int], None]  # (source label, done, total)


# ---- sources ----------------------------------------------------------------------------------


class Source:
    """Messages from one place, each with the progress to record once it is committed."""

    label: str
    total: int = 0  # progress units (bytes or messages)
    resumed: bool = False  # an mbox read from where the last run stopped
    reset: bool = False  # an IMAP folder whose UIDVALIDITY changed

    def items(self) -> Iterator[tuple[Message | Unreadable, object, int]]:
        """(message, checkpoint or None, progress done so far)."""
        raise NotImplementedError

    def state(self, checkpoint: object) -> FolderState | None:
        return None

    def final_state(self) -> FolderState | None:
        """What to record when the source is exhausted (an IMAP folder with nothing new)."""
        return None


class MboxSource(Source):
    """An mbox file, read from where the last run stopped unless the file was rewritten."""

    def __init__(self, path: Path):
        self.path = path
        self.label = str(path.resolve())
        self.total = path.stat().st_size
        self.start = 0

    def items(self):
        saved = folder_state(self.label)
        if 0 < saved.read_bytes <= self.total and _checksum(self.path, saved.read_bytes) == saved.checksum:
            self.start = saved.read_bytes
            self.resumed = True
        with open(self.path, "rb") as handle:
            for entry in iter_mbox(handle, self.start, label=str(self.path)):
                # A message cut off at the end of the file may be still being written: read it again next time.
                at_end = isinstance(entry.item, Unreadable) and entry.end >= self.total
                yield entry.item, (entry.start if at_end else entry.end), entry.end

    def state(self, checkpoint):
        return FolderState(self.label, read_bytes=checkpoint, checksum=_checksum(self.path, checkpoint))


def _checksum(path: Path, upto: int) -> str:
    """A hash of the bytes just before `upto`: an mbox appended to keeps it, a rewritten one does not."""
    with open(path, "rb") as handle:
        start = max(0, upto - _CHECKSUM_BYTES)
        handle.seek(start)
        return f"{upto}:" + hashlib.sha256(handle.read(upto - start)).hexdigest()


class MaildirSource(Source):
    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)
        self.total = count_maildir(path)

    def items(self):
        for done, item in enumerate(iter_maildir(self.path), 1):
            yield item, None, done


class EmlSource(Source):
    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)
        self.total = 1

    def items(self):
        yield read_eml(self.path), None, 1


class ImapSource(Source):
    """One IMAP folder: only messages with a UID above the last one seen, unless UIDVALIDITY changed."""

    def __init__(self, url, password: str):
        self.url = url
        self.password = password
        self.label = url.label
        self._final: FolderState | None = None

    def items(self):
        from crm.net.imap import BATCH as FETCH_BATCH, ImapFolder

        saved = folder_state(self.label)
        with ImapFolder(self.url, self.password) as folder:
            self.reset = saved.uidvalidity is not None and saved.uidvalidity != folder.uidvalidity
            last = 0 if self.reset or saved.uidvalidity is None else saved.last_uid
            uids = folder.uids_after(last)
            self.total = len(uids)
            self._final = FolderState(self.label, folder.uidvalidity, max([last, *uids]))
            done = 0
            for start in range(0, len(uids), FETCH_BATCH):
                for fetched in folder.fetch(uids[start:start + FETCH_BATCH]):
                    done += 1
                    where = f"{self.label} UID {fetched.uid}"
                    message = Message(
                        parse_headers(fetched.header), where, fetched.arrived,
                        tuple(decode_part(body, encoding) for body, encoding in fetched.calendar_parts),
                    )
                    yield message, FolderState(self.label, folder.uidvalidity, fetched.uid), done

    def state(self, checkpoint):
        return checkpoint

    def final_state(self):
        return self._final


def open_sources(specs: list[str], password: Callable[[], str]) -> list[Source]:
    """Each SOURCE argument as a Source, or one clear error naming the bad one."""
    from crm.net.imap import is_imap_url, parse_imap_url

    sources: list[Source] = []
    for spec in specs:
        if is_imap_url(spec):
            sources.append(ImapSource(parse_imap_url(spec), password()))
            continue
        path = Path(spec).expanduser()
        if not path.exists():
            raise FormatError(f"{spec}: no such file or folder")
        if path.is_dir():
            if not is_maildir(path):
                raise FormatError(f"{spec}: a folder, but not a Maildir (no cur/ and new/ in it)")
            sources.append(MaildirSource(path))
        elif path.suffix.lower() == ".eml" or not is_mbox(path):
            sources.append(EmlSource(path))
        else:
            sources.append(MboxSource(path))
    return sources


# ---- the import -------------------------------------------------------------------------------


@dataclass
class Summary:
    messages: int = 0
    touches: int = 0  # written
    new: int = 0  # new this run: written, or with --dry-run, would be
    already_logged: int = 0
    nobody_known: int = 0
    before_since: int = 0
    unreadable: int = 0
    logged: list[shapes.MailTouch] = field(default_factory=list)
    invites: list[shapes.InviteResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    more_warnings: int = 0
    sources: list[shapes.MailSource] = field(default_factory=list)
    unknown: Counter = field(default_factory=Counter)
    unknown_names: dict[str, str] = field(default_factory=dict)

    def warn(self, text: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(text)
        else:
            self.more_warnings += 1

    def record(self, dry_run: bool) -> shapes.MailImport:
        """The `crm mail import --json` shape (docs/mail.md)."""
        return {
            "dry_run": dry_run,
            "sources": self.sources,
            "messages": self.messages,
            "touches": self.touches,
            "already_logged": self.already_logged,
            "nobody_known": self.nobody_known,
            "before_since": self.before_since,
            "unreadable": self.unreadable,
            "logged": self.logged,
            "invites": self.invites,
            "unknown": [
                {"email": address, "name": self.unknown_names.get(address) or None, "messages": count}
                for address, count in sorted(self.unknown.items(), key=lambda item: (-item[1], item[0]))
            ],
            "warnings": self.warnings + ([f"... and {self.more_warnings} more"] if self.more_warnings else []),
        }


class MailImport:
    def __init__(self, *, own: set[str], local: LocalTime, now: str, since: date | None = None,
                 dry_run: bool = False, progress: Progress | None = None, keep_log: bool = True):
        if not own:
            raise InvalidInput("tell crm your own addresses first: crm me you@example.com")
        self.own = own
        self.local = local
        self.now = now
        self.since = since
        self.dry_run = dry_run
        self.progress = progress
        self.keep_log = keep_log  # list every touch in the summary (memory grows with the touches)
        self.summary = Summary()
        self._seen: set[tuple[int, str]] = set()  # (contact, key) handled in this run
        self._load()

    def _load(self) -> None:
        self.rules = KindRules.load()
        self.emails = contacts_by_email()
        self._names: dict[int, str] = {}

    def run(self, sources: list[Source]) -> Summary:
        for source in sources:
            self._run_source(source)
        return self.summary

    def _run_source(self, source: Source) -> None:
        counted: shapes.MailSource = {"source": source.label, "messages": 0, "touches": 0, "resumed": False,
                                      "uidvalidity_changed": False}
        batch: list[Message | Unreadable] = []
        checkpoint = None
        for item, point, done in source.items():
            batch.append(item)
            if point is not None:
                checkpoint = point
            if len(batch) >= BATCH:
                self._commit(source, batch, checkpoint, counted)
                batch, checkpoint = [], None
            if self.progress is not None:
                self.progress(source.label, done, source.total)
        self._commit(source, batch, checkpoint, counted, final=True)
        counted["resumed"] = source.resumed
        if source.reset:
            counted["uidvalidity_changed"] = True
            self.summary.warn(f"{source.label}: UIDVALIDITY changed, so the folder was read again from the start")
        self.summary.sources.append(counted)

    def _commit(self, source: Source, batch: list, checkpoint, counted: dict, final: bool = False) -> None:
        with database.atomic() as transaction:
            planned = self._plan(batch)
            counted["messages"] += len(batch)
            done = logged_keys([t.message_key for t, _ in planned])
            fresh = []
            for touch, why in planned:
                pair = (touch.contact_id, touch.message_key)
                if pair in done or pair in self._seen:
                    self.summary.already_logged += 1
                    continue
                self._seen.add(pair)
                fresh.append(touch)
                self.summary.new += 1
                if self.keep_log:
                    self.summary.logged.append(self._describe(touch, why))
            inserted = insert_mail_touches(fresh, self.now)
            self.summary.touches += inserted
            counted["touches"] += inserted
            state = source.state(checkpoint) if checkpoint is not None else None
            if final and source.final_state() is not None:
                state = source.final_state()
            if state is not None:
                save_folder_state(state, self.now)
            if self.dry_run:
                transaction.rollback()

    def _plan(self, batch: list) -> list[tuple[MailTouch, str]]:
        planned: list[tuple[MailTouch, str]] = []
        for item in batch:
            self.summary.messages += 1
            if isinstance(item, Unreadable):
                self.summary.unreadable += 1
                self.summary.warn(f"{item.where}: skipped: {item.reason}")
                continue
            for warning in item.headers.warnings:
                self.summary.warn(f"{item.where}: {warning}")
            if item.calendars:
                self._invites(item)
            planned.extend(self._touches(item))
        return planned

    def _touches(self, message: Message) -> list[tuple[MailTouch, str]]:
        headers = message.headers
        moment = headers.date or message.arrived
        if moment is None:
            self.summary.unreadable += 1
            self.summary.warn(f"{message.where}: skipped: no date and no arrival time")
            return []
        local = self.local(moment)
        if self.since is not None and local.date() < self.since:
            self.summary.before_since += 1
            return []
        on = local.strftime("%Y-%m-%dT%H:%M")
        sender = headers.sender
        sender_key = email_key(sender.email) if sender else ""
        touches: list[tuple[MailTouch, str]] = []
        if sender_key and sender_key in self.own:
            contacts: dict[int, None] = {}
            for address in headers.recipients:
                key = email_key(address.email)
                if key in self.own:
                    continue
                contact_id = self.emails.get(key)
                if contact_id is None:
                    self._unknown(key, address.name)
                else:
                    contacts[contact_id] = None
            for contact_id in contacts:
                verdict = self.rules.outbound(contact_id, local.date())
                touches.append((MailTouch(contact_id, on, verdict.kind, "out", headers.subject, headers.key,
                                          verdict.application_id), verdict.why))
        elif sender_key in self.emails:
            touches.append((MailTouch(self.emails[sender_key], on, "message", "in", headers.subject, headers.key),
                            "received from them"))
        elif sender_key:
            self._unknown(sender_key, sender.name)
        if not touches:
            self.summary.nobody_known += 1
        return touches

    def _unknown(self, key: str, name: str) -> None:
        self.summary.unknown[key] += 1
        if name and key not in self.summary.unknown_names:
            self.summary.unknown_names[key] = name

    def _invites(self, message: Message) -> None:
        changed = False
        for data in message.calendars:
            try:
                invites = parse_invites(data, message.where)
            except FormatError as exc:
                self.summary.warn(f"{exc.message}; skipped")
                continue
            for invite in invites:
                try:
                    with database.atomic():
                        result = import_invite(invite, own=self.own, local=self.local, now=self.now)
                except CrmError as exc:
                    self.summary.warn(f"{message.where}: invite not imported: {exc.message}"
                                      " (import the .ics with crm invite import --org ORG)")
                    continue
                self.summary.invites.append(result.record())
                changed = changed or result.action not in ("unchanged", "not-found")
        if changed:
            self._load()

    def _describe(self, touch: MailTouch, why: str) -> shapes.MailTouch:
        if touch.contact_id not in self._names:
            self._names.update(contact_names([touch.contact_id]))
        return {
            "contact": {"id": touch.contact_id, "name": self._names.get(touch.contact_id)},
            "on": touch.on,
            "kind": touch.kind,
            "direction": touch.direction,
            "subject": touch.subject or None,
            "message_id": touch.message_key,
            "application": touch.application_id,
            "why": why,
        }

