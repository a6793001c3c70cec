"""A small, realistic job search to try `crm` on: `crm demo`.

Everything is written through the store's own functions (the ones `crm add`, `crm interview`,
`crm log`, `crm outcome` and `crm offer add` call), never by hand-written SQL, so the demo stays
true as the rules change. Every date is relative to the day it is built for, so `crm today` on
that day always has something to say: a status check whose stated timeline has just passed, a
LinkedIn connect after an interview, a feedback request after a rejection, and a value offer
that matches a shared interest, an introduction waiting for consent, and an interview tomorrow
to prepare for.

The demo's people carry UIDs starting with DEMO_UID_PREFIX: that is how a database holding
only an earlier demo is told apart from one holding the user's own contacts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from crm.errors import CrmError
from crm.formats.card import Card, Typed
from crm.store.applications import record_interview, set_outcome
from crm.store.contacts import create_contact, tag_contact
from crm.store.models import Application, Contact, database
from crm.store.offers import add_offer
from crm.store.touchpoints import log_touch

DEMO_UID_PREFIX = "crm-demo-"


class DemoRefused(CrmError):
    """The database holds contacts that are not the demo's: the demo never mixes with real data."""


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    org: str
    title: str
    email: str
    interests: tuple[str, ...] = ()
    note: str = ""
    role: str = ""  # a role they have had all along (one set later would enter keep-warm that day)


PEOPLE = (
    Person("chiamaka", "Chiamaka Okafor", "Northwind Talent", "Senior Technical Recruiter",
           "chiamaka@northwind.example", ("climbing", "distributed systems")),
    Person("bjorn", "Björn Lindqvist", "Acme Robotics", "Staff Engineer", "bjorn.lindqvist@acme.example",
           ("rust", "chess")),
    Person("elodie", "Élodie Moreau", "Acme Robotics", "Engineering Manager", "elodie.moreau@acme.example",
           ("rust",), "Met at the RustConf hallway track, asked about the platform team."),
    Person("omar", "Omar Haddad", "Globex", "Site Reliability Engineer", "omar.haddad@mail.example",
           ("chess", "climbing", "distributed systems"), role="peer"),
    Person("priya", "Priya Raman", "Initech", "Talent Partner", "priya.raman@initech.example", ("running",)),
    Person("kenji", "Kenji Sato", "Initech", "Hiring Manager, Data Platform", "kenji.sato@initech.example",
           ("kubernetes",)),
    Person("maria", "Maria Santos", "Umbrella Labs", "Principal Engineer", "maria.santos@umbrella.example",
           ("distributed systems",)),
    Person("nadia", "Nadia Petrova", "Globex", "Engineering Manager, Reliability", "nadia.petrova@globex.example",
           ("climbing", "incident response")),
    Person("lena", "Lena Fischer", "Hooli", "Director of Engineering", "lena.fischer@hooli.example",
           ("rust", "mentoring"), role="mentor"),
)


@dataclass(frozen=True)
class DemoSummary:
    contacts: int
    applications: int
    touches: int
    offers: int
    on: date

    def as_json(self) -> dict:
        return {"on": self.on.isoformat(), "contacts": self.contacts, "applications": self.applications,
                "touches": self.touches, "offers": self.offers}


def existing_contacts() -> tuple[int, int]:
    """(contacts in the database, how many of them are the demo's)."""
    total = Contact.select().count()
    demo = Contact.select().where(Contact.uid.startswith(DEMO_UID_PREFIX)).count()
    return total, demo


def build_demo(on: date, *, now: str, rebuild: bool = False) -> DemoSummary:
    """Write the demo job search, dated relative to `on`, in one transaction.

    Refuses (DemoRefused) a database that holds contacts of its own; one that holds only an
    earlier demo is rebuilt when `rebuild` is true (its dates move to the new `on`)."""
    with database.atomic():
        total, demo = existing_contacts()
        if total and demo < total:
            raise DemoRefused(
                f"this database already holds {total} contact(s) of yours; the demo never mixes with them:"
                " run it into a new file, e.g. crm --db demo.db demo"
            )
        if total and not rebuild:
            raise DemoRefused("this database already holds the demo; `crm demo --force` rebuilds it for --on")
        if total:
            _remove_demo()
        return _write(on, now)


def _remove_demo() -> None:
    """Delete an earlier demo: its contacts, and the applications, organisations and offers they made."""
    conn = database.connection()
    for statement in (
        "DELETE FROM offer",
        "DELETE FROM application",
        "DELETE FROM contact",
        "DELETE FROM organisation WHERE id NOT IN (SELECT organisation_id FROM contact WHERE organisation_id IS NOT NULL)",
        "DELETE FROM interest WHERE id NOT IN (SELECT interest_id FROM contact_interest)",
    ):
        conn.execute(statement)


def _write(on: date, now: str) -> DemoSummary:
    def day(offset: int) -> date:
        return on + timedelta(days=offset)

    def at(offset: int, hour: int = 10, minute: int = 0) -> str:
        return datetime.combine(day(offset), time(hour, minute)).strftime("%Y-%m-%dT%H:%M")

    people: dict[str, Contact] = {}
    for person in PEOPLE:
        given, _, family = person.name.partition(" ")
        card = Card(display_name=person.name, given_name=given, family_name=family, org=person.org,
                    title=person.title, note=person.note, uid=DEMO_UID_PREFIX + person.key,
                    emails=[Typed(person.email, "work")], categories=list(person.interests), role=person.role)
        contact = create_contact(card, now)
        people[person.key] = contact
    p = people
    touches = 0

    def log(who: str, kind: str, when: str, **kwargs) -> None:
        nonlocal touches
        log_touch(p[who], kind, when, now=now, **kwargs)
        touches += 1

    # Lena, a former manager: keep-warm for years. Last spoke three months ago.
    log("lena", "message", at(-94, 9), via="email", note="Caught up after her team's launch")
    log("lena", "message", at(-93, 18), via="email", inbound=True, note="Said to keep her posted on the search")
    # Omar, a peer from the Globex meetup.
    tag_contact(p["omar"], ["distributed systems"], note="talked about Raft at the Globex meetup")

    # Initech, Data Platform Engineer: Priya recruits, Kenji interviews; a rejection yesterday.
    log("priya", "call", at(-24, 9, 30), via="phone", inbound=True, note="Data Platform Engineer at Initech")
    initech = record_interview([p["kenji"]], "Initech", "Data Platform Engineer", at(-18, 14), now=now,
                               reply_by=day(-8), recruiter=p["priya"])
    log("kenji", "thank-you", at(-18, 17, 40), via="email", note="Thanked him for the systems-design round")
    log("kenji", "connect", at(-17, 9), via="linkedin", note="Connected over Kubernetes operators")
    set_outcome(_application(initech.application_id), "rejected", day(-1),
                note="Went with a candidate with more Spark experience")
    log("priya", "message", at(-1, 16, 5), via="email", inbound=True, note="Let you know it is a no, kindly")

    # Acme Robotics, Platform Engineer: Chiamaka (agency) runs it, Björn and Élodie interviewed you
    # eleven days ago and said they would decide within a week; nothing since.
    log("chiamaka", "call", at(-16, 9, 30), via="phone", inbound=True,
        note="Platform Engineer at Acme Robotics; intro call booked")
    record_interview([p["bjorn"], p["elodie"]], "Acme Robotics", "Platform Engineer", at(-11, 10), now=now,
                     reply_by=day(-4), recruiter=p["chiamaka"])
    log("bjorn", "thank-you", at(-11, 18, 10), via="email", note="Thanked him for the Rust deep-dive")
    log("elodie", "thank-you", at(-11, 18, 20), via="email", note="Followed up on the platform roadmap question")
    log("elodie", "connect", at(-10, 8, 45), via="linkedin", note="Connected over the RustConf hallway track")
    log("chiamaka", "thank-you", at(-11, 18, 30), via="email", note="Thanked her for setting up the day")

    # Globex, Site Reliability Engineer: Omar referred you; the first interview is tomorrow at 14:00.
    log("omar", "message", at(-6, 19), via="email", inbound=True, note="Referred you for the SRE opening at Globex")
    log("omar", "thank-you", at(-6, 20), via="email", note="Thanked him for the referral")
    record_interview([p["nadia"]], "Globex", "Site Reliability Engineer", at(1, 14), now=now)

    # Something to give: an article that matches Lena's (and Björn's) interest in Rust, and an
    # introduction Omar would value: Maria works on what he talked about at the meetup.
    add_offer("article", "Rust in production: three years of a robotics control plane", on=day(-3), now=now,
              url="https://blog.example/rust-control-plane", interests=["rust"])
    add_offer("introduction", "Meet Maria Santos (distributed systems at Umbrella Labs)", on=day(-2), now=now,
              for_contact=p["omar"], introduce=p["maria"], interests=["distributed systems"])
    return DemoSummary(contacts=len(people), applications=3, touches=touches, offers=2, on=on)


def _application(application_id: int) -> Application:
    return Application.get_by_id(application_id)
