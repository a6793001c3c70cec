"""The cadence rules, one generator each, and the sentences that explain them.

Each rule yields the suggestions it has due on `World.today`; `crm.cadence.engine.suggest` keeps the
best one per contact and ranks them. The rule numbers match docs/cadence.md. Pure, like
`crm.cadence.engine`: nothing here reads a clock or a database.
"""
from __future__ import annotations

import zlib
from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta
from operator import attrgetter
from typing import Iterator

from crm.cadence import settings
from crm.dates import day_and_month
from crm.text import and_list
from crm.cadence.model import (
    ACTION_RANK,
    ONE_DAY,
    Application,
    Contact,
    Offer,
    Round,
    Snapshot,
    Suggestion,
    Timeline,
    Touch,
    interval_and_source,  # noqa: F401  (read from here by crm show)
    is_introduction,
    is_open,
    keep_warm_interval,
)

_NEEDY_GAP = timedelta(days=settings.MIN_DAYS_BETWEEN_OUTBOUND)
_UNKNOWN = object()


class World:
    """The snapshot as it stands on `today`: later rounds, outcomes, offers, touches and contacts
    are dropped, and the look-ups the rules share are built once."""

    def __init__(self, snapshot: Snapshot, today: date, plan: "Plan | None" = None):
        self.today = today
        # What does not depend on the day is worked out once: `upcoming` shares one plan over its days.
        self.plan = plan if plan is not None else Plan(snapshot)
        self.contacts: dict[int, Contact] = (
            self.plan.contacts if self.plan.last_created_on <= today  # all of them: the plan's (never changed)
            else {c.id: c for c in snapshot.contacts if c.created_on <= today})
        # (application, its rounds held so far, oldest first, and whether its outcome is known yet)
        self.applications: list[tuple[Application, list[Round], bool]] = []
        for application in snapshot.applications:
            rounds = sorted((r for r in application.rounds if r.on <= today), key=lambda r: (r.on, r.number, r.id))
            self.applications.append((application, rounds, not is_open(application, today)))
        # Rule 12: a lapsed offer is as good as gone.
        self.offers: list[Offer] = [o for o in snapshot.offers if o.on <= today and not lapsed(o, today)]
        self.touches_by_contact: dict[int, list[Touch]] = defaultdict(list)
        self.touches_by_application: dict[int, list[Touch]] = defaultdict(list)
        for touch in snapshot.touches:
            if touch.on <= today and touch.kind not in settings.NOT_A_TOUCH_KINDS:
                self.touches_by_contact[touch.contact_id].append(touch)
                if touch.application_id is not None:
                    self.touches_by_application[touch.application_id].append(touch)
        self._offers_for_contact: dict[int, list[Offer]] | None = None
        self._general_today: set[int] = set()  # the ids of today's general value offers
        self._top_general: dict[frozenset[str], tuple[Offer, frozenset[str]] | None] = {}  # by interests
        self.intro_touches: dict[int, list[Touch]] = defaultdict(list)
        for touch in snapshot.intro_touches:
            if touch.on <= today and touch.kind not in settings.NOT_A_TOUCH_KINDS:
                self.intro_touches[touch.contact_id].append(touch)
        # The organisations you were hired by (as of today): their people are your colleagues.
        self.employers: dict[str, str] = {
            application.org.casefold(): application.org
            for application, _rounds, decided in self.applications
            if decided and application.outcome == "hired"
        }

    def active(self, contact_id: int | None) -> Contact | None:
        """The contact, if it exists on `today` and is neither paused nor snoozed (rule 7)."""
        contact = self.contacts.get(contact_id) if contact_id is not None else None
        if contact is None or contact.paused:
            return None
        if contact.snoozed_until is not None and self.today < contact.snoozed_until:
            return None
        return contact

    def make(self, contact: Contact, action: str, due: date, reason: str,
             offer: Offer | None = None, application: Application | None = None,
             employer: str | None = None, partner: Contact | None = None) -> Suggestion:
        return Suggestion(contact, action, due, (self.today - due).days, reason, offer, application, employer,
                          partner)

    def employer_of(self, contact: Contact) -> str | None:
        """Your employer, when the contact works there too (after `crm outcome ORG hired`)."""
        return self.employers.get(contact.org.casefold()) if contact.org and self.employers else None

    def open_applications(self) -> list[tuple[Application, list[Round]]]:
        """Applications with no outcome known today."""
        return [(a, rounds) for a, rounds, decided in self.applications if not decided]

    def contact_for(self, application: Application, rounds: list[Round]) -> int | None:
        """Whom to write about an application: its recruiter, else the first interviewer of the
        latest round (rule 2's choice, shared by the offer stage)."""
        if application.recruiter_id is not None and application.recruiter_id in self.contacts:
            return application.recruiter_id
        if not rounds:
            return None
        return next((cid for cid in rounds[-1].interviewer_ids if cid in self.contacts), None)

    # ---- offers ----

    def value_offer_for(self, contact: Contact) -> tuple[Offer, frozenset[str]] | None:
        """The offer that fits `contact` best (rule 5), with the interests they share, or None.

        Fits: an offer made for this contact, else a general offer sharing an interest with
        them; never one already given to them, never an introduction of themselves. Best: one
        made for them, then most shared interests, then newest, then highest id (entered last).
        """
        if self._offers_for_contact is None:
            self._index_offers()
        given = contact.touches.offers_given
        best: tuple | None = None
        for offer in self._offers_for_contact.get(contact.id, ()):
            if offer.id not in given:
                key = (1, len(offer.interests & contact.interests), offer.on, offer.id)
                if best is None or key > best[0]:
                    best = (key, offer)
        if best is not None:
            offer = best[1]
            return offer, offer.interests & contact.interests
        interests = contact.interests
        if not interests:
            return None  # a general offer fits by a shared interest
        # The best general offer is the first of those ranked for the interests (many contacts
        # share a set of interests) that is neither given nor an introduction of them: mostly
        # the first of today's, worked out once for each set of interests.
        top = self._top_general.get(interests, _UNKNOWN)
        if top is _UNKNOWN:
            offer = next((offer for offer in self.plan.ranked_general(interests) if offer.id in self._general_today),
                         None)
            top = self._top_general[interests] = None if offer is None else (offer, offer.interests & interests)
        if top is None or (top[0].id not in given and top[0].introduce_id != contact.id):
            return top
        today = self._general_today
        offer = next((offer for offer in self.plan.ranked_general(interests)
                      if offer.id in today and offer.id not in given and offer.introduce_id != contact.id), None)
        return None if offer is None else (offer, offer.interests & interests)

    def value_offers(self) -> frozenset[int]:
        """The ids of the offers `value_offer_for` chooses from today: another day with the same
        ones gives every contact the same offer."""
        if self._offers_for_contact is None:
            self._index_offers()
        return frozenset(self._general_today).union(
            offer.id for offers in self._offers_for_contact.values() for offer in offers)

    def _index_offers(self) -> None:
        self._offers_for_contact = defaultdict(list)
        self._general_today = set()
        for offer in self.offers:
            if offer.kind not in settings.VALUE_OFFER_KINDS or is_introduction(offer):
                continue  # an introduction of two people waits for consent (rule 11)
            if offer.for_contact_id is not None:
                self._offers_for_contact[offer.for_contact_id].append(offer)
            else:
                self._general_today.add(offer.id)


def not_needy(contact: Contact, action: str, due: date) -> date:
    """Rule 6: a suggestion that is not an answer to an event waits until the last outbound
    touch is MIN_DAYS_BETWEEN_OUTBOUND days old; then rule 13 moves it off a weekend. Returns
    the day it may be suggested."""
    last_outbound_on = contact.touches.last_outbound_on
    if action not in settings.EVENT_ACTIONS and last_outbound_on is not None:
        due = max(due, last_outbound_on + _NEEDY_GAP)
    return working_day(action, due)


def working_day(action: str, due: date) -> date:
    """Rule 13: a status check, check-in, value offer or consent question due on a day off
    (not in WORKING_DAYS) is suggested on the next working day."""
    working = settings.WORKING_DAYS
    if action not in settings.WORKING_DAY_ACTIONS or not working:
        return due
    while due.weekday() not in working:
        due += ONE_DAY
    return due


def lapsed(offer: Offer, today: date) -> bool:
    """Rule 12: a congratulation or an article goes stale OFFER_LAPSE_DAYS after its date."""
    days = settings.OFFER_LAPSE_DAYS.get(offer.kind)
    return days is not None and today >= offer.on + timedelta(days=days)


def candidates(world: World) -> Iterator["Suggestion | KeepWarmDue"]:
    yield from event_candidates(world)
    yield from keep_warm(world)


def event_candidates(world: World) -> Iterator[Suggestion]:
    """Every rule's candidates but keep-warm's (rule 5)."""
    yield from prepare(world)
    yield from thank_you(world)
    yield from feedback_request(world)
    yield from offer_stage(world)
    yield from status_check(world)
    yield from connect(world)
    yield from introductions(world)
    yield from congratulate(world)


# ---- rule 0: prepare ---------------------------------------------------------------------


def prepare(world: World) -> Iterator[Suggestion]:
    """The day before a round (PREPARE_DAYS_BEFORE), one `prepare` per round, on its first
    interviewer who is neither paused nor snoozed: read the briefing (`crm brief APP`). It is
    due that day only: on the day itself the thank-you takes over."""
    tomorrow = world.today + timedelta(days=settings.PREPARE_DAYS_BEFORE)
    for application, _rounds, decided in world.applications:
        if decided:
            continue
        for round_ in application.rounds:
            if round_.on != tomorrow:
                continue
            people = [world.active(cid) for cid in round_.interviewer_ids]
            people = [p for p in people if p is not None]
            if not people:
                continue
            names = and_list(world.contacts[cid].name for cid in round_.interviewer_ids if cid in world.contacts)
            at = f" at {round_.at}" if round_.at else ""
            when = "tomorrow" if settings.PREPARE_DAYS_BEFORE == 1 else day(round_.on, world.today)
            reason = (
                f"Interview for {application.position} at {application.org} {when}{at} with {names};"
                f" read your briefing: crm brief {application.id}."
            )
            yield world.make(people[0], "prepare", world.today, reason, application=application)


# ---- rule 1: thank-you -------------------------------------------------------------------


def thank_you(world: World) -> Iterator[Suggestion]:
    for application, rounds, _decided in world.applications:
        for round_ in rounds:
            for contact_id in round_.interviewer_ids:
                contact = world.active(contact_id)
                if contact is None:
                    continue
                last_outbound_on = contact.touches.last_outbound_on
                if last_outbound_on is not None and last_outbound_on >= round_.on:
                    continue
                reason = f"Interviewed you at {application.org} on {day(round_.on, world.today)}; no thank-you logged yet."
                yield world.make(contact, "thank-you", round_.on, reason, application=application)


# ---- rule 3: feedback-request ------------------------------------------------------------


def feedback_request(world: World) -> Iterator[Suggestion]:
    for application, rounds, decided in world.applications:
        if not decided or application.outcome != "rejected" or application.outcome_on is None:
            continue
        rejected_on = application.outcome_on
        if application.recruiter_id is not None and application.recruiter_id in world.contacts:
            people = [application.recruiter_id]
        else:
            people = list(dict.fromkeys(cid for r in rounds for cid in r.interviewer_ids))
        for contact_id in people:
            contact = world.active(contact_id)
            if contact is None:
                continue
            last_outbound_on = contact.touches.last_outbound_on
            if last_outbound_on is not None and last_outbound_on >= rejected_on:
                continue
            reason = (
                f"{application.org} turned you down for {application.position} on {day(rejected_on, world.today)};"
                " thank them and ask what would have made the difference."
            )
            yield world.make(contact, "feedback-request", rejected_on, reason, application=application)


# ---- rule 2: status-check ----------------------------------------------------------------


def status_check(world: World) -> Iterator[Suggestion]:
    today = world.today
    if world.employers:
        return  # hired: the other processes get a withdrawal note, not a status check (rule 14)
    for application, rounds, decided in world.applications:
        if decided or not rounds:
            continue
        latest = rounds[-1]
        target = world.active(world.contact_for(application, rounds))
        if target is None:
            continue
        history = application_touches(world, application, rounds)
        # An answer: anything inbound after the latest interview. A check is unanswered when
        # nothing came in on or after its day.
        replies = [t.on for t in history if t.direction == "in" and t.on > latest.on]
        last_reply_on = max(replies) if replies else None
        since = last_reply_on or latest.on
        checks = sorted(t.on for t in history if t.direction == "out" and t.kind == "status-check" and t.on > since)
        org, position = application.org, application.position
        if checks:
            if len(checks) >= settings.STATUS_CHECK_MAX_UNANSWERED:
                continue  # rule 2's cap: they return to keep-warm
            waits = settings.STATUS_CHECK_FOLLOW_UP_DAYS
            due = checks[-1] + timedelta(days=waits[min(len(checks), len(waits)) - 1])
            last = len(checks) + 1 == settings.STATUS_CHECK_MAX_UNANSWERED
            reason = (
                f"Your status check on {day(checks[-1], today)} about {position} at {org} went unanswered;"
                f" {'follow up one last time' if last else 'follow up'}."
            )
        elif last_reply_on is not None:
            due = last_reply_on + timedelta(days=settings.STATUS_CHECK_AFTER_REPLY_DAYS)
            reason = (
                f"Last heard about {position} at {org} on {day(last_reply_on, today)};"
                " ask where things stand."
            )
        else:
            due = latest.on + timedelta(days=settings.STATUS_CHECK_NO_TIMELINE_DAYS)
            reason = (
                f"Interviewed for {position} at {org} on {day(latest.on, today)} with no timeline given;"
                " ask where things stand."
            )
        # The latest timeline they stated governs: never a status check before it has passed.
        # With nothing heard since the round, it replaces the 10 days; otherwise it only delays.
        timeline = latest_timeline(application, rounds, today)
        if timeline is not None:
            after = timeline.reply_by + ONE_DAY
            if after > due or not (checks or last_reply_on is not None):
                stated = f" on {day(timeline.stated_on, today)}" if timeline.stated_on > latest.on else ""
                reason = (
                    f"{org} said{stated} they would reply about {position} by {day(timeline.reply_by, today)};"
                    " nothing since: ask where things stand."
                )
                due = after
        due = not_needy(target, "status-check", due)
        if due <= today:
            yield world.make(target, "status-check", due, reason, application=application)


def latest_timeline(application: Application, rounds: list[Round], today: date) -> Timeline | None:
    """The latest timeline they stated by `today`: the newest by the day it was stated, from the
    application's timelines (`crm log ... --reply-by`, `crm interview --reply-by`) and its rounds'
    reply-by dates (stated on the round's day); with neither, the application's own reply-by if
    it is not older than the latest round (applications recorded before timelines were kept)."""
    stated = [(t.stated_on, 1, t.id, t) for t in application.timelines if t.stated_on <= today]
    stated += [(r.on, 0, r.id, Timeline(0, r.on, r.reply_by)) for r in rounds if r.reply_by is not None]
    if stated:
        return max(stated, key=lambda item: item[:3])[3]
    if rounds and application.reply_by is not None and application.reply_by >= rounds[-1].on:
        return Timeline(0, rounds[-1].on, application.reply_by)
    return None


def application_touches(world: World, application: Application, rounds: list[Round]) -> list[Touch]:
    """The touches that concern an application: linked to it, or unlinked and with someone on it."""
    people = {cid for r in rounds for cid in r.interviewer_ids}
    if application.recruiter_id is not None:
        people.add(application.recruiter_id)
    history = list(world.touches_by_application.get(application.id, ()))
    for contact_id in people:
        history.extend(t for t in world.touches_by_contact.get(contact_id, ()) if t.application_id is None)
    return history


# ---- rule 9: connect ---------------------------------------------------------------------


def connect(world: World) -> Iterator[Suggestion]:
    # The first round each person was part of: as an interviewer, or as the recruiter.
    first: dict[int, tuple[date, int, Application, bool]] = {}
    for application, rounds, _decided in world.applications:
        for round_ in rounds:
            people = [(cid, True) for cid in round_.interviewer_ids]
            if application.recruiter_id is not None:
                people.append((application.recruiter_id, False))
            for contact_id, interviewed in people:
                key = (round_.on, round_.id, application, interviewed)
                current = first.get(contact_id)
                if current is None or key[:2] < current[:2]:
                    first[contact_id] = key
    window = timedelta(days=settings.CONNECT_WINDOW_DAYS)
    for contact_id, (met_on, _round_id, application, interviewed) in first.items():
        due = met_on + ONE_DAY
        if not due <= world.today < due + window:
            continue
        contact = world.active(contact_id)
        if contact is None or contact.touches.has_connect:
            continue
        met = (
            f"Interviewed you at {application.org} on {day(met_on, world.today)}"
            if interviewed
            else f"Recruiter for your {application.position} application at {application.org}"
        )
        fit = world.value_offer_for(contact)
        offer = None
        if fit is not None:
            offer, shared = fit
            hook = f"connect and share \u201c{offer.title}\u201d" + (
                f" (you share an interest in {listing(shared)})." if shared else "."
            )
        elif contact.interests:
            hook = f"connect over your shared interest in {listing(contact.interests)}."
        else:
            hook = "connect while the interview is fresh."
        yield world.make(contact, "connect", due, f"{met}; {hook}", offer=offer, application=application)


# ---- rule 4: congratulate ----------------------------------------------------------------


def congratulate(world: World) -> Iterator[Suggestion]:
    for offer in world.offers:
        if offer.kind != "congratulation" or offer.for_contact_id is None:
            continue
        contact = world.active(offer.for_contact_id)
        if contact is None:
            continue
        touches = contact.touches
        if offer.id in touches.offers_given or (
            touches.last_congratulate_on is not None and touches.last_congratulate_on >= offer.on
        ):
            continue
        due = not_needy(contact, "congratulate", offer.on)
        if due <= world.today:
            reason = f"{offer.title} ({day(offer.on, world.today)}); send your congratulations."
            yield world.make(contact, "congratulate", due, reason, offer=offer)


# ---- rule 5 (with 6 and 10): keep-warm ---------------------------------------------------


def first_offset(contact_id: int, interval: int) -> int:
    """Rule 10: a stable spread of [0, interval) days, so an import does not fall due at once."""
    return zlib.crc32(b"crm-keep-warm:%d" % contact_id) % interval


def keep_warm_due(contact: Contact, today: date) -> date | None:
    """The day the contact's keep-warm check-in comes due as seen on `today` (rules 5, 6, 10
    and 13), or None when it is not on keep-warm. It depends on `today` only through whether a
    snooze is over (`entered_keep_warm`), which `Plan` relies on."""
    return _keep_warm_due(contact, contact.snoozed_until is not None and contact.snoozed_until <= today)


def _keep_warm_due(contact: Contact, snooze_over: bool, interval: int | None = None) -> date | None:
    if interval is None:
        interval = keep_warm_interval(contact)
        if interval is None:
            return None
    touches = contact.touches
    due = None
    if touches.last_touch_on is not None:
        due = touches.last_touch_on + _DAYS[
            interval * settings.UNANSWERED_INTERVAL_FACTOR if touches.keep_warm_unanswered else interval]
    # Rule 10: entering keep-warm (added, a role set later, resumed, a snooze ended) with a
    # due date before that day spreads it over the first interval from that day: no wall.
    entered = _entered(contact, snooze_over)
    if due is None or due < entered:
        due = entered + _DAYS[first_offset(contact.id, interval)]
    return not_needy(contact, "check-in", due)


class _Days(dict):
    """`_DAYS[n]`: timedelta(days=n), made once (thousands of contacts share a few intervals)."""

    def __missing__(self, days: int) -> timedelta:
        step = self[days] = timedelta(days=days)
        return step


_DAYS = _Days()
_CREATED_ON = attrgetter("created_on")


class Plan:
    """What a snapshot's days share, worked out once: each keep-warm contact's due day (before
    its snooze ends and after, the only way the day changes it), earliest first, so a day reads
    only the contacts due by then; the contacts by id; and the general value offers ranked per
    set of interests (the ranking keys do not depend on the day; each day keeps those it has)."""

    def __init__(self, snapshot: Snapshot):
        self.contacts: dict[int, Contact] = {c.id: c for c in snapshot.contacts}
        self.last_created_on = max(map(_CREATED_ON, snapshot.contacts), default=date.min)
        role_days = settings.KEEP_WARM_DAYS
        plan = []
        for contact in snapshot.contacts:
            interval = contact.cadence_days if contact.cadence_days is not None else role_days.get(contact.role)
            if interval is None:  # keep_warm_interval
                continue
            before = _keep_warm_due(contact, False, interval)
            after = _keep_warm_due(contact, True, interval) if contact.snoozed_until is not None else before
            plan.append((before if before <= after else after, contact.id, before, after, contact))
        plan.sort()  # by (earliest, id): the ids are unique
        self._keep_warm = plan
        self._earliest = [entry[0] for entry in plan]
        # General value offers oldest first (by day, then id): an offer's place is its recency.
        self._general = sorted((offer for offer in snapshot.offers if offer.kind in settings.VALUE_OFFER_KINDS
                                and not is_introduction(offer) and offer.for_contact_id is None),
                               key=lambda offer: (offer.on, offer.id))
        self._general_by_interest: dict[str, list[int]] = defaultdict(list)
        for place, offer in enumerate(self._general):
            for interest in offer.interests:
                self._general_by_interest[interest].append(place)
        self._ranked: dict[frozenset[str], list[Offer]] = {}

    def keep_warm_due_by(self, today: date) -> Iterator[tuple[Contact, date]]:
        """(contact, due) for every keep-warm contact due on or before `today`."""
        for _earliest, _id, before, after, contact in self._keep_warm[:bisect_right(self._earliest, today)]:
            snoozed = contact.snoozed_until
            due = after if snoozed is not None and snoozed <= today else before
            if due <= today:
                yield contact, due

    def ranked_general(self, interests: frozenset[str]) -> list[Offer]:
        """The snapshot's general value offers sharing one of `interests`, best first: most
        interests shared, then newest, then highest id (rule 5's order)."""
        ranked = self._ranked.get(interests)
        if ranked is None:
            shared: dict[int, int] = {}
            for interest in interests:
                for place in self._general_by_interest.get(interest, ()):
                    shared[place] = shared.get(place, 0) + 1
            # One integer per offer, (shared, place) in that order of significance: a plain sort.
            size = len(self._general)
            general = self._general
            ranked = [general[key % size] for key in sorted((count * size + place for place, count in shared.items()),
                                                             reverse=True)]
            self._ranked[interests] = ranked
        return ranked


class KeepWarmDue:
    """A keep-warm touch due (rule 5) as `keep_warm` finds it, its reason not yet written: it
    ranks (and has the key) of the Suggestion it writes. Of the thousands due with a big address
    book, `crm today` shows ten, and a calendar writes each once, on its first day."""

    __slots__ = ("world", "contact", "due", "fit")

    def __init__(self, world: World, contact: Contact, due: date, fit: tuple[Offer, frozenset[str]] | None):
        self.world, self.contact, self.due, self.fit = world, contact, due, fit

    @property
    def key(self) -> tuple[int, str, None, int | None]:
        """`Suggestion.key` of the suggestion it writes."""
        if self.fit is None:
            return (self.contact.id, "check-in", None, None)
        return (self.contact.id, "value-offer", None, self.fit[0].id)

    def rank(self) -> tuple:
        """`Suggestion.rank` of the suggestion it writes."""
        contact, fit = self.contact, self.fit
        return (_VALUE_OFFER_RANK if fit is not None else _CHECK_IN_RANK, (self.due - self.world.today).days,
                contact.name.casefold(), contact.name, contact.id, 0, fit[0].id if fit is not None else 0)

    def suggestion(self) -> Suggestion:
        world, contact, due, fit = self.world, self.contact, self.due, self.fit
        today = world.today
        touches = contact.touches
        if touches.last_touch_on is None:
            since = f"Added on {day(contact.created_on, today)} and not in touch yet"
        else:
            since = f"Last in touch on {day(touches.last_touch_on, today)}"
            if touches.keep_warm_unanswered:
                since += f"; your last {settings.UNANSWERED_KEEP_WARM} notes went unanswered, so this waited longer"
        employer = world.employer_of(contact)
        if employer is not None:
            since += "; a colleague now"
        if fit is None:
            return world.make(contact, "check-in", due, f"{since}; check in.", employer=employer)
        offer, shared = fit
        because = f" (you share an interest in {listing(shared)})" if shared else " (you noted it for them)"
        return world.make(contact, "value-offer", due, f"{since}; share \u201c{offer.title}\u201d{because}.",
                          offer=offer, employer=employer)


_VALUE_OFFER_RANK, _CHECK_IN_RANK = ACTION_RANK["value-offer"], ACTION_RANK["check-in"]


def keep_warm(world: World, passed_over: set[int] | frozenset[int] = frozenset()) -> Iterator[KeepWarmDue]:
    """Rule 5: a check-in, or a value offer when one fits, for every keep-warm contact due (its
    reason is written by `KeepWarmDue.suggestion`) but those `passed_over` (`upcoming` has them)."""
    today = world.today
    active = world.active
    for contact, due in world.plan.keep_warm_due_by(today):
        if contact.id in passed_over or contact.created_on > today or active(contact.id) is None:
            continue
        yield KeepWarmDue(world, contact, due, world.value_offer_for(contact))


def entered_keep_warm(contact: Contact, today: date) -> date:
    """The day the contact last entered keep-warm as of `today`: added, `keep_warm_since` (a
    role set later, resumed), or the end of a snooze that is over."""
    return _entered(contact, contact.snoozed_until is not None and contact.snoozed_until <= today)


def _entered(contact: Contact, snooze_over: bool) -> date:
    entered = contact.created_on
    if contact.keep_warm_since is not None:
        entered = max(entered, contact.keep_warm_since)
    if snooze_over:
        entered = max(entered, contact.snoozed_until)
    return entered


# ---- rule 14: the offer stage --------------------------------------------------------------


def offer_stage(world: World) -> Iterator[Suggestion]:
    """An offer in hand: a courtesy note to the other open processes, once. Hired: a thank-you to
    everyone on that application and a withdrawal note to each other open process. Withdrawn:
    a polite close to its recruiter. Each is done by any outbound touch to them from its day."""
    today = world.today
    open_ones = world.open_applications()

    def waiting(contact: Contact | None, since: date) -> Contact | None:
        """The contact, if nothing went out to them from `since` on."""
        if contact is None:
            return None
        last = contact.touches.last_outbound_on
        return contact if last is None or last < since else None

    def pending(contact_id: int | None, since: date) -> Contact | None:
        return waiting(world.active(contact_id), since)

    # Whom a note about each open application goes to: the same for every outcome below.
    others: list[tuple[Application, Contact | None]] | None = None

    def to_the_others(action: str, since: date, reason_for) -> Iterator[Suggestion]:
        """One note to the contact of each other open application, about it."""
        nonlocal others
        if others is None:
            others = [(other, world.active(world.contact_for(other, other_rounds))) for other, other_rounds in open_ones]
        for other, contact in others:
            target = waiting(contact, since)
            if target is not None:
                yield world.make(target, action, since, reason_for(other), application=other)

    for application, rounds, decided in world.applications:
        if not decided or application.outcome_on is None:
            continue
        on, org, position = application.outcome_on, application.org, application.position
        if application.outcome == "offer":
            yield from to_the_others("courtesy-note", on, lambda other: (
                f"You have an offer from {org} ({day(on, today)}); tell {other.org} and ask whether they"
                f" can share where things stand on {other.position}."
            ))
        elif application.outcome == "hired":
            people = [application.recruiter_id] + [cid for r in rounds for cid in r.interviewer_ids]
            for contact_id in dict.fromkeys(cid for cid in people if cid is not None):
                target = pending(contact_id, on)
                if target is not None:
                    reason = f"You accepted the {position} offer at {org} on {day(on, today)}; thank them for their part."
                    yield world.make(target, "thank-you", on, reason, application=application)
            yield from to_the_others("withdrawal", on, lambda other: (
                f"You accepted an offer from {org} on {day(on, today)}; withdraw politely from"
                f" {other.position} at {other.org} and thank them."
            ))
        elif application.outcome == "withdrawn":
            target = pending(world.contact_for(application, rounds), on)
            if target is not None:
                reason = f"You withdrew from {position} at {org} on {day(on, today)}; close politely and thank them."
                yield world.make(target, "withdrawal", on, reason, application=application)


# ---- rule 11: introductions, with consent ----------------------------------------------------


def introductions(world: World) -> Iterator[Suggestion]:
    """`crm offer add introduction ... --for A --introduce B`: first ask B (intro-consent), then,
    once B's reply is logged, introduce them to each other (introduction, to both). Never if B
    declined (an inbound touch logged with --declined, unlinked or linked to this offer)."""
    today = world.today
    for offer in world.offers:
        if not is_introduction(offer):
            continue
        a, b = world.contacts.get(offer.for_contact_id), world.contacts.get(offer.introduce_id)
        if a is None or b is None:
            continue
        log = [t for t in world.intro_touches.get(b.id, ()) if t.on >= offer.on and t.offer_id in (None, offer.id)]
        if any(t.direction == "in" and t.declined for t in log):
            continue
        asked = [t.on for t in log if t.direction == "out" and t.kind == "intro-consent"]
        if not asked:
            target = world.active(b.id)
            if target is None:
                continue
            due = not_needy(target, "intro-consent", offer.on)
            if due <= today:
                reason = (
                    f"You could introduce {b.name} to {a.name} (\u201c{offer.title}\u201d);"
                    f" ask {b.name} first whether they would like that."
                )
                yield world.make(target, "intro-consent", due, reason, offer=offer, partner=a)
            continue
        replies = [t.on for t in log if t.direction == "in" and t.on >= min(asked)]
        if not replies:
            continue  # waiting for B's answer
        yes_on = min(replies)
        for person, other in ((a, b), (b, a)):
            target = world.active(person.id)
            if target is None:
                continue
            done = any(
                t.direction == "out" and t.kind == "introduction" and t.on >= yes_on
                and t.offer_id in (None, offer.id)
                for t in world.intro_touches.get(person.id, ())
            )
            if done:
                continue
            reason = (
                f"{b.name} said yes on {day(yes_on, today)}; introduce {a.name} and {b.name}"
                f" (\u201c{offer.title}\u201d)."
            )
            yield world.make(target, "introduction", not_needy(target, "introduction", yes_on), reason, offer=offer,
                             partner=other)


# ---- words -------------------------------------------------------------------------------


def day(value: date, today: date) -> str:
    """'3 Nov', or '3 Nov 2025' when it is not this year."""
    return day_and_month(value, today, short=True)


def listing(items) -> str:
    names = sorted(items, key=str.casefold)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
