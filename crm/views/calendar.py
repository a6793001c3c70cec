"""The coming suggestions as an iCalendar file (written by crm.formats.ical).

Pure: planned suggestions (from `crm.cadence.engine.upcoming`) and a timestamp in, bytes out. Each
suggestion is an all-day VEVENT (every calendar app imports those; many ignore VTODO) on the
day it first comes up, with the reason in its description. Its UID is derived from the contact,
the action and the application or offer it is about, never from the date, so importing a newer
file moves or updates the event instead of adding a second one.
"""
from __future__ import annotations

import re

from datetime import date, datetime, timedelta
from typing import Iterable

from crm.cadence.engine import Suggestion

PRODID = "-//crm//cadence//EN"
CALENDAR_NAME = "crm follow-ups"
UID_DOMAIN = "cadence.crm"


# RFC 5545 allows no control characters in TEXT values (tab aside), and a calendar shown in a
# terminal must not carry escape sequences or bidi overrides either: they are dropped.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def ical_text(value: str) -> str:
    return _NOT_TEXT.sub("", value)


def uid_for(suggestion: Suggestion) -> str:
    """Stable across runs and days: contact id + action (+ application id, + offer id)."""
    contact_id, action, application_id, offer_id = suggestion.key
    parts = [f"contact-{contact_id}", action]
    if application_id is not None:
        parts.append(f"application-{application_id}")
    if offer_id is not None:
        parts.append(f"offer-{offer_id}")
    return "-".join(parts) + "@" + UID_DOMAIN


def summary_for(suggestion: Suggestion) -> str:
    contact = suggestion.contact
    who = f"{contact.name} ({contact.org})" if contact.org else contact.name
    return f"{suggestion.action.replace('-', ' ').capitalize()}: {who}"


def description_for(suggestion: Suggestion) -> str:
    lines = [suggestion.reason]
    if suggestion.offer is not None:
        offer = suggestion.offer
        lines.append(f"Offer #{offer.id} ({offer.kind}): {offer.title}" + (f" {offer.url}" if offer.url else ""))
    if suggestion.application is not None:
        application = suggestion.application
        lines.append(f"Application #{application.id}: {application.position} at {application.org}")
    if suggestion.action == "prepare":  # for you, not a touch: nothing to log
        lines.append(f"Briefing: crm brief {suggestion.application.id}")
    else:
        lines.append(f"Log it: {log_command(suggestion)}")
    return "\n".join(lines)


def log_command(suggestion: Suggestion) -> str:
    """The `crm log` line that records doing it (every action is also a touch kind)."""
    command = f"crm log {suggestion.contact.id} {suggestion.action}"
    if suggestion.offer is not None:
        command += f" --offer {suggestion.offer.id}"
    if suggestion.application is not None and suggestion.action == "status-check":
        command += f" --application {suggestion.application.id}"
    return command


def calendar_bytes(planned: Iterable[tuple[date, Suggestion]], stamp: datetime) -> bytes:
    """An iCalendar file with one all-day event per (day, suggestion). `stamp` is the DTSTAMP
    (when the file was made); a naive datetime is taken as UTC."""
    from crm.formats.ical import AllDayEvent, calendar_text

    events = (
        AllDayEvent(
            uid=uid_for(suggestion),
            day=day,
            end=day + timedelta(days=1),
            summary=ical_text(summary_for(suggestion)),
            description=ical_text(description_for(suggestion)),
            categories=("crm", suggestion.action),
            url=ical_text(suggestion.offer.url) if suggestion.offer is not None and suggestion.offer.url else "",
        )
        for day, suggestion in planned
    )
    return calendar_text(events, prodid=PRODID, name=CALENDAR_NAME, stamp=stamp).encode("utf-8")
