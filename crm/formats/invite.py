"""Meeting invites (iCalendar, RFC 5545/5546) read into plain records.

What Google Calendar, Outlook, Zoom and Teams send: a VCALENDAR with METHOD:REQUEST (or CANCEL)
and one VEVENT: UID, SEQUENCE, DTSTART (with a TZID and its VTIMEZONE block, in UTC, or
floating), SUMMARY, ORGANIZER and ATTENDEEs with CN and ROLE. Read with vobject (imported
here, so only the commands that read invites pay for it). Nothing here knows the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crm.errors import FormatError

METHODS = ("REQUEST", "CANCEL", "PUBLISH")  # PUBLISH (or none): an event saved to a file


@dataclass(frozen=True)
class Person:
    email: str
    name: str  # CN, "" when absent
    role: str = ""  # ATTENDEE ROLE: CHAIR, REQ-PARTICIPANT, OPT-PARTICIPANT, NON-PARTICIPANT


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    method: str  # REQUEST | CANCEL | PUBLISH
    summary: str
    start: datetime | date  # aware datetime (TZID or UTC), naive datetime (floating), or a date (all day)
    organizer: Person | None
    attendees: tuple[Person, ...]

    @property
    def cancelled(self) -> bool:
        return self.method == "CANCEL"


def parse_invites(data: bytes, where: str = "invite") -> list[Invite]:
    """Every VEVENT of a calendar file or text/calendar part. FormatError when it is not iCalendar."""
    import vobject

    text = _text(data)
    if "BEGIN:VCALENDAR" not in text.upper():
        raise FormatError(f"{where}: not an iCalendar file (no BEGIN:VCALENDAR)")
    invites = []
    try:
        calendars = list(vobject.readComponents(text, ignoreUnreadable=True))
    except Exception as exc:  # vobject raises ParseError and assorted ValueErrors on bad input
        raise FormatError(f"{where}: not a readable iCalendar file ({_short(exc)})") from None
    for calendar in calendars:
        method = _value(calendar, "method").upper() or "PUBLISH"
        if method not in METHODS:  # REPLY, COUNTER, REFRESH...: answers about an invite, not one
            continue
        for event in getattr(calendar, "vevent_list", []):
            uid = _value(event, "uid")
            if not uid or not hasattr(event, "dtstart"):
                continue
            try:
                start = event.dtstart.value
            except Exception as exc:
                raise FormatError(f"{where}: unreadable DTSTART ({_short(exc)})") from None
            if isinstance(start, str):
                raise FormatError(f"{where}: unreadable DTSTART {start!r}")
            status_cancelled = _value(event, "status").upper() == "CANCELLED"
            try:
                sequence = int(_value(event, "sequence") or 0)
            except ValueError:
                sequence = 0
            invites.append(Invite(
                uid=uid,
                sequence=sequence,
                method="CANCEL" if status_cancelled else method,
                summary=" ".join(_value(event, "summary").split()),
                start=start,
                organizer=_person(event.organizer) if hasattr(event, "organizer") else None,
                attendees=tuple(p for p in (_person(a) for a in getattr(event, "attendee_list", [])) if p),
            ))
    return invites


def _person(line) -> Person | None:
    value = str(line.value or "").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if "@" not in value:
        return None
    params = line.params
    name = (params.get("CN") or [""])[0].strip().strip('"')
    role = (params.get("ROLE") or [""])[0].strip().upper()
    return Person(value.strip(), name, role)


def _value(component, name: str) -> str:
    line = getattr(component, name, None)
    if line is None:
        return ""
    return str(line.value or "").strip()


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__
