"""Nudges as iCalendar to-dos (VTODO, RFC 5545), and reading back whether one was done.

Pure: values in, text out; text in, values out. Written by hand (a handful of properties,
escaped and folded like vCard text); read with vobject, imported lazily, because what comes
back was written by whatever app the phone runs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timezone

from crm.formats.vcard.text import escape_text, fold

PRODID = "-//crm//nudges//EN"


@dataclass(frozen=True)
class Todo:
    uid: str
    due: date
    summary: str
    description: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class TodoState:
    uid: str
    completed: bool
    completed_on: datetime | date | None  # COMPLETED (a UTC date-time), when done


def todo_text(todo: Todo, stamp: datetime) -> str:
    """One VCALENDAR holding the VTODO. `stamp` is DTSTAMP (naive: taken as UTC)."""
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "BEGIN:VTODO",
             "UID:" + escape_text(todo.uid), "DTSTAMP:" + stamp.strftime("%Y%m%dT%H%M%SZ"),
             *_content_lines(todo), "END:VTODO", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def todo_digest(todo: Todo) -> str:
    """What a VTODO says, without its DTSTAMP: equal digests mean nothing to update."""
    return hashlib.sha1("\n".join([todo.uid, *_content_lines(todo)]).encode("utf-8")).hexdigest()


def _content_lines(todo: Todo) -> list[str]:
    lines = ["SUMMARY:" + escape_text(todo.summary), "DESCRIPTION:" + escape_text(todo.description),
             "DUE;VALUE=DATE:" + todo.due.strftime("%Y%m%d"), "STATUS:NEEDS-ACTION"]
    if todo.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in todo.categories))
    return lines


def todo_state(text: str) -> TodoState | None:
    """The first VTODO's UID and whether it is done (STATUS:COMPLETED or a COMPLETED time);
    None when the text holds no readable VTODO."""
    import vobject

    try:
        calendar = vobject.readOne(text)
    except Exception:  # noqa: BLE001 - another client's broken item: not ours to read
        return None
    todos = getattr(calendar, "vtodo_list", [])
    if not todos:
        return None
    todo = todos[0]
    uid = todo.uid.value if hasattr(todo, "uid") else ""
    status = todo.status.value.strip().upper() if hasattr(todo, "status") else ""
    completed = todo.completed.value if hasattr(todo, "completed") else None
    return TodoState(uid, status == "COMPLETED" or completed is not None, completed)


def completed_day(state: TodoState, fallback: date) -> date:
    """The day a to-do was done, in local time (COMPLETED is UTC); `fallback` when not given."""
    value = state.completed_on
    if isinstance(value, datetime):
        return value.astimezone().date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return fallback
