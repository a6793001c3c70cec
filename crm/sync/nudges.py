"""Nudges where people look: the coming suggestions as to-dos (VTODO) on a CalDAV calendar.

Each run, in this order:
1. reads back the to-dos crm put there (a Depth: 1 etag listing; only changed ones are
   fetched): one ticked on the phone (STATUS:COMPLETED) is logged as that touch, on its
   completion day, through the channel its draft is for; its status row goes in the same
   transaction, so it is logged once;
2. plans the suggestions of the next `days` days (crm.cadence.engine.upcoming, after those new
   touches) and writes one to-do per suggestion, under a UID stable across days (the contact,
   the action, the application or offer: crm.views.calendar.uid_for): new ones with
   If-None-Match: *, changed ones with If-Match;
3. deletes the to-dos of suggestions that went away (If-Match: one changed meanwhile is read
   again first, in case it was ticked).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from crm.errors import CrmError
from crm.formats.ical import Todo, completed_day, todo_digest, todo_state, todo_text
from crm.net.dav import DavClient, PreconditionFailed, member_name, normalise_href
from crm.shapes import NudgeSync as NudgeShape
from crm.store.models import Application, Contact, NudgeItem, Offer, Remote, database
from crm.sync.session import SyncRun, collection_url

CONTENT_TYPE = "text/calendar"
DEFAULT_DAYS = 14
DRAFT_LINES = 4


@dataclass
class NudgeReport:
    remote: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    completed: list[dict] = field(default_factory=list)  # touches logged from ticked to-dos

    def as_json(self) -> NudgeShape:
        return {"remote": self.remote, "added": self.added, "updated": self.updated, "removed": self.removed,
                "completed": self.completed}


def channel_for(action: str) -> str:
    """The channel a suggestion's draft is written for: a connect is a LinkedIn note, the rest mail."""
    return "linkedin" if action == "connect" else "email"


class NudgeSync(SyncRun):
    def __init__(self, remote: Remote, client: DavClient, *, today: date, now: str, stamp: datetime,
                 user_dir: Path | None, days: int = DEFAULT_DAYS, dry_run: bool = False):
        self.remote = remote
        self.client = client
        self.today = today
        self.now = now
        self.stamp = stamp
        self.user_dir = user_dir
        self.days = days
        self.dry_run = dry_run
        self.report = NudgeReport(remote.name)

    def _run(self) -> None:
        url = collection_url(self.remote, self.client, "caldav")
        rows = {row.href: row for row in NudgeItem.select().where(NudgeItem.remote == self.remote)}
        listed = {m.href: m.etag for m in self.client.members(url)}
        changed = [href for href, row in rows.items() if href in listed and listed[href] != row.etag]
        for item in self.client.multiget(url, changed, "caldav") if changed else []:
            self._read_back(rows[item.href], item.data, item.etag)
        for href, row in list(rows.items()):
            if href not in listed:  # deleted on the phone: planned again below if still due
                with database.atomic():
                    row.delete_instance()
        rows = {row.uid: row for row in NudgeItem.select().where(NudgeItem.remote == self.remote)}
        wanted = self._plan()
        for uid, (todo, suggestion) in wanted.items():
            self._write(url, rows.get(uid), todo, suggestion)
        for uid, row in rows.items():
            if uid not in wanted:
                self._remove(row)
        with database.atomic():
            Remote.update(synced_at=self.now).where(Remote.id == self.remote.id).execute()

    # ---- 1. what was ticked ----

    def _read_back(self, row: NudgeItem, text: str, etag: str | None) -> bool:
        """Log a ticked to-do as its touch (and forget it); else just note its etag. True if ticked."""
        from crm.store.touchpoints import log_touch

        state = todo_state(text)
        with database.atomic():
            if state is None or not state.completed or row.contact_id is None:
                row.etag = etag
                row.save()
                return False
            contact = Contact.get_by_id(row.contact_id)
            day = completed_day(state, self.today)
            touch = log_touch(
                contact, row.action, day.isoformat(), now=self.now, via=row.channel,
                note=f"Ticked on {self.remote.name}",
                offer=Offer.get_or_none(Offer.id == row.offer_id) if row.offer_id else None,
                application=Application.get_or_none(Application.id == row.application_id) if row.application_id else None,
            )
            row.delete_instance()
        # Done on the phone and logged here: the to-do has served; the calendar is ours to tidy.
        try:
            self._delete(row.href, etag)
        except PreconditionFailed:
            pass  # edited again meanwhile: it stays, and without its row it is never logged twice
        self.report.completed.append({"contact": {"id": contact.id, "name": contact.display_name},
                                      "action": row.action, "on": day.isoformat(), "via": row.channel,
                                      "touchpoint": touch.id})
        return True

    # ---- 2. what is due ----

    def _plan(self) -> dict:
        from crm.cadence.engine import upcoming
        from crm.cadence.snapshot import load_snapshot
        from crm.views.calendar import description_for, summary_for, uid_for
        from crm.views.drafts import draft_for, first_names

        plan = upcoming(load_snapshot(self.today, self.today + timedelta(days=self.days - 1)), self.today, self.days)
        names = first_names(s.contact.id for _day, s in plan)
        wanted = {}
        for day, suggestion in plan:
            description = description_for(suggestion)
            try:
                text = draft_for(suggestion, day, sender=None, user_dir=self.user_dir,
                                 first_name=names.get(suggestion.contact.id))
            except CrmError:
                text = ""  # a draft that lacks a fact it needs: the reason alone says enough
            lines = [line for line in text.splitlines() if line.strip()][:DRAFT_LINES]
            if lines:
                description = "\n".join([suggestion.reason, "", *lines, "", description.split("\n", 1)[1]])
            uid = uid_for(suggestion)
            wanted[uid] = (Todo(uid, day, summary_for(suggestion), description, ("crm", suggestion.action)), suggestion)
        return wanted

    def _write(self, url: str, row: NudgeItem | None, todo: Todo, suggestion) -> None:
        digest = todo_digest(todo)
        if row is not None and row.digest == digest:
            return
        text = todo_text(todo, self.stamp)
        href = row.href if row is not None else normalise_href(url, member_name(todo.uid, ".ics"))
        etag = row.etag if row is not None else None
        if not self.dry_run:
            try:
                etag = self.client.put(href, text, CONTENT_TYPE, etag=etag, create=row is None)
            except PreconditionFailed:
                current = self.client.get(href)  # ours from a killed run, or ticked meanwhile
                if row is not None and current is not None and self._read_back(row, current.data, current.etag):
                    return
                etag = self.client.put(href, text, CONTENT_TYPE, etag=current.etag if current else None,
                                       create=current is None)
        with database.atomic():
            if row is None:
                row = NudgeItem(remote=self.remote, uid=todo.uid, href=href)
                self.report.added += 1
            else:
                self.report.updated += 1
            row.etag, row.digest, row.contact, row.action = etag, digest, suggestion.contact.id, suggestion.action
            row.channel = channel_for(suggestion.action)
            row.application_id = suggestion.application.id if suggestion.application else None
            row.offer_id = suggestion.offer.id if suggestion.offer else None
            row.save()

    # ---- 3. what went away ----

    def _remove(self, row: NudgeItem) -> None:
        try:
            self._delete(row.href, row.etag)
        except PreconditionFailed:
            current = self.client.get(row.href)
            if current is not None and self._read_back(row, current.data, current.etag):
                return
            self._delete(row.href, current.etag if current else None)
        with database.atomic():
            row.delete_instance()
        self.report.removed += 1

    def _delete(self, href: str, etag: str | None) -> None:
        if not self.dry_run:
            self.client.delete(href, etag)
