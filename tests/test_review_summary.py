"""What `crm review` reads (touch_day, expected_reply, reply_day: migration m011, kept by triggers
on touchpoint) held to the log: on random logs, after every kind of write (log, unlog, merge,
unmerge, rm, a hand-run UPDATE or DELETE), the review equals a plain-Python statement of its
definitions (docs/drafts-and-review.md) read from the log itself, and `crm check` finds a derived
table that disagrees with the log."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from crm.cadence import settings
from crm.store.db import open_database
from crm.store.models import Contact, Offer, Touchpoint, database
from crm.views.review import REPLY_WINDOW_DAYS, review
from fuzzing import examples

AS_OF = date(2026, 3, 29)
NOW = "2026-04-01T09:00:00"
# (name, role, cadence_days, paused, created): three on keep-warm by role, one by its own
# cadence, one paused, one added late (not there yet for the earlier reviews), one not kept warm.
CONTACTS = [("ada Lovelace", "recruiter", None, 0, "2025-06-01T09:00:00"),
            ("Ada Lovelace", "peer", None, 0, "2025-06-01T09:00:00"),
            ("Björn", "other", 14, 0, "2025-06-01T09:00:00"),
            ("Cleo", "mentor", None, 1, "2025-06-01T09:00:00"),
            ("Dan", "referrer", None, 0, "2026-03-20T09:00:00"),
            ("Eve", "other", None, 0, "2025-06-01T09:00:00")]
DAYS = [-100, -66, -61, -60, -45, -31, -30, -29, -20, -10, -7, -6, -1, 0, 1, 5, 30]
TIMES = ["", "T09:00", "T17:30"]
KINDS = ["message", "message", "call", "check-in", "status-check", "value-offer", "thank-you", "connect",
         "congratulate", "withdrawal", "note"]


def day(n: int) -> str:
    return (AS_OF + timedelta(days=n)).isoformat()


touch = st.tuples(st.integers(0, len(CONTACTS) - 1), st.sampled_from(DAYS), st.sampled_from(TIMES),
                  st.sampled_from(["out", "in"]), st.sampled_from(KINDS))
operation = st.one_of(
    st.tuples(st.just("log"), touch),
    st.tuples(st.just("unlog"), st.integers(0, 10**6)),
    st.tuples(st.just("move"), st.integers(0, 10**6), st.sampled_from(DAYS), st.sampled_from(TIMES)),
    st.tuples(st.just("kind"), st.integers(0, 10**6), st.sampled_from(KINDS)),
    st.tuples(st.just("flip"), st.integers(0, 10**6)),
    st.tuples(st.just("to"), st.integers(0, 10**6), st.integers(0, len(CONTACTS) - 1)),
    st.tuples(st.just("merge"), st.integers(0, len(CONTACTS) - 1), st.integers(0, len(CONTACTS) - 1)),
    st.tuples(st.just("unmerge")),
    st.tuples(st.just("rm"), st.integers(0, len(CONTACTS) - 1)),
    st.tuples(st.just("drop-day"), st.sampled_from(DAYS)),
)


@pytest.fixture
def fresh(new_database, tmp_path):
    """fresh() -> a new, migrated database with CONTACTS and two offers, bound to the models."""
    opened = []

    def make():
        if opened:
            opened[-1].close()
        db = open_database(new_database(tmp_path / f"r{len(opened)}.db"))
        opened.append(db)
        for name, role, cadence, paused, created in CONTACTS:
            Contact.create(display_name=name, name_key=name.casefold(), role=role, cadence_days=cadence,
                           paused=paused, created_at=created, updated_at=created)
        for n in (1, 2):
            Offer.create(kind="article", title=f"Read {n}", on=day(-120), created_at=NOW)
        return db

    yield make
    if opened:
        opened[-1].close()


def write(raw_touches) -> None:
    ids = [c.id for c in Contact.select(Contact.id).order_by(Contact.id)]
    with database.atomic():
        for who, offset, time, direction, kind in raw_touches:
            Touchpoint.create(contact=ids[who], on=day(offset) + time, kind=kind, direction=direction,
                              offer=(offset % 2) + 1 if kind == "value-offer" else None, created_at=NOW)


def apply(op, journal: list[int]) -> None:
    """One write to the log, through the code that makes it (or as a hand-run SQL statement)."""
    from crm.identity.matching import merge_contacts
    from crm.store.contacts import delete_contact
    from crm.store.journal import unmerge
    from crm.store.touchpoints import unlog

    touches = [t.id for t in Touchpoint.select(Touchpoint.id).order_by(Touchpoint.id)]
    contacts = [c.id for c in Contact.select(Contact.id).order_by(Contact.id)]
    name = op[0]
    pick = touches[op[1] % len(touches)] if touches and name in ("unlog", "move", "kind", "flip", "to") else None
    if name == "log":
        if op[1][0] < len(contacts):
            write([op[1]])
    elif name == "unlog" and pick:
        unlog(pick)
    elif name == "move" and pick:
        database.execute_sql('UPDATE touchpoint SET "on" = ? WHERE id = ?', (day(op[2]) + op[3], pick))
    elif name == "kind" and pick:
        database.execute_sql("UPDATE touchpoint SET kind = ? WHERE id = ?", (op[2], pick))
    elif name == "flip" and pick:
        database.execute_sql("UPDATE touchpoint SET direction = CASE direction WHEN 'in' THEN 'out' ELSE 'in' END"
                             " WHERE id = ?", (pick,))
    elif name == "to" and pick and op[2] < len(contacts):
        database.execute_sql("UPDATE touchpoint SET contact_id = ? WHERE id = ?", (contacts[op[2]], pick))
    elif name == "merge" and max(op[1:]) < len(contacts) and op[1] != op[2]:
        journal.append(merge_contacts(contacts[op[1]], contacts[op[2]], NOW))
    elif name == "unmerge" and journal:
        unmerge(journal.pop(), NOW)
    elif name == "rm" and op[1] < len(contacts):
        delete_contact(Contact.get_by_id(contacts[op[1]]))
    elif name == "drop-day":
        database.execute_sql('DELETE FROM touchpoint WHERE substr("on", 1, 10) = ?', (day(op[1]),))


# ---- the definitions, plainly, from the log -------------------------------------------------------

def plain_review(as_of: date, weeks: int) -> dict:
    start = as_of - timedelta(days=7 * weeks - 1)
    last, first = as_of.isoformat(), start.isoformat()

    def on_day(t) -> date:
        return date.fromisoformat(t.on[:10])

    log = sorted((t for t in Touchpoint.select() if t.kind not in settings.NOT_A_TOUCH_KINDS and t.on[:10] <= last),
                 key=lambda t: (t.on, t.id))
    window = [t for t in log if t.on[:10] >= first]
    week = {ago: dict.fromkeys(("touches", "outbound", "inbound", "answered", "waiting", "offers_given",
                                "expecting_answer"), 0) for ago in range(weeks)}
    for t in window:
        row = week[(as_of - on_day(t)).days // 7]
        row["touches"] += 1
        row["outbound" if t.direction == "out" else "inbound"] += 1
        row["offers_given"] += t.offer_id is not None
    for contact_id in {t.contact_id for t in log}:
        replies = [t for t in log if t.contact_id == contact_id
                   and not (t.direction == "out" and t.kind in settings.NO_ANSWER_EXPECTED_KINDS)]
        for i, t in enumerate(replies):
            if t.direction != "out" or t.on[:10] < first:
                continue
            after = replies[i + 1:]
            run = list(itertools.takewhile(lambda r: r.direction == "in", after))
            answered = any((on_day(r) - on_day(t)).days <= REPLY_WINDOW_DAYS for r in run)
            row = week[(as_of - on_day(t)).days // 7]
            row["expecting_answer"] += 1
            row["answered"] += answered
            row["waiting"] += (not answered and len(run) == len(after)
                               and (as_of - on_day(t)).days <= REPLY_WINDOW_DAYS)
    rows = []
    for ago in range(weeks - 1, -1, -1):
        end = as_of - timedelta(days=7 * ago)
        rows.append({"start": (end - timedelta(days=6)).isoformat(), "end": end.isoformat(), **week[ago]})

    warmth: dict[str, list] = {"warm": [], "cooling": [], "cold": []}
    for c in Contact.select().order_by(Contact.id):
        interval = c.cadence_days if c.cadence_days is not None else settings.KEEP_WARM_DAYS.get(c.role)
        if c.paused or interval is None or not c.created_at < (as_of + timedelta(days=1)).isoformat():
            continue
        days = [on_day(t) for t in log if t.contact_id == c.id]
        since = (as_of - max(days)).days if days else None
        name = ("cold" if since is None else "warm" if since <= interval else "cooling" if since <= 2 * interval
                else "cold")
        warmth[name].append(c)

    def total(key: str) -> int:
        return sum(r[key] for r in rows)

    return {
        "as_of": last, "start": first, "weeks": rows,
        "touches": {"total": total("touches"), "outbound": total("outbound"), "inbound": total("inbound")},
        "replies": {"window_days": REPLY_WINDOW_DAYS, "outbound": total("outbound"),
                    "expecting_answer": total("expecting_answer"), "answered": total("answered"),
                    "unanswered": total("expecting_answer") - total("answered") - total("waiting"),
                    "waiting": total("waiting")},
        "offers_given": {"count": total("offers_given"), "touches": [
            {"touch": t.id, "on": t.on[:10], "contact": t.contact_id, "offer": t.offer_id}
            for t in window if t.offer_id is not None]},
        "keep_warm": {name: {"count": len(cs), "ids": [c.id for c in cs], "contacts": [
            {"id": c.id, "name": c.display_name} for c in sorted(cs, key=lambda c: (c.display_name.casefold(), c.id))]}
            for name, cs in warmth.items()},
        "applications": {stage: {"count": 0, "ids": []} for stage in
                         ("applied", "interviewing", "offer", "hired", "rejected", "withdrawn", "closed")},
    }


def assert_review_holds() -> None:
    from crm.store.summary import stale_replies, stale_reply_days, stale_touch_days

    conn = database.connection()
    assert (stale_touch_days(conn), stale_replies(conn), stale_reply_days(conn)) == ([], [], [])
    # Days around the log's: touches after as_of, a window that starts inside it, replies on
    # the window's last day; as_of before the latest touches (the summary's fallback).
    for as_of, weeks in ((AS_OF, 8), (AS_OF, 15), (AS_OF - timedelta(days=20), 3), (AS_OF + timedelta(days=31), 1),
                         (AS_OF - timedelta(days=61), 6)):
        assert review(as_of, weeks) == plain_review(as_of, weeks), (as_of, weeks)


@hsettings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=st.lists(touch, max_size=25), operations=st.lists(operation, max_size=8))
@example(log=[(0, -60, "", "out", "message"), (0, -30, "T09:00", "in", "call"),  # answered on the 30th day
              (1, -30, "", "out", "check-in"), (1, -1, "T17:30", "out", "thank-you"),  # still waiting
              (1, -1, "T09:00", "in", "message"), (2, -6, "", "out", "value-offer")],
         operations=[("merge", 0, 1), ("unmerge",), ("move", 3, -31, "")])
@example(log=[(0, -30, "", "out", "message"), (1, -31, "", "out", "message")], operations=[])  # the window's edge
def test_the_review_summary_follows_every_write_and_equals_the_plain_rules(fresh, log, operations):
    fresh()
    write(log)
    assert_review_holds()
    journal: list[int] = []
    for op in operations:
        apply(op, journal)
        assert_review_holds()


def test_the_migration_builds_the_review_summary_of_an_existing_log(fresh):
    """A database that had its log before m011: the migration computes what the triggers keep."""
    from crm.store.migrations import MIGRATIONS
    from crm.store.summary import stale_replies, stale_reply_days, stale_touch_days

    db = fresh()
    write([(who, offset, time, direction, kind) for who, (offset, time, direction, kind) in zip(
        itertools.cycle(range(len(CONTACTS))),
        itertools.product(DAYS, TIMES, ("out", "in"), ("message", "thank-you", "call", "note")))])
    conn = db.connection()
    m011 = next(m for m in MIGRATIONS if m.name == "m011_review_summary")
    with db.atomic():
        for (trigger,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                         " AND (name LIKE 'touchpoint_review_%' OR tbl_name = 'expected_reply')").fetchall():
            db.execute_sql(f"DROP TRIGGER {trigger}")
        for table in ("touch_day", "expected_reply", "reply_day"):
            db.execute_sql(f"DELETE FROM {table}")
        assert stale_touch_days(conn) and stale_replies(conn)
        for statement in m011.statements:  # what m011 runs on an existing log, in its order
            if statement.lstrip().startswith(("INSERT", "CREATE TRIGGER")):
                db.execute_sql(statement)
    assert (stale_touch_days(conn), stale_replies(conn), stale_reply_days(conn)) == ([], [], [])
    assert_review_holds()


@pytest.mark.parametrize("table, tamper", [
    ("touch_day", "UPDATE touch_day SET inbound = inbound + 1 WHERE day = (SELECT MIN(day) FROM touch_day)"),
    ("touch_day", "DELETE FROM touch_day WHERE day = (SELECT MAX(day) FROM touch_day)"),
    ("expected_reply", "UPDATE expected_reply SET reply_on = NULL WHERE reply_on IS NOT NULL"),
    ("expected_reply", "DELETE FROM expected_reply WHERE touch_id = (SELECT MIN(touch_id) FROM expected_reply)"),
    ("expected_reply", "INSERT INTO expected_reply VALUES (999999, 1, '2026-03-01', NULL, NULL)"),
    ("reply_day", "UPDATE reply_day SET answered = answered + 1 WHERE day = (SELECT MIN(day) FROM reply_day)"),
])
def test_crm_check_finds_a_review_summary_that_disagrees_with_the_log(fresh, table, tamper):
    from crm.store.check import CheckReport, check_consistency, repair

    db = fresh()
    write([(0, -60, "", "out", "message"), (0, -31, "T09:00", "in", "call"), (1, -45, "", "out", "check-in"),
           (1, -40, "", "in", "message"), (2, -10, "T17:30", "out", "message"), (3, -1, "", "in", "note")])
    before = review(AS_OF, 10)

    def found():
        report = check_consistency(db.connection(), CheckReport(database="t"))
        return report, [(p.check, p.table) for p in report.problems if p.check.endswith("-summary")]

    assert found()[1] == []
    db.execute_sql(tamper)  # a hand edit of a derived table
    report, problems = found()
    assert ("review-summary", table) in problems
    fixed = repair(db.connection(), report)  # crm check --repair rebuilds them from the log
    assert ("review-summary", table) in [(p.check, p.table) for p in fixed]
    assert found()[1] == [] and review(AS_OF, 10) == before


def test_the_frozen_review_kinds_are_the_reviews():
    """m011 froze the kinds and the reply window its triggers count; changing these needs a new
    migration that rebuilds the tables."""
    from crm.store.migrations import NO_ANSWER_M011, NOT_A_TOUCH_M009, REPLY_WINDOW_M011

    assert NO_ANSWER_M011 == "(" + ", ".join(f"'{k}'" for k in sorted(settings.NO_ANSWER_EXPECTED_KINDS)) + ")"
    assert NOT_A_TOUCH_M009 == "(" + ", ".join(f"'{k}'" for k in sorted(settings.NOT_A_TOUCH_KINDS)) + ")"
    assert REPLY_WINDOW_M011 == REPLY_WINDOW_DAYS
