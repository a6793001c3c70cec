"""iCalendar (RFC 5545): nudges as to-dos (VTODO) and reading back whether one was done; the
coming suggestions as all-day events (VEVENT, `crm calendar`).

Pure: values in, text out; text in, values out. Written by hand (a handful of properties,
escaped and folded like vCard text); read with vobject, imported lazily, because what comes
back was written by whatever app the phone runs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable

PRODID = "-//crm//nudges//EN"


@dataclass(frozen=True)
class Todo:
    """A nudge as a CalDAV to-do: due on a day, with its summary, description and categories."""

    uid: str
    due: date
    summary: str
    description: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class TodoState:
    """What a calendar says of a to-do it holds: whether it was ticked, and when."""

    uid: str
    completed: bool
    completed_on: datetime | date | None  # COMPLETED (a UTC date-time), when done


def todo_text(todo: Todo, stamp: datetime) -> str:
    """One VCALENDAR holding the VTODO. `stamp` is DTSTAMP (naive: taken as UTC)."""
    from crm.formats.vcard.text import escape_text, fold

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
    # Here, not at the top: the vCard package reads and writes whole cards (~6 ms to import),
    # and `crm calendar` writes its events with the writer below.
    from crm.formats.vcard.text import escape_text

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

# ---- all-day events (crm calendar) --------------------------------------------------------------
# Written exactly as vobject's serializer wrote them before (tests/test_calendar.py holds the two
# byte-identical), at a fraction of the cost: `crm calendar` writes thousands of events.
# Properties come in vobject's order (VERSION, CALSCALE, PRODID first; in an event UID, DTSTART,
# DTEND first; then the rest by name), lines are folded as vobject folds them (a line of 75
# characters or more is cut before it passes 75 bytes, never inside a character), and TEXT values
# are backslash-escaped as vobject escapes them.

LINE_LENGTH = 75


@dataclass(frozen=True)
class AllDayEvent:
    """A suggestion in `crm calendar`'s file: an all-day event (DTEND is exclusive)."""

    uid: str
    day: date
    end: date  # exclusive, as DTEND is
    summary: str
    description: str
    categories: tuple[str, ...] = ()
    url: str = ""
    transparent: bool = True  # a reminder, not a busy slot


def _escape(value: str) -> str:
    """An escaped TEXT value (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """One content line with its CRLF, folded as vobject folds."""
    if len(line) < LINE_LENGTH:
        return line + "\r\n"
    if line.isascii():  # one byte a character: cut at 75, then every 74 (after the space)
        pieces = [line[:LINE_LENGTH]] + [line[i:i + LINE_LENGTH - 1] for i in range(LINE_LENGTH, len(line), LINE_LENGTH - 1)]
        return "\r\n ".join(pieces) + "\r\n"
    data = line.encode("utf-8")
    pieces = []
    start, room = 0, LINE_LENGTH
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # never inside a character
            cut -= 1
        pieces.append(data[start:cut])
        start, room = cut, LINE_LENGTH - 1  # a continuation line starts with a space
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode("utf-8") + "\r\n"


def _day(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _stamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return f"{_day(value)}T{value.hour:02d}{value.minute:02d}{value.second:02d}Z"


def calendar_text(events: Iterable[AllDayEvent], *, prodid: str, name: str, stamp: datetime) -> str:
    """A VCALENDAR with one VEVENT per event; `stamp` is every event's DTSTAMP (naive: UTC)."""
    dtstamp = _fold(f"DTSTAMP:{_stamp(stamp)}")
    out = ["BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", "CALSCALE:GREGORIAN\r\n", _fold(f"PRODID:{_escape(prodid)}"),
           _fold(f"X-WR-CALNAME:{name}")]
    for event in events:
        out.append("BEGIN:VEVENT\r\n")
        out.append(_fold(f"UID:{_escape(event.uid)}"))
        out.append(f"DTSTART;VALUE=DATE:{_day(event.day)}\r\n")
        out.append(f"DTEND;VALUE=DATE:{_day(event.end)}\r\n")
        if event.categories:
            out.append(_fold("CATEGORIES:" + ",".join(_escape(c) for c in event.categories)))
        out.append(_fold(f"DESCRIPTION:{_escape(event.description)}"))
        out.append(dtstamp)
        out.append(_fold(f"SUMMARY:{_escape(event.summary)}"))
        if event.transparent:
            out.append("TRANSP:TRANSPARENT\r\n")
        if event.url:
            out.append(_fold(f"URL:{event.url}"))
        out.append("END:VEVENT\r\n")
    out.append("END:VCALENDAR\r\n")
    return "".join(out)
