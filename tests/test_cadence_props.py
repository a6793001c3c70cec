"""Laws of the cadence engine over random histories (hypothesis).

Never needy (rule 6), one suggestion per contact, the same data gives the same list (whatever
order it comes in), and the future does not leak into a replayed day.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import given, settings as hsettings, strategies as st

from crm.cadence import engine as cadence
from crm.cadence import settings
from crm.cadence.engine import Application, Contact, Offer, Round, Touch
from crm.cadence.model import Timeline
from crm.cadence.rules import keep_warm_interval, lapsed
from fuzzing import examples

DAY0 = date(2026, 3, 2)
ROLES = ("recruiter", "interviewer", "hiring-manager", "referrer", "mentor", "peer", "other", "other")
KINDS = ("thank-you", "status-check", "check-in", "value-offer", "congratulate", "introduction",
         "feedback-request", "connect", "meeting", "call", "message", "note", "intro-consent",
         "courtesy-note", "withdrawal")
INTERESTS = ("go", "rust", "sql", "ml")
SETTINGS = dict(max_examples=examples(20), deadline=None)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


@st.composite
def histories(draw):
    n_contacts = draw(st.integers(1, 8))
    contacts = []
    for cid in range(1, n_contacts + 1):
        contacts.append(Contact(
            cid,
            draw(st.sampled_from(["Ann", "Bob", "ann", "Cy", "Dee"])),
            draw(st.sampled_from([None, "Acme", "Initech"])),
            draw(st.sampled_from(ROLES)),
            day(draw(st.integers(-200, 40))),
            draw(st.one_of(st.none(), st.integers(1, 120))),
            draw(st.one_of(st.none(), st.builds(day, st.integers(-20, 60)))),
            draw(st.booleans()) and draw(st.booleans()),
            frozenset(draw(st.lists(st.sampled_from(INTERESTS), max_size=3))),
            keep_warm_since=draw(st.one_of(st.none(), st.builds(day, st.integers(-60, 40)))),
        ))
    ids = st.integers(1, n_contacts)
    applications = []
    for aid in range(1, draw(st.integers(0, 3)) + 1):
        rounds = tuple(
            Round(aid * 10 + n, n, day(draw(st.integers(-60, 50))),
                  draw(st.one_of(st.none(), st.builds(day, st.integers(-60, 60)))),
                  tuple(dict.fromkeys(draw(st.lists(ids, max_size=3)))))
            for n in range(1, draw(st.integers(0, 3)) + 1)
        )
        outcome = draw(st.sampled_from([None, None, "rejected", "offer", "withdrawn", "hired"]))
        timelines = []
        for n in range(draw(st.integers(0, 3))):
            stated = draw(st.integers(-60, 50))
            timelines.append(Timeline(aid * 10 + n, day(stated), day(stated + draw(st.integers(0, 30)))))
        applications.append(Application(
            aid, draw(st.sampled_from(["Acme", "Initech"])), f"Role {aid}", draw(st.one_of(st.none(), ids)),
            draw(st.one_of(st.none(), st.builds(day, st.integers(-60, 60)))),
            outcome, day(draw(st.integers(-30, 60))) if outcome else None, rounds, tuple(timelines),
        ))
    offers = []
    for oid in range(1, draw(st.integers(0, 4)) + 1):
        offers.append(Offer(
            oid, draw(st.sampled_from(["article", "introduction", "congratulation", "event", "resource"])),
            f"Offer {oid}", "", day(draw(st.integers(-100, 40))),
            draw(st.one_of(st.none(), ids)), draw(st.one_of(st.none(), ids)),
            frozenset(draw(st.lists(st.sampled_from(INTERESTS), max_size=2))),
        ))
    touches = draw(st.lists(st.builds(
        Touch, ids, st.builds(day, st.integers(-200, 60)), st.sampled_from(KINDS), st.sampled_from(["out", "in"]),
        st.one_of(st.none(), st.integers(1, max(len(offers), 1))),
        st.one_of(st.none(), st.integers(1, max(len(applications), 1))),
        st.booleans(),
    ), max_size=40))
    today = day(draw(st.integers(-10, 60)))
    return contacts, applications, offers, touches, today


def run(history, order_seed: int | None = None):
    contacts, applications, offers, touches, today = history
    if order_seed is not None:
        shuffle = random.Random(order_seed).sample
        contacts, applications, offers, touches = (
            shuffle(list(x), len(x)) for x in (contacts, applications, offers, touches)
        )
    snapshot = cadence.from_log(today, contacts, applications, offers, touches)
    return cadence.suggest(snapshot, today)


@hsettings(**SETTINGS)
@given(histories(), st.integers(0, 2**32))
def test_laws_over_random_histories(history, seed):
    _contacts, _applications, _offers, touches, today = history
    suggestions = run(history)
    # Never two for one contact.
    assert len({s.contact.id for s in suggestions}) == len(suggestions)
    # The same data gives the same list, whatever order it comes in.
    assert run(history) == suggestions
    assert [s.to_json() for s in run(history, seed)] == [s.to_json() for s in suggestions]
    assert cadence.summarise(touches, today) == cadence.summarise(list(reversed(touches)), today)
    # Ranked (rule 8).
    assert [s.rank() for s in suggestions] == sorted(s.rank() for s in suggestions)
    for s in suggestions:
        never_needy(s, touches, today)
        unanswered_doubles(s, touches, today)
        well_formed(s, today)
        never_before_the_timeline(s, today)
        on_a_working_day(s)
        nothing_stale(s, today)


def never_before_the_timeline(s: cadence.Suggestion, today: date) -> None:
    """No status check before the latest timeline they stated has passed."""
    if s.action != "status-check":
        return
    application = s.application
    stated = [(t.stated_on, 1, t.id, t.reply_by) for t in application.timelines if t.stated_on <= today]
    stated += [(r.on, 0, r.id, r.reply_by) for r in application.rounds if r.on <= today and r.reply_by is not None]
    if stated:
        assert today > max(stated)[3] and s.due > max(stated)[3], s


def on_a_working_day(s: cadence.Suggestion) -> None:
    if s.action in settings.WORKING_DAY_ACTIONS:
        assert s.due.weekday() in settings.WORKING_DAYS, s


def nothing_stale(s: cadence.Suggestion, today: date) -> None:
    if s.offer is not None:
        assert not lapsed(s.offer, today), s


def never_needy(s: cadence.Suggestion, touches: list[Touch], today: date) -> None:
    outbound = [t.on for t in touches if t.contact_id == s.contact.id and t.direction == "out"
                and t.on <= today and t.kind not in settings.NOT_A_TOUCH_KINDS]
    if s.action not in settings.EVENT_ACTIONS and outbound:
        assert (today - max(outbound)).days >= settings.MIN_DAYS_BETWEEN_OUTBOUND, s


def unanswered_doubles(s: cadence.Suggestion, touches: list[Touch], today: date) -> None:
    summary = s.contact.touches
    if s.action not in ("check-in", "value-offer") or summary.last_touch_on is None:
        return
    interval = keep_warm_interval(s.contact)
    unanswered = [t for t in touches if t.contact_id == s.contact.id and t.direction == "out"
                  and t.kind in settings.KEEP_WARM_KINDS and t.on <= today
                  and all(i.on < t.on for i in touches if i.contact_id == s.contact.id
                          and i.direction == "in" and i.on <= today and i.kind not in settings.NOT_A_TOUCH_KINDS)]
    assert summary.keep_warm_unanswered == (len(unanswered) >= settings.UNANSWERED_KEEP_WARM)
    if summary.keep_warm_unanswered:
        interval *= settings.UNANSWERED_INTERVAL_FACTOR
    assert (today - summary.last_touch_on).days >= interval


def well_formed(s: cadence.Suggestion, today: date) -> None:
    assert s.action in settings.ACTIONS
    assert s.due <= today and s.overdue_days == (today - s.due).days
    assert s.reason.endswith(".") and "\n" not in s.reason
    assert not s.contact.paused
    assert s.contact.snoozed_until is None or s.contact.snoozed_until <= today
    assert s.contact.created_on <= today
    if s.offer is not None:
        assert s.offer.on <= today
        if s.action in ("value-offer", "connect"):
            assert s.offer.id not in s.contact.touches.offers_given


@hsettings(**SETTINGS)
@given(histories(), st.data())
def test_the_future_does_not_leak_into_a_replayed_day(history, data):
    contacts, applications, offers, touches, today = history
    later = data.draw(st.lists(st.builds(
        Touch, st.integers(1, len(contacts)), st.builds(lambda n: today + timedelta(days=n), st.integers(1, 30)),
        st.sampled_from(KINDS), st.sampled_from(["out", "in"]),
    ), max_size=10))
    assert run((contacts, applications, offers, touches + later, today)) == run(history)


# ---- the shared plan (what the days of one snapshot share) against the rules, plainly ---------


def plain_value_offer(world, contact):
    """Rule 5's choice, plainly: an offer for the contact, else the general offer of today that
    shares most interests, then newest, then highest id; never one given, never their own introduction."""
    given = contact.touches.offers_given
    fits = [o for o in world.offers if o.kind in settings.VALUE_OFFER_KINDS and not (
        o.kind == "introduction" and o.for_contact_id is not None and o.introduce_id is not None)
        and o.id not in given]
    mine = [o for o in fits if o.for_contact_id == contact.id]
    if mine:
        best = max(mine, key=lambda o: (len(o.interests & contact.interests), o.on, o.id))
    else:
        general = [o for o in fits if o.for_contact_id is None and o.interests & contact.interests
                   and o.introduce_id != contact.id]
        if not general:
            return None
        best = max(general, key=lambda o: (len(o.interests & contact.interests), o.on, o.id))
    return best, best.interests & contact.interests


@st.composite
def offer_histories(draw):
    """Keep-warm contacts due over the coming days while value offers appear and lapse (rule 12)
    among them, some already given, some interrupted by other rules' suggestions: what
    `upcoming` steps over without asking every day afresh."""
    today = DAY0
    contacts = [Contact(cid, f"P{cid}", None, draw(st.sampled_from(("recruiter", "peer", "peer", "other"))),
                        day(draw(st.integers(-300, 5))), draw(st.sampled_from((None, None, None, 30))),
                        draw(st.sampled_from((None, None, None, day(draw(st.integers(-5, 15)))))), False,
                        frozenset(draw(st.lists(st.sampled_from(INTERESTS[:2]), min_size=1, max_size=2))))
                for cid in range(1, draw(st.integers(1, 8)) + 1)]
    ids = st.integers(1, len(contacts))
    lapse = settings.OFFER_LAPSE_DAYS["article"]
    offers = [Offer(oid, draw(st.sampled_from(["article", "article", "event", "congratulation"])), f"Offer {oid}", "",
                    day(draw(st.one_of(st.integers(-lapse - 5, -lapse + 20), st.integers(-20, 20)))),
                    draw(st.one_of(st.none(), st.none(), st.none(), ids)), None,
                    frozenset(draw(st.lists(st.sampled_from(INTERESTS[:2]), min_size=1, max_size=2))))
              for oid in range(1, draw(st.integers(1, 6)) + 1)]
    rounds = (Round(10, 1, day(draw(st.integers(-10, 15))), None, tuple(dict.fromkeys(draw(st.lists(ids, max_size=2))))),)
    applications = [Application(1, "Acme", "Role", draw(st.one_of(st.none(), ids)), None, None, None, rounds)]
    touches = draw(st.lists(st.builds(
        Touch, ids, st.builds(day, st.integers(-200, 0)), st.sampled_from(["check-in", "value-offer", "message", "call"]),
        st.sampled_from(["out", "in"]), st.one_of(st.none(), st.integers(1, max(len(offers), 1)))), max_size=25))
    return contacts, applications, offers, touches, today


@hsettings(**SETTINGS)
@given(histories(), st.integers(1, 20))
def test_the_plan_shared_over_days_equals_each_day_on_its_own(history, days):
    plan_equals_each_day(history, days)


@hsettings(max_examples=examples(40), deadline=None)
@given(offer_histories(), st.integers(5, 20))
def test_upcoming_as_offers_come_and_lapse_equals_each_day_on_its_own(history, days):
    plan_equals_each_day(history, days)


def plan_equals_each_day(history, days: int) -> None:
    from crm.cadence.rules import Plan, World, keep_warm_due

    contacts, applications, offers, touches, today = history
    snapshot = cadence.from_log(today, contacts, applications, offers, touches, horizon=today + timedelta(days=days))
    plan = Plan(snapshot)
    first_seen = {}
    for n in range(days):
        on = today + timedelta(days=n)
        # A fresh plan each day (what `crm today` builds) and the shared one agree.
        alone = cadence.suggest(snapshot, on)
        assert cadence.suggest(snapshot, on, plan) == alone
        for s in alone:
            first_seen.setdefault(s.key, (on, s))
        # `crm today` writes the reasons it shows only: the same first suggestions, the same count.
        for limit in (0, 1, 3, len(alone) + 1):
            assert cadence.suggest_first(snapshot, on, limit) == (alone[:limit], len(alone))
        due = dict((c.id, d) for c, d in plan.keep_warm_due_by(on))
        for contact in snapshot.contacts:
            expected = keep_warm_due(contact, on)
            assert due.get(contact.id) == (expected if expected is not None and expected <= on else None)
        world = World(snapshot, on, plan)
        for contact in snapshot.contacts:
            assert world.value_offer_for(contact) == plain_value_offer(world, contact)
    assert cadence.upcoming(snapshot, today, days) == sorted(first_seen.values(), key=lambda p: (p[0], p[1].rank()))


@st.composite
def application_histories(draw):
    """Open applications with rounds around `today`, and a busy log around them: what rule 2 reads."""
    today = DAY0
    n_contacts = draw(st.integers(1, 4))
    contacts = [Contact(cid, f"P{cid}", None, draw(st.sampled_from(ROLES)), day(-100)) for cid in range(1, n_contacts + 1)]
    ids = st.integers(1, n_contacts)
    applications = []
    for aid in range(1, draw(st.integers(1, 3)) + 1):
        rounds = tuple(Round(aid * 10 + n, n, day(draw(st.integers(-20, 5))), None,
                             tuple(dict.fromkeys(draw(st.lists(ids, max_size=2)))))
                       for n in range(1, draw(st.integers(1, 3)) + 1))
        outcome = draw(st.sampled_from([None, None, "rejected"]))
        applications.append(Application(aid, "Acme", f"Role {aid}", draw(st.one_of(st.none(), ids)), None, outcome,
                                        day(draw(st.integers(-5, 20))) if outcome else None, rounds))
    touches = draw(st.lists(st.builds(
        Touch, ids, st.builds(day, st.integers(-25, 0)),
        st.sampled_from(["message", "status-check", "call", "note", "thank-you"]), st.sampled_from(["out", "in"]),
        st.none(), st.one_of(st.none(), st.integers(1, len(applications))),
    ), max_size=30))
    return contacts, applications, [], touches, today


@hsettings(**SETTINGS)
@given(st.one_of(histories(), application_histories()), st.integers(0, 20))
def test_the_snapshot_holds_every_touch_the_rules_read(history, days):
    """from_log keeps of the log only what the rules can read, on `as_of` and the days after
    (for rule 2, only touches after an open application's latest round by then): the engine
    given every touch instead says the same, day after day."""
    from dataclasses import replace

    from crm.cadence.rules import World, application_touches

    contacts, applications, offers, touches, today = history
    snapshot = cadence.from_log(today, contacts, applications, offers, touches, horizon=today + timedelta(days=days))
    counted = [t for t in touches if t.on <= today and t.kind not in settings.NOT_A_TOUCH_KINDS]
    everything = replace(snapshot, touches=tuple(sorted(counted, key=cadence.touch_order)),
                         intro_touches=tuple(sorted(counted, key=cadence.touch_order)))
    assert set(snapshot.touches) <= set(everything.touches)
    for n in range(days + 1):
        on = today + timedelta(days=n)
        assert cadence.suggest(snapshot, on) == cadence.suggest(everything, on)
        # What rule 2 reads of each open application: the replies and status checks after its latest round.
        kept, whole = World(snapshot, on), World(everything, on)
        for application, rounds in kept.open_applications():
            if rounds:
                read = [sorted((t for t in application_touches(w, application, rounds) if t.on > rounds[-1].on
                                and (t.direction == "in" or t.kind == "status-check")), key=cadence.touch_order)
                        for w in (kept, whole)]
                assert read[0] == read[1]
