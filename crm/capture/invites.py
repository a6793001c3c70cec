"""Interview invites into interview rounds (`crm invite import`, and invites found in mail).

An invite (METHOD:REQUEST) becomes a round on DTSTART's local date-time. Its people are the
organiser and the attendees other than you: matched to contacts by email, or created with the
name the invite gives. Attendees are the interviewers; an organiser who does not attend is the
application's recruiter (and the interviewer when nobody else attends). The organisation is
`--org`, else the organisation of the people the invite names (attendees first: a recruiter may
be with an agency), else the name in their work email domain, else one clear error.

The invite's UID ties it to the round: an update (same UID, higher SEQUENCE) moves it, a
METHOD:CANCEL (or STATUS:CANCELLED) marks it cancelled, and the same invite imported twice
changes nothing. Writes happen in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from crm import shapes
from crm.errors import InvalidInput
from crm.formats.card import Card, Typed
from crm.formats.invite import Invite, Person
from crm.store.applications import is_open, record_interview
from crm.store.contacts import create_contact
from crm.store.invites import round_for_invite, round_id, tie_to_invite, update_from_invite
from crm.store.models import Application, Contact, ContactMethod, Organisation
from crm.text import email_key, org_key

# Personal mail providers: their domain says nothing about an employer.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net",
    "web.de", "mail.com", "fastmail.com", "hey.com", "yandex.ru", "zoho.com",
})

_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc"})

LocalTime = Callable[[datetime], datetime]


@dataclass(frozen=True)
class InvitePerson:
    id: int
    name: str
    email: str
    part: str  # interviewer | recruiter
    created: bool


@dataclass(frozen=True)
class InviteResult:
    uid: str
    summary: str
    action: str  # created | moved | updated | cancelled | unchanged | not-found
    application_id: int | None = None
    round_number: int | None = None
    on: str | None = None
    people: tuple[InvitePerson, ...] = ()

    def record(self) -> shapes.InviteResult:
        """The `crm invite import --json` shape of one invite."""
        return {
            "uid": self.uid,
            "summary": self.summary,
            "action": self.action,
            "application": self.application_id,
            "round": self.round_number,
            "on": self.on,
            "people": [{"id": p.id, "name": p.name, "email": p.email, "as": p.part, "created": p.created}
                       for p in self.people],
        }


def local_when(start: datetime | date, local: LocalTime) -> str:
    """The round's `on`: local wall-clock 'YYYY-MM-DDTHH:MM' (a date for an all-day event)."""
    if isinstance(start, datetime):
        if start.tzinfo is not None:
            start = local(start)
        return start.strftime("%Y-%m-%dT%H:%M")
    return start.isoformat()


def import_invite(
    invite: Invite,
    *,
    own: set[str],
    local: LocalTime,
    now: str,
    org: str | None = None,
    position: str | None = None,
    reply_by: date | None = None,
) -> InviteResult:
    on = local_when(invite.start, local)
    existing = round_for_invite(invite.uid)
    if invite.cancelled:
        if existing is None:
            return InviteResult(invite.uid, invite.summary, "not-found", on=on)
        if existing.cancelled or invite.sequence < existing.sequence:
            return _unchanged(invite, existing)
        update_from_invite(existing.round_id, existing.on, invite.sequence, cancelled=True, people=[])
        return InviteResult(invite.uid, invite.summary, "cancelled", existing.application_id, existing.number,
                            existing.on)
    if existing is not None and (invite.sequence < existing.sequence
                                 or (invite.sequence == existing.sequence and not existing.cancelled)):
        return _unchanged(invite, existing)
    interviewers, recruiter = _parts(invite, own)
    people = [(person, "interviewer") for person in interviewers]
    if recruiter is not None:
        people.append((recruiter, "recruiter"))
    if existing is not None:  # a newer version of an invite we have: move the round, add people
        found = [_contact(person, part, now) for person, part in people]
        update_from_invite(existing.round_id, on, invite.sequence, cancelled=False,
                           people=[p.id for p in found if p.part == "interviewer"])
        action = "moved" if on != existing.on else "updated"
        return InviteResult(invite.uid, invite.summary, action, existing.application_id, existing.number, on,
                            tuple(found))
    organisation = org or infer_org(interviewers, recruiter)
    if not organisation:
        raise InvalidInput(
            f"cannot tell which organisation the invite {invite.summary or invite.uid!r} is from; give --org ORG"
        )
    title = position or _open_position(organisation) or invite.summary
    if not title:
        raise InvalidInput(f"the invite {invite.uid!r} has no summary to name the position; give --position TITLE")
    found = [_contact(person, part, now) for person, part in people]
    contacts = {p.id: Contact.get_by_id(p.id) for p in found}
    recorded = record_interview(
        [contacts[p.id] for p in found if p.part == "interviewer"], organisation, title, on, now=now,
        reply_by=reply_by, recruiter=next((contacts[p.id] for p in found if p.part == "recruiter"), None),
    )
    tie_to_invite(round_id(recorded.application_id, recorded.round_number), invite.uid, invite.sequence)
    return InviteResult(invite.uid, invite.summary, "created", recorded.application_id, recorded.round_number, on,
                        tuple(found))


def _unchanged(invite: Invite, existing) -> InviteResult:
    return InviteResult(invite.uid, invite.summary, "unchanged", existing.application_id, existing.number, existing.on)


def _parts(invite: Invite, own: set[str]) -> tuple[list[Person], Person | None]:
    """(interviewers, recruiter): attendees other than you; the organiser when not attending."""
    attendees: dict[str, Person] = {}
    for person in invite.attendees:
        key = email_key(person.email)
        if key not in own and person.role != "NON-PARTICIPANT":
            attendees.setdefault(key, person)
    organizer = invite.organizer
    if organizer is not None and email_key(organizer.email) in own:
        organizer = None
    if organizer is not None and email_key(organizer.email) in attendees:
        organizer = None  # an organiser who attends is an interviewer like the others
    if not attendees:
        if organizer is None:
            raise InvalidInput(f"the invite {invite.summary or invite.uid!r} names nobody but you")
        return [organizer], None
    return list(attendees.values()), organizer


def _contact(person: Person, part: str, now: str) -> InvitePerson:
    """The contact with this email, created (with the invite's name for them) if there is none."""
    key = email_key(person.email)
    row = (
        Contact.select(Contact.id, Contact.display_name)
        .join(ContactMethod)
        .where((ContactMethod.medium == "email") & (ContactMethod.norm == key))
        .order_by(Contact.id)
        .first()
    )
    if row is not None:
        return InvitePerson(row.id, row.display_name, person.email, part, False)
    name = person.name if person.name and "@" not in person.name else _name_from_email(person.email)
    created = create_contact(Card(display_name=name, emails=[Typed(person.email, kind="work")]), now)
    return InvitePerson(created.id, created.display_name, person.email, part, True)


def _name_from_email(address: str) -> str:
    """'hans.krueger@x' -> 'Hans Krueger': a readable name when the invite gives none."""
    local = address.split("@", 1)[0]
    words = [w for w in local.replace("_", ".").replace("-", ".").split(".") if w]
    return " ".join(w.capitalize() for w in words) or address


def infer_org(interviewers: list[Person], recruiter: Person | None) -> str | None:
    """The organisation the invite is from: that of the known people at its work domains
    (attendees first), else the name in the first work domain ('acme-robotics.com' -> 'Acme Robotics')."""
    ordered = interviewers + ([recruiter] if recruiter else [])
    domains = [d for d in (_domain(p.email) for p in ordered) if d and d not in FREE_MAIL]
    for domain in dict.fromkeys(domains):
        row = (
            Organisation.select(Organisation.name)
            .join(Contact, on=(Contact.organisation == Organisation.id))
            .join(ContactMethod, on=(ContactMethod.contact == Contact.id))
            .where((ContactMethod.medium == "email") & ContactMethod.norm.endswith("@" + domain))
            .order_by(Contact.id)
            .first()
        )
        if row is not None:
            return row.name
    if domains:
        # The registered name: 'mail.acme.co.uk' -> 'acme' (the TLD and a second-level like co. dropped).
        labels = [w for w in domains[0].split(".")[:-1] if w not in _SECOND_LEVEL] or domains[0].split(".")
        return " ".join(w.capitalize() for w in labels[-1].replace("_", "-").split("-") if w) or None
    return None


def _domain(address: str) -> str:
    return email_key(address).rpartition("@")[2]


def _open_position(org: str) -> str | None:
    """The position of the organisation's one open application, if it has exactly one."""
    key = org_key(org)  # the organisation identity: "Acme Robotics, Inc." is "Acme Robotics"
    open_ones = [
        a for a in Application.select(Application).join(Organisation).where(Organisation.name_key == key)
        if is_open(a)
    ]
    return open_ones[0].position if len(open_ones) == 1 else None
