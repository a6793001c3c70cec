"""The cadence engine's values: what goes in (a `Snapshot`) and what comes out (`Suggestion`s).

Pure. A `Snapshot` (contacts with a summary of their touches, applications with their rounds,
offers, and the single touches of the few people on open applications) and a date go in;
every suggestion due that day comes out, ranked, each with one plain sentence saying why. No
database, no clock, no click: `crm.cadence.snapshot` loads the input, the CLI renders the output. The rules, and the why
behind them, are in docs/cadence.md; every number is in `crm.cadence.settings`; the rules themselves
are in `crm.cadence.rules`.

"As of" a date: touches, rounds, outcomes, offers and contacts dated after it do not exist yet.
The touch summaries are computed for `Snapshot.as_of` (by SQL, or by `summarise` here), so the
engine only answers for days on or after it; everything else it filters by the day asked, which
is what lets `upcoming` replay the coming days from one snapshot.
"""
from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Iterable

from crm.cadence import settings
from crm.values import value

if TYPE_CHECKING:  # the shapes are for the type checker: 30 TypedDicts cost `crm today` ~5 ms to build
    from crm import shapes

ONE_DAY = timedelta(days=1)
ACTION_RANK: dict[str, int] = {action: rank for rank, action in enumerate(settings.ACTIONS)}


# ---- the input ------------------------------------------------------------------------------


@value
class Touch:
    """One touchpoint, reduced to what the rules read. `on` is its date (time of day dropped)."""

    contact_id: int
    on: date
    kind: str
    direction: str  # "out": you reached out; "in": they reached you
    offer_id: int | None = None
    application_id: int | None = None
    declined: bool = False  # an inbound "no, thank you" (`crm log B message --inbound --declined`)


@value
class TouchSummary:
    """What the rules need to know about one contact's whole log, as of a date.

    Touches of a kind in `settings.NOT_A_TOUCH_KINDS` (notes) count for nothing here.
    `first_of_last_keep_warm_on` is the first of the last `settings.UNANSWERED_KEEP_WARM`
    outbound touches of a kind in `settings.KEEP_WARM_KINDS` (None while there are fewer): when
    nothing came in on or after it, those touches all went unanswered (rule 6).
    """

    last_touch_on: date | None = None
    last_outbound_on: date | None = None
    last_inbound_on: date | None = None
    first_of_last_keep_warm_on: date | None = None
    last_congratulate_on: date | None = None  # last outbound `congratulate` touch
    has_connect: bool = False  # any `connect` touch, either direction
    offers_given: frozenset[int] = frozenset()  # offers on any touch with this contact

    @property
    def keep_warm_unanswered(self) -> bool:
        """The last UNANSWERED_KEEP_WARM keep-warm touches all went unanswered."""
        first = self.first_of_last_keep_warm_on
        return first is not None and (self.last_inbound_on is None or self.last_inbound_on < first)


NO_TOUCHES = TouchSummary()


@value
class Contact:
    """A person the rules may suggest a touch for, with the summary of their log (`touches`)."""

    id: int
    name: str
    org: str | None = None
    role: str = "other"
    created_on: date = date.min
    cadence_days: int | None = None
    snoozed_until: date | None = None  # nothing is suggested before this day
    paused: bool = False
    interests: frozenset[str] = frozenset()
    touches: TouchSummary = NO_TOUCHES
    keep_warm_since: date | None = None  # the day it last entered keep-warm (role set later, resumed)


@value
class Round:
    """One interview round of an application, on a day, with its interviewers."""

    id: int
    number: int
    on: date
    reply_by: date | None = None
    interviewer_ids: tuple[int, ...] = ()  # in the order they were added: the first is "first"
    at: str | None = None  # the time of day, "HH:MM", when the round was recorded with one


@value
class Timeline:
    """A timeline they stated: on `stated_on`, "we will reply by `reply_by`" (rule 2)."""

    id: int
    stated_on: date
    reply_by: date


@value
class Application:
    """A job application: its recruiter, its rounds and timelines, and its outcome once known."""

    id: int
    org: str
    position: str
    recruiter_id: int | None = None
    reply_by: date | None = None
    outcome: str | None = None  # offer | hired | rejected | withdrawn | closed
    outcome_on: date | None = None
    rounds: tuple[Round, ...] = ()
    timelines: tuple[Timeline, ...] = ()  # every timeline stated, by (stated_on, id)


@value
class Offer:
    """Something of value you can give (`crm offer`): for one person, or for whoever it fits."""

    id: int
    kind: str  # article | introduction | congratulation | event | resource
    title: str
    url: str = ""
    on: date = date.min
    for_contact_id: int | None = None  # None: a general offer, for whoever it fits
    introduce_id: int | None = None
    interests: frozenset[str] = frozenset()


@value
class Snapshot:
    """Everything the engine reads.

    `contacts`: every contact that could get a suggestion, each with its TouchSummary as of
    `as_of`. `touches`: the single touches the status-check rule reads. `from_log` says
    exactly what is kept.
    """

    as_of: date
    contacts: tuple[Contact, ...] = ()
    applications: tuple[Application, ...] = ()
    offers: tuple[Offer, ...] = ()
    touches: tuple[Touch, ...] = ()
    # The touches the introduction rule reads: of the two people of each introduction offer
    # (`--for A --introduce B`), the inbound ones and the outbound intro-consent and
    # introduction touches.
    intro_touches: tuple[Touch, ...] = ()
    # Rows the loader could not read (a hand-edited date, a cadence out of range): reported, skipped.
    skipped: tuple[str, ...] = ()


# ---- the output -----------------------------------------------------------------------------


@value
class Suggestion:
    """One touch due: for whom, what, since when, why, and with which offer or application."""

    contact: Contact
    action: str  # one of settings.ACTIONS
    due: date
    overdue_days: int  # days between `due` and the day asked; 0 when due that day
    reason: str
    offer: Offer | None = None
    application: Application | None = None
    # Your employer (an application you were hired by) when it is also the contact's
    # organisation: they are a colleague now, so nothing says "at <org>" as if it were theirs.
    employer: str | None = None
    partner: Contact | None = None  # introductions: the other person (A for B's consent, each for the other)

    @property
    def key(self) -> tuple[int, str, int | None, int | None]:
        """What makes two suggestions "the same one" on different days (calendar UIDs)."""
        return (
            self.contact.id,
            self.action,
            self.application.id if self.application else None,
            self.offer.id if self.offer else None,
        )

    def rank(self) -> tuple:
        """Rule 8: action, most overdue first, then name, then id; the rest only for determinism."""
        return (
            ACTION_RANK[self.action],
            -self.overdue_days,
            self.contact.name.casefold(),
            self.contact.name,
            self.contact.id,
            self.application.id if self.application else 0,
            self.offer.id if self.offer else 0,
        )

    def to_json(self) -> shapes.Suggestion:
        """The documented, stable JSON shape of `crm today --json` (docs/cadence.md)."""
        offer = self.offer
        application = self.application
        return {
            "contact": {"id": self.contact.id, "name": self.contact.name, "org": self.contact.org},
            "action": self.action,
            "due": self.due.isoformat(),
            "overdue_days": self.overdue_days,
            "reason": self.reason,
            "offer": None
            if offer is None
            else {"id": offer.id, "kind": offer.kind, "title": offer.title, "url": offer.url},
            "application": None
            if application is None
            else {"id": application.id, "org": application.org, "position": application.position},
        }


# ---- the engine -----------------------------------------------------------------------------


def summarise(touches: Iterable[Touch], as_of: date) -> TouchSummary:
    """One contact's TouchSummary from its touches, as of a date: the plain statement of what
    `crm.cadence.snapshot` computes in SQL."""
    log = sorted(
        (t for t in touches if t.on <= as_of and t.kind not in settings.NOT_A_TOUCH_KINDS),
        key=lambda t: t.on,
    )
    if not log:
        return NO_TOUCHES
    outbound = [t.on for t in log if t.direction == "out"]
    inbound = [t.on for t in log if t.direction == "in"]
    keep_warm = [t.on for t in log if t.direction == "out" and t.kind in settings.KEEP_WARM_KINDS]
    congratulations = [t.on for t in log if t.direction == "out" and t.kind == "congratulate"]
    streak = settings.UNANSWERED_KEEP_WARM
    return TouchSummary(
        last_touch_on=log[-1].on,
        last_outbound_on=outbound[-1] if outbound else None,
        last_inbound_on=inbound[-1] if inbound else None,
        first_of_last_keep_warm_on=keep_warm[-streak] if len(keep_warm) >= streak else None,
        last_congratulate_on=congratulations[-1] if congratulations else None,
        has_connect=any(t.kind == "connect" for t in log),
        offers_given=frozenset(t.offer_id for t in log if t.offer_id is not None),
    )


def from_log(
    as_of: date,
    contacts: Iterable[Contact],
    applications: Iterable[Application] = (),
    offers: Iterable[Offer] = (),
    touches: Iterable[Touch] = (),
    horizon: date | None = None,
) -> Snapshot:
    """The Snapshot `crm.cadence.snapshot.load_snapshot(as_of, horizon)` loads, built from a whole log in
    memory the plain way (tests/test_snapshot.py holds the two equal). Tests replay histories
    with it. What is kept, and why nothing else is needed:

    - contacts added by `horizon` that could get a suggestion by then: on an application
      (recruiter, or interviewer in any round), with an offer made for them, or in an
      introduction; or on keep-warm (a role other than `other`, or an own cadence) and either
      not touched yet as of `as_of` or last touched at least their interval before `horizon`
      (keep-warm is due no earlier than the last touch plus the interval: doubling, entering
      keep-warm and the never-needy rule only push it later, and no other rule reads them);
      each with its TouchSummary as of `as_of`, in which `has_connect` is
      only filled in for people on an application (rule 9 reads no one else's) and
      `last_congratulate_on` only for contacts with a congratulation offered for them (rule 4);
    - rounds dated by the day after `horizon` (`settings.PREPARE_DAYS_BEFORE`: a round is booked
      before it happens, and rule 0 reads tomorrow's rounds), offers dated by `horizon`;
      applications, whatever their date;
    - the touches rule 2 reads, as of `as_of` (`status_check_since`): the inbound touches and
      status checks dated after the latest round held by `as_of` of an application still open
      then, linked to it, or unlinked and with someone on it by then;
    - timelines stated by `horizon`, on their application, by (stated_on, id);
    - the touches rule 11 reads, as of `as_of` (`intro_touches`): of the two people of each
      introduction offer, the inbound ones and the outbound intro-consent and introduction ones;
      those two people are kept whatever their role.
    """
    horizon = max(horizon or as_of, as_of)
    rounds_until = horizon + timedelta(days=settings.PREPARE_DAYS_BEFORE)
    applications = tuple(sorted(applications, key=lambda a: a.id))
    offers = tuple(sorted((o for o in offers if o.on <= horizon), key=lambda o: o.id))
    on_application = {a.recruiter_id for a in applications} | {
        cid for a in applications for r in a.rounds for cid in r.interviewer_ids
    }
    congratulated = {o.for_contact_id for o in offers if o.kind == "congratulation"}
    introduced = introduction_people(offers)
    involved = on_application | {o.for_contact_id for o in offers} | introduced
    applications = tuple(
        replace(
            a,
            rounds=tuple(sorted((r for r in a.rounds if r.on <= rounds_until), key=_round_order)),
            timelines=tuple(sorted((t for t in a.timelines if t.stated_on <= horizon), key=_timeline_order)),
        )
        for a in applications
    )
    log = [t for t in touches if t.on <= as_of and t.kind not in settings.NOT_A_TOUCH_KINDS]
    by_contact: dict[int, list[Touch]] = {}
    for touch in log:
        by_contact.setdefault(touch.contact_id, []).append(touch)

    def summary(contact: Contact) -> TouchSummary:
        full = summarise(by_contact.get(contact.id, ()), as_of)
        return replace(
            full,
            has_connect=full.has_connect and contact.id in on_application,
            last_congratulate_on=full.last_congratulate_on if contact.id in congratulated else None,
        )

    since_for_contact, since_for_application = status_check_since(applications, as_of)

    def may_come_due(contact: Contact) -> bool:
        if contact.id in involved:
            return True
        interval = keep_warm_interval(contact)
        if interval is None:
            return False
        last = contact.touches.last_touch_on
        return last is None or (horizon - last).days >= interval

    return Snapshot(
        as_of=as_of,
        contacts=tuple(
            contact
            for contact in (replace(c, touches=summary(c)) for c in sorted(contacts, key=lambda c: c.id))
            if contact.created_on <= horizon and may_come_due(contact)
        ),
        applications=applications,
        offers=offers,
        touches=tuple(sorted(
            (
                t for t in log
                if (t.direction == "in" or t.kind == "status-check") and (
                    (t.application_id is None and t.on > since_for_contact.get(t.contact_id, as_of))
                    or t.on > since_for_application.get(t.application_id, as_of))
            ),
            key=touch_order,
        )),
        intro_touches=tuple(sorted(
            (
                t for t in log
                if t.contact_id in introduced and (t.direction == "in" or t.kind in INTRO_KINDS)
            ),
            key=touch_order,
        )),
    )


INTRO_KINDS = frozenset({"intro-consent", "introduction"})


def is_introduction(offer: Offer) -> bool:
    """An introduction of two people you know (`--for A --introduce B`): rule 11, not a value offer."""
    return offer.kind == "introduction" and offer.for_contact_id is not None and offer.introduce_id is not None


def introduction_people(offers: Iterable[Offer]) -> set[int]:
    people: set[int] = set()
    for offer in offers:
        if is_introduction(offer):
            people.update((offer.for_contact_id, offer.introduce_id))
    return people


def keep_warm_interval(contact: Contact) -> int | None:
    """The contact's own cadence, else its role's; None when it is not on keep-warm."""
    return interval_and_source(contact.role, contact.cadence_days)[0]


def interval_and_source(role: str, cadence_days: int | None) -> tuple[int | None, str | None]:
    """(days between keep-warm touches, where that comes from: "own", "role" or None)."""
    if cadence_days is not None:
        return cadence_days, "own"
    if role in settings.KEEP_WARM_DAYS:
        return settings.KEEP_WARM_DAYS[role], "role"
    return None, None


def is_open(application: Application, as_of: date) -> bool:
    """No outcome known on `as_of` (an outcome without a date is known whenever it is asked)."""
    return application.outcome is None or (application.outcome_on is not None and application.outcome_on > as_of)


def status_check_since(applications: Iterable[Application], as_of: date) -> tuple[dict[int, date], dict[int, date]]:
    """What of the log rule 2 can read on `as_of` and after: of an application open on `as_of`,
    only touches after its latest round (replies after it, status checks after the last reply
    or it), linked to it or unlinked and with someone on it. Its latest round only moves later
    as the days go on, and no touch dated after `as_of` is in the snapshot; so an application
    with no round yet needs none, and for the others the touches dated after the latest round
    held by `as_of` are all it can read. Returns that round's day per contact on such an
    application (the recruiter, the interviewers by then; the earliest when on several) and
    per application."""
    for_contact: dict[int, date] = {}
    for_application: dict[int, date] = {}
    for application in applications:
        if not is_open(application, as_of):
            continue
        held = [r for r in application.rounds if r.on <= as_of]
        if not held:
            continue
        latest = max(r.on for r in held)
        for_application[application.id] = latest
        people = {cid for r in held for cid in r.interviewer_ids}
        if application.recruiter_id is not None:
            people.add(application.recruiter_id)
        for cid in people:
            if cid not in for_contact or latest < for_contact[cid]:
                for_contact[cid] = latest
    return for_contact, for_application


def people_on(application: Application) -> set[int]:
    """The recruiter and everyone who interviewed you in one of its rounds."""
    people = {cid for r in application.rounds for cid in r.interviewer_ids}
    if application.recruiter_id is not None:
        people.add(application.recruiter_id)
    return people


def _round_order(round_: Round) -> tuple:
    return (round_.on, round_.number, round_.id)


def _timeline_order(timeline: Timeline) -> tuple:
    return (timeline.stated_on, timeline.id)


def touch_order(touch: Touch) -> tuple:
    return (touch.contact_id, touch.on, touch.kind, touch.direction, touch.offer_id or 0, touch.application_id or 0,
            touch.declined)
