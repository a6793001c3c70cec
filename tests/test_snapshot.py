"""The snapshot loader: its SQL summaries equal the plain-Python ones, on random databases.

`crm.cadence.engine.from_log` states what `load_snapshot` returns; each test writes a random history
through the models, loads it back as of some day, and compares the two whole snapshots.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from peewee import SQL

from crm.cadence import engine as cadence
from crm.cadence.engine import Application, Contact, Offer, Round, Touch
from crm.cadence.model import Timeline
from crm.store.db import open_database
from crm.store.models import (
    Application as ApplicationRow,
    Contact as ContactRow,
    ContactInterest,
    Interest,
    InterviewRound,
    Offer as OfferRow,
    OfferInterest,
    Organisation,
    RoundInterviewer,
    Timeline as TimelineRow,
    Touchpoint,
)
from crm.cadence.snapshot import load_snapshot
from fuzzing import seeds

DAY0 = date(2026, 3, 2)
ROLES = ("recruiter", "interviewer", "hiring-manager", "referrer", "mentor", "peer", "other", "other", "other")
KINDS = ("thank-you", "status-check", "check-in", "value-offer", "congratulate", "introduction",
         "feedback-request", "connect", "meeting", "call", "message", "note", "intro-consent",
         "courtesy-note", "withdrawal")
INTERESTS = ("go", "Rust", "sql", "ml", "design")


def d(n: int) -> date:
    return DAY0 + timedelta(days=n)


@pytest.fixture
def db(tmp_path):
    database_ = open_database(tmp_path / "t.db")
    yield database_
    database_.close()


def when(rng: random.Random, day: date) -> str:
    """A stored date or date-time: both forms occur in real logs."""
    if rng.random() < 0.4:
        return f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}" + (":07" if rng.random() < 0.3 else "")
    return day.isoformat()


def random_history(rng: random.Random):
    """Random values for the engine, and the same history written to the database."""
    orgs = {name: Organisation.get_or_create(name=name, defaults={"name_key": name.lower()})[0]
            for name in ("Acme", "Initech", "Globex")}
    interests = {name: Interest.get_or_create(name=name, name_key=name.casefold())[0] for name in INTERESTS}
    contacts = []
    for n in range(rng.randrange(5, 25)):
        org = rng.choice([None, "Acme", "Initech"])
        created = d(rng.randrange(-300, 30))
        contact = Contact(
            0, f"Person {n}", org, rng.choice(ROLES), created,
            rng.choice([None, None, None, 14, 45]),
            rng.choice([None, None, d(rng.randrange(-30, 30))]),
            rng.random() < 0.1,
            frozenset(rng.sample(INTERESTS, rng.randrange(0, 3))),
        )
        row = ContactRow.create(
            display_name=contact.name, name_key=contact.name.lower(),
            organisation=orgs[org] if org else None, role=contact.role,
            created_at=f"{created.isoformat()}T{rng.randrange(24):02d}:00:00", updated_at="2026-01-01T00:00:00",
            cadence_days=contact.cadence_days, snoozed_until=contact.snoozed_until, paused=contact.paused,
            keep_warm_since=rng.choice([None, None, d(rng.randrange(-100, 30))]),
        )
        for name in contact.interests:
            ContactInterest.create(contact=row, interest=interests[name])
        contacts.append(Contact(row.id, *[getattr(contact, f) for f in (
            "name", "org", "role", "created_on", "cadence_days", "snoozed_until", "paused", "interests")],
            keep_warm_since=row.keep_warm_since))
    ids = [c.id for c in contacts]

    applications = []
    for n in range(rng.randrange(0, 4)):
        outcome = rng.choice([None, None, "rejected", "offer", "withdrawn", "hired"])
        recruiter = rng.choice([None] + ids)
        row = ApplicationRow.create(
            organisation=orgs[rng.choice(list(orgs))], position=f"Role {n}", recruiter=recruiter,
            reply_by=rng.choice([None, d(rng.randrange(-40, 40))]), outcome=outcome,
            outcome_on=d(rng.randrange(-40, 40)) if outcome and rng.random() < 0.9 else None,
            created_at="2025-12-01T00:00:00",
        )
        rounds = []
        for number in range(1, rng.randrange(1, 4)):
            on = d(rng.randrange(-60, 30))
            round_row = InterviewRound.create(application=row, number=number, on=when(rng, on),
                                              reply_by=rng.choice([None, on + timedelta(days=7)]))
            people = tuple(dict.fromkeys(rng.choice(ids) for _ in range(rng.randrange(0, 4))))
            for cid in people:
                RoundInterviewer.create(round=round_row, contact=cid)
            rounds.append(Round(round_row.id, number, on, round_row.reply_by, people,
                                round_row.on[11:16] or None))
        timelines = []
        for _ in range(rng.randrange(0, 3)):
            stated = d(rng.randrange(-60, 40))
            timeline = TimelineRow.create(application=row, stated_on=stated, reply_by=stated + timedelta(days=rng.randrange(1, 20)),
                                          created_at="2026-01-01T00:00:00")
            timelines.append(Timeline(timeline.id, stated, timeline.reply_by))
        applications.append(Application(row.id, row.organisation.name, row.position, recruiter, row.reply_by,
                                        outcome, row.outcome_on, tuple(rounds), tuple(timelines)))

    offers = []
    for n in range(rng.randrange(0, 6)):
        kind = rng.choice(["article", "introduction", "introduction", "congratulation", "event", "resource"])
        on = d(rng.randrange(-100, 20))
        row = OfferRow.create(
            kind=kind, title=f"Offer {n}", url=f"https://example.org/{n}", on=on,
            for_contact=rng.choice([None, None] + ids), introduce=rng.choice([None, None] + ids),
            created_at="2026-01-01T00:00:00",
        )
        names = frozenset(rng.sample(INTERESTS, rng.randrange(0, 3)))
        for name in names:
            OfferInterest.create(offer=row, interest=interests[name])
        offers.append(Offer(row.id, kind, row.title, row.url, on, row.for_contact_id, row.introduce_id, names))

    touches = []
    for _ in range(rng.randrange(0, 120)):
        on = d(rng.randrange(-200, 30))
        touch = Touch(
            rng.choice(ids), on, rng.choice(KINDS), rng.choice(["out", "out", "in"]),
            rng.choice([None] * 4 + [o.id for o in offers]),
            rng.choice([None] * 3 + [a.id for a in applications]),
            rng.random() < 0.15,
        )
        Touchpoint.create(contact=touch.contact_id, on=when(rng, on), kind=touch.kind, direction=touch.direction,
                          offer=touch.offer_id, application=touch.application_id, declined=touch.declined,
                          created_at="2026-01-01T00:00:00")
        touches.append(touch)
    return contacts, applications, offers, touches


@pytest.mark.fuzz
@pytest.mark.parametrize("seed", seeds(8))
def test_sql_snapshot_equals_the_plain_one(db, seed):
    rng = random.Random(seed)
    with db.atomic():
        contacts, applications, offers, touches = random_history(rng)
    for _ in range(4):
        as_of = d(rng.randrange(-60, 40))
        horizon = rng.choice([None, as_of + timedelta(days=rng.randrange(0, 30))])
        expected = cadence.from_log(as_of, contacts, applications, offers, touches, horizon)
        loaded = load_snapshot(as_of, horizon)
        assert loaded.contacts == expected.contacts
        assert loaded.applications == expected.applications
        assert loaded.offers == expected.offers
        assert loaded.touches == expected.touches
        assert loaded.intro_touches == expected.intro_touches
        assert loaded == expected
        if horizon is None:
            assert cadence.suggest(loaded, as_of) == cadence.suggest(expected, as_of)


def test_the_same_after_analyze(db):
    """ANALYZE changes the planner's choices (the INDEXED BY and unary + exist for this)."""
    rng = random.Random(99)
    with db.atomic():
        contacts, applications, offers, touches = random_history(rng)
    db.execute_sql("ANALYZE")
    for n in (-30, 0, 25):
        assert load_snapshot(d(n)) == cadence.from_log(d(n), contacts, applications, offers, touches)


def test_a_fixed_number_of_queries_whatever_the_size(db, monkeypatch):
    rng = random.Random(5)
    with db.atomic():
        random_history(rng)
    calls = []
    real = db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        calls.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db, "execute_sql", counting)
    load_snapshot(DAY0)
    small = len(calls)
    with db.atomic():
        random_history(rng)
        random_history(rng)
    calls.clear()
    load_snapshot(DAY0)
    assert len(calls) == small <= 12


def test_the_issue_story_through_the_database(db):
    orgs = Organisation.create(name="Acme", name_key="acme")
    rita = ContactRow.create(display_name="Rita", name_key="rita", organisation=orgs, role="recruiter",
                             created_at="2026-01-01T09:00:00", updated_at="2026-01-01T09:00:00")
    ivan = ContactRow.create(display_name="Ivan", name_key="ivan", organisation=orgs,
                             created_at="2026-01-01T09:00:00", updated_at="2026-01-01T09:00:00")
    app = ApplicationRow.create(organisation=orgs, position="Data Engineer", recruiter=rita,
                                created_at="2026-02-01T09:00:00")
    round_ = InterviewRound.create(application=app, number=1, on="2026-03-02T14:00", reply_by=d(7))
    RoundInterviewer.create(round=round_, contact=ivan)

    def log(who, day, kind, direction="out"):
        Touchpoint.create(contact=who, on=f"{d(day).isoformat()}T18:30", kind=kind, direction=direction,
                          created_at="2026-03-02T18:30:00")

    def due(day):
        return [(s.action, s.contact.name) for s in cadence.suggest(load_snapshot(d(day)), d(day))]

    log(rita, -20, "call", "in")
    assert due(0) == [("thank-you", "Ivan")]
    log(ivan, 0, "thank-you")
    assert due(1) == [("connect", "Ivan"), ("connect", "Rita")]
    log(ivan, 1, "connect")
    log(rita, 1, "connect")
    assert due(8) == [("status-check", "Rita")]
    log(rita, 8, "status-check")
    assert due(21) == [] and due(22) == [("status-check", "Rita")]
    log(rita, 22, "status-check")
    app.outcome, app.outcome_on = "rejected", d(30)
    app.save()
    assert due(30) == [("feedback-request", "Rita")]
    assert due(29) == []  # as of day 29 the rejection has not happened


@pytest.mark.fuzz
@pytest.mark.parametrize("seed", seeds(4))
def test_around_one_contact_gives_that_contacts_suggestions(db, seed):
    rng = random.Random(100 + seed)
    with db.atomic():
        contacts, _applications, _offers, _touches = random_history(rng)
    for _ in range(3):
        as_of = d(rng.randrange(-30, 30))
        full = load_snapshot(as_of, as_of + timedelta(days=20))
        for contact in contacts:
            mine = load_snapshot(as_of, as_of + timedelta(days=20), around=contact.id)
            assert len(mine.contacts) <= len(full.contacts)
            assert cadence.next_for(mine, contact.id, as_of, 21) == cadence.next_for(full, contact.id, as_of, 21)


# ---- the per-contact summary (m009): kept by triggers through every write ----------------------


def plain_snapshot(as_of: date, horizon: date | None = None) -> cadence.Snapshot:
    """`from_log` over the database's rows read the plain way: what the loader must return,
    whatever wrote those rows."""
    interests: dict[int, set[str]] = {}
    for link in ContactInterest.select(ContactInterest, Interest).join(Interest):
        interests.setdefault(link.contact_id, set()).add(link.interest.name)
    contacts = [
        Contact(row.id, row.display_name, row.organisation.name if row.organisation_id else None, row.role,
                date.fromisoformat(row.created_at[:10]), row.cadence_days, row.snoozed_until, bool(row.paused),
                frozenset(interests.get(row.id, ())), keep_warm_since=row.keep_warm_since)
        for row in ContactRow.select()
    ]
    people: dict[int, list[int]] = {}
    for link in RoundInterviewer.select().order_by(SQL("rowid")):
        people.setdefault(link.round_id, []).append(link.contact_id)
    rounds: dict[int, list[Round]] = {}
    for row in InterviewRound.select():
        rounds.setdefault(row.application_id, []).append(
            Round(row.id, row.number, date.fromisoformat(row.on[:10]), row.reply_by, tuple(people.get(row.id, ())),
                  row.on[11:16] or None))
    applications = [
        Application(row.id, row.organisation.name, row.position, row.recruiter_id, row.reply_by, row.outcome,
                    row.outcome_on, tuple(rounds.get(row.id, ())))
        for row in ApplicationRow.select()
    ]
    offer_interests: dict[int, set[str]] = {}
    for link in OfferInterest.select(OfferInterest, Interest).join(Interest):
        offer_interests.setdefault(link.offer_id, set()).add(link.interest.name)
    offers = [Offer(row.id, row.kind, row.title, row.url, row.on, row.for_contact_id, row.introduce_id,
                    frozenset(offer_interests.get(row.id, ()))) for row in OfferRow.select()]
    touches = [Touch(row.contact_id, date.fromisoformat(row.on[:10]), row.kind, row.direction, row.offer_id,
                     row.application_id) for row in Touchpoint.select()]
    return cadence.from_log(as_of, contacts, applications, offers, touches, horizon)


def assert_summary_holds(db, rng: random.Random) -> None:
    from crm.store.summary import stale_contacts

    assert stale_contacts(db.connection()) == []
    for _ in range(3):
        as_of = d(rng.randrange(-60, 40))  # also days before the latest touches: the replay fallback
        horizon = rng.choice([None, as_of + timedelta(days=rng.randrange(0, 30))])
        # The contacts and their summaries: what the triggers keep (the rest is held by the tests above).
        assert load_snapshot(as_of, horizon).contacts == plain_snapshot(as_of, horizon).contacts


@pytest.mark.parametrize("seed", range(4))
def test_the_summary_follows_unlog_merge_unmerge_rm_and_any_writer(db, seed):
    from crm.identity.matching import merge_contacts
    from crm.store.contacts import delete_contact
    from crm.store.journal import unmerge
    from crm.store.touchpoints import log_touch, unlog

    rng = random.Random(200 + seed)
    with db.atomic():
        random_history(rng)
    assert_summary_holds(db, rng)
    touch_ids = [t.id for t in Touchpoint.select(Touchpoint.id)]
    for touch_id in rng.sample(touch_ids, min(len(touch_ids), 15)):
        unlog(touch_id)
    assert_summary_holds(db, rng)
    ids = [c.id for c in ContactRow.select(ContactRow.id)]
    keep, other, gone = rng.sample(ids, 3)
    entry = merge_contacts(keep, other, "2026-03-01T09:00:00")
    assert_summary_holds(db, rng)
    unmerge(entry, "2026-03-01T09:05:00")  # the absorbed contact comes back with its touches
    assert_summary_holds(db, rng)
    merge_contacts(keep, other, "2026-03-01T09:10:00")
    assert_summary_holds(db, rng)
    delete_contact(ContactRow.get_by_id(gone))
    assert_summary_holds(db, rng)
    offer = OfferRow.create(kind="article", title="Fresh", on=d(-5), created_at="2026-01-01T00:00:00")
    log_touch(ContactRow.get_by_id(keep), "value-offer", d(3).isoformat(), now="2026-03-05T09:00:00", offer=offer)
    assert_summary_holds(db, rng)
    # A writer that is none of ours (a future sync, a hand-run UPDATE): the triggers still hold.
    with db.atomic():
        db.execute_sql("UPDATE touchpoint SET \"on\" = '2026-02-02', direction = 'in' WHERE id % 3 = 0")
        db.execute_sql("UPDATE touchpoint SET kind = 'note' WHERE id % 5 = 0")
        db.execute_sql("DELETE FROM offer WHERE id = (SELECT MIN(id) FROM offer)")  # SET NULL on its touches
    assert_summary_holds(db, rng)


def test_the_summary_follows_imports(db, tmp_path):
    from pathlib import Path

    from crm.identity.importer import import_paths

    rng = random.Random(7)
    with db.atomic():
        random_history(rng)
    csv = Path(__file__).resolve().parents[1] / "fixtures" / "csv" / "linkedin-Connections.csv"
    report = import_paths([csv], "2026-03-02T09:00:00")
    assert Touchpoint.select().where(Touchpoint.kind == "connect", Touchpoint.note.contains("imported")).count() > 0
    assert not report.errors
    assert_summary_holds(db, rng)


def test_the_migration_builds_the_summary_of_an_existing_log(tmp_path):
    """A database that had its log before m009: the migration computes what the triggers keep."""
    from crm.store.migrations import MIGRATIONS
    from crm.store.summary import stale_contacts

    path = tmp_path / "old.db"
    db = open_database(path)
    rng = random.Random(11)
    with db.atomic():
        random_history(rng)
        for table in ("contact_summary", "offer_given"):
            db.execute_sql(f"DELETE FROM {table}")
        assert stale_contacts(db.connection())
        m009 = next(m for m in MIGRATIONS if m.name == "m009_touch_summary")
        for statement in m009.statements:  # what m009 runs on an existing log
            if statement.lstrip().startswith(("INSERT", "UPDATE")):
                db.execute_sql(statement)
    assert stale_contacts(db.connection()) == []
    assert_summary_holds(db, rng)
    db.close()


def test_crm_check_finds_a_summary_that_disagrees_with_the_log(db):
    from crm.store.check import CheckReport, check_consistency, repair
    from crm.store.summary import rebuild

    rng = random.Random(3)
    with db.atomic():
        random_history(rng)
    report = check_consistency(db.connection(), CheckReport(database="t"))
    assert not [p for p in report.problems if p.check == "touch-summary"]
    victim = db.execute_sql("SELECT contact_id FROM contact_summary LIMIT 1").fetchone()[0]
    db.execute_sql("UPDATE contact_summary SET last_out_on = '1999-01-01' WHERE contact_id = ?", (victim,))
    report = check_consistency(db.connection(), CheckReport(database="t"))
    assert [(p.check, p.id) for p in report.problems if p.check == "touch-summary"] == [("touch-summary", victim)]
    fixed = repair(db.connection(), report)  # crm check --repair rebuilds it from the log
    assert ("touch-summary", victim) in [(p.check, p.id) for p in fixed]
    report = check_consistency(db.connection(), CheckReport(database="t"))
    assert not [p for p in report.problems if p.check == "touch-summary"]
    db.execute_sql("DELETE FROM offer_given")
    with db.atomic():
        rebuild(db.connection())
    report = check_consistency(db.connection(), CheckReport(database="t"))
    assert not [p for p in report.problems if p.check == "touch-summary"]


def test_the_frozen_summary_kinds_are_the_engines():
    """m009 froze the kinds its triggers count; changing these settings needs a new migration."""
    from crm.cadence import settings
    from crm.store.migrations import KEEP_WARM_M009, NOT_A_TOUCH_M009

    assert NOT_A_TOUCH_M009 == "(" + ", ".join(f"'{k}'" for k in sorted(settings.NOT_A_TOUCH_KINDS)) + ")"
    assert KEEP_WARM_M009 == "(" + ", ".join(f"'{k}'" for k in sorted(settings.KEEP_WARM_KINDS)) + ")"
    assert settings.UNANSWERED_KEEP_WARM == 2  # m009's OFFSET 1


@pytest.mark.parametrize("seed", range(3))
def test_upcoming_steps_the_days_of_one_snapshot_as_day_by_day_suggest_would(db, seed):
    """calendar and show load once and step the days, sharing work between them (a memo): the
    plan is what asking each day afresh gives."""
    rng = random.Random(300 + seed)
    with db.atomic():
        random_history(rng)
    start = d(rng.randrange(-20, 10))
    snapshot = load_snapshot(start, start + timedelta(days=29))
    first_seen: dict = {}
    for n in range(30):
        for s in cadence.suggest(snapshot, start + timedelta(days=n)):
            first_seen.setdefault(s.key, (start + timedelta(days=n), s))
    plain = sorted(first_seen.values(), key=lambda pair: (pair[0], pair[1].rank()))
    assert cadence.upcoming(snapshot, start, 30) == plain
    assert plain  # the histories are busy enough to plan something


def test_only_contacts_with_a_role_or_an_own_cadence_are_on_keep_warm():
    """The loader finds keep-warm contacts by the partial index contact_keep_warm (m009):
    `role != 'other' OR cadence_days IS NOT NULL`. A default interval for `other` needs a new index."""
    from crm.cadence import settings

    assert "other" not in settings.KEEP_WARM_DAYS
