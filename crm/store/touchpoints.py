"""The log: every touch with a contact, in either direction.

A touchpoint is dated by its `on` ('YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'), never by when it was
typed in: a back-dated entry sorts and counts from its own date everywhere. Functions here take
rows and explicit times (`now` is an ISO date-time string from the caller) and never print.
"""
from __future__ import annotations

import difflib
from typing import Sequence

from crm import shapes
from crm.errors import InvalidInput, NotFound
from crm.store.contacts import known_since
from crm.store.models import Application, Contact, Offer, Touchpoint, database

KINDS = (
    "thank-you", "status-check", "check-in", "value-offer", "congratulate", "introduction",
    "feedback-request", "connect", "meeting", "call", "message", "note",
    "intro-consent", "courtesy-note", "withdrawal",
)
CHANNELS = ("email", "linkedin", "phone", "video", "in-person", "handwritten", "other")


def choose(value: str, choices: Sequence[str], what: str) -> str:
    """`value` folded to one of `choices`, or InvalidInput naming them all (and the likely one)."""
    key = value.strip().lower().replace("_", "-")
    if key in choices:
        return key
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise InvalidInput(f"unknown {what} {value!r}{hint}; choose one of: {', '.join(choices)}")


def parse_id(text: str, what: str) -> int:
    """'12' or '#12' -> 12; anything else is bad input."""
    value = text.strip().lstrip("#")
    if not value.isdecimal() or int(value) >= 2**63:  # not isdigit(): "³" is a digit int() refuses
        raise InvalidInput(f"{what} must be a number, not {text!r}")
    return int(value)


def log_touch(
    contact: Contact,
    kind: str,
    on: str,
    *,
    now: str,
    via: str | None = None,
    inbound: bool = False,
    note: str = "",
    offer: Offer | None = None,
    application: Application | None = None,
    declined: bool = False,
) -> Touchpoint:
    """Append one touchpoint. Giving `offer` records that offer as given to `contact`.
    `declined`: an inbound "no, thank you" (an introduction they do not want, rule 11)."""
    if declined and not inbound:
        raise InvalidInput("--declined is their answer: it goes with --inbound")
    kind = choose(kind, KINDS, "kind")
    via = choose(via, CHANNELS, "channel") if via is not None else None
    with database.atomic():
        known_since([contact.id], on)
        return Touchpoint.create(
            contact=contact,
            on=on,
            kind=kind,
            via=via,
            direction="in" if inbound else "out",
            note=note.strip(),
            offer=offer,
            application=application,
            created_at=now,
            declined=declined,
        )


def resolve_offer(text: str) -> Offer:
    number = parse_id(text, "an offer id")
    offer = Offer.get_or_none(Offer.id == number)
    if offer is None:
        raise NotFound(f"no offer has id {number}; see `crm offer list`")
    return offer


def touch_record(row: tuple) -> dict:
    """The `crm history --json` shape of one (id, on, kind, via, direction, note, offer, application) row."""
    touch_id, on, kind, via, direction, note, offer_id, application_id = row
    return {
        "id": touch_id,
        "on": on,
        "kind": kind,
        "via": via,
        "direction": direction,
        "note": note or None,
        "offer": offer_id,
        "application": application_id,
    }


def history(contact_id: int) -> list[shapes.TouchRow]:
    """A contact's log, oldest first (a date-only entry sorts before timed entries of its day)."""
    rows = database.connection().execute(
        'SELECT id, "on", kind, via, direction, note, offer_id, application_id FROM touchpoint'
        ' WHERE contact_id = ? ORDER BY "on", id',
        (contact_id,),
    )
    return [touch_record(row) for row in rows]


def _touch_with_contact(touch_id: int) -> Touchpoint:
    touch = (
        Touchpoint.select(Touchpoint, Contact)
        .join(Contact)
        .where(Touchpoint.id == touch_id)
        .get_or_none()
    )
    if touch is None:
        raise NotFound(f"no touchpoint has id {touch_id}; see `crm history CONTACT`")
    return touch


def _record_with_contact(touch: Touchpoint) -> shapes.RelogResult:
    record = touch_record(
        (touch.id, touch.on, touch.kind, touch.via, touch.direction, touch.note, touch.offer_id, touch.application_id)
    )
    record["contact"] = {"id": touch.contact.id, "name": touch.contact.display_name}
    return record


def unlog(touch_id: int) -> dict:
    """Remove one mistaken entry; returns what it was (with the contact's id and name)."""
    with database.atomic():
        touch = _touch_with_contact(touch_id)
        record = _record_with_contact(touch)
        touch.delete_instance()
    return record


def set_kind(touch_id: int, kind: str) -> shapes.RelogResult:
    """Change what kind a logged touch is (a mail import's guess corrected); returns it as it is now."""
    kind = choose(kind, KINDS, "kind")
    with database.atomic():
        touch = _touch_with_contact(touch_id)
        touch.kind = kind
        touch.save()
    return _record_with_contact(touch)
