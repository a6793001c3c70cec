"""crm review through the CLI, with every number computed by hand; and the SQL held equal to a
plain-Python statement of the reply rule on random logs."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from crm.views.review import REPLY_WINDOW_DAYS, format_review, sparkline
from fuzzing import examples


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def build_story(run):
    """Eight weeks ending Sunday 26 April 2026 (start Monday 2 March). Contacts:
    1 Ada recruiter (60 d), 2 Björn interviewer (90 d), 3 Cleo mentor never touched,
    4 Dan and 9 Ivy role other (not on keep-warm), 5 Eve recruiter added after the review,
    6 Finn recruiter last touched 10 Jan, 7 Gus referrer last touched 1 Nov, 8 Hana peer."""
    for name, role, added in [
        ("Ada Lovelace", "recruiter", "2026-01-01"), ("Björn Lindqvist", "interviewer", "2026-01-01"),
        ("Cleo Park", "mentor", "2025-06-01"), ("Dan Ng", None, "2026-01-01"),
        ("Eve Stone", "recruiter", "2026-05-01"), ("Finn Berg", "recruiter", "2025-06-01"),
        ("Gus Rossi", "referrer", "2025-06-01"), ("Hana Kim", "peer", "2026-01-01"), ("Ivy Chen", None, "2026-01-01"),
    ]:
        ok(run("add", name, "--on", added, *(["--role", role] if role else [])))
    offer = ok(run("offer", "add", "article", "Rust at the edge", "--interest", "rust", "--on", "2026-02-01"))
    offer_id = offer.stdout.strip()

    def log(who, kind, on, *extra):
        ok(run("log", who, kind, "--on", on, *extra))

    log("ada", "check-in", "2026-03-02")                  # w1 out: answered by the message on 4 Mar
    log("ada", "message", "2026-03-04", "--inbound")      # w1 in
    log("ada", "status-check", "2026-03-10")              # w2 out: unanswered (next outbound came first)
    log("ada", "message", "2026-03-12")                   # w2 out: answered by the call on 14 Mar
    log("ada", "call", "2026-03-14", "--inbound")         # w2 in
    log("ada", "note", "2026-03-15")                      # a note is not a touch
    log("bjorn", "thank-you", "2026-02-20")               # before the window
    log("bjorn", "message", "2026-03-03", "--inbound")    # w1 in (answers an outbound outside the window)
    log("bjorn", "value-offer", "2026-03-20", "--offer", offer_id)  # w3 out, offer: reply after 31 days
    log("bjorn", "message", "2026-04-20", "--inbound")    # w8 in
    log("dan", "message", "2026-03-05T09:00", "--inbound")  # w1 in, before the outbound of that day
    log("dan", "message", "2026-03-05T10:00")             # w1 out: nothing follows it, 52 days ago
    log("dan", "message", "2026-03-24")                   # w4 out: answered exactly 30 days later
    log("dan", "message", "2026-04-23", "--inbound")      # w8 in
    log("finn", "check-in", "2026-01-10")
    log("gus", "check-in", "2025-11-01")
    log("hana", "message", "2026-04-22")                  # w8 out: no reply yet, still waiting
    log("hana", "message", "2026-04-28", "--inbound")     # after the review: does not exist yet
    log("hana", "value-offer", "2026-04-28", "--offer", offer_id)  # after the review
    log("ivy", "message", "2026-04-10")                   # w6 out, a date alone: the start of the day
    log("ivy", "call", "2026-04-10T15:00", "--inbound")   # w6 in, answers it
    for org, position, on in [("Acme Robotics", "Platform Engineer", "2026-03-05"), ("Globex", "SRE", "2026-04-01"),
                              ("Initech", "Developer", "2026-04-02"), ("Hooli", "Architect", "2026-05-03")]:
        ok(run("interview", "bjorn", "--org", org, "--position", position, "--on", on))
    ok(run("outcome", "acme robotics", "rejected", "--on", "2026-03-16"))
    ok(run("outcome", "initech", "offer", "--on", "2026-05-01"))  # after the review: still interviewing


@pytest.fixture
def story(copy_of, run):
    copy_of(build_story)  # built once per session, copied for each test
    return run


def report(run, *args) -> dict:
    return json.loads(ok(run("review", "--json", *args)).stdout)


def week(start, end, touches, outbound, inbound, answered=0, waiting=0, offers_given=0) -> dict:
    return {"start": start, "end": end, "touches": touches, "outbound": outbound, "inbound": inbound,
            "answered": answered, "waiting": waiting, "offers_given": offers_given,
            "expecting_answer": outbound}  # this story has no thank-you, connect or congratulation


def test_review_numbers_match_the_hand_count(story):
    shown = report(story, "--on", "2026-04-26")
    assert shown["as_of"] == "2026-04-26" and shown["start"] == "2026-03-02"
    assert shown["weeks"] == [
        week("2026-03-02", "2026-03-08", 5, 2, 3, answered=1),
        week("2026-03-09", "2026-03-15", 3, 2, 1, answered=1),
        week("2026-03-16", "2026-03-22", 1, 1, 0, offers_given=1),
        week("2026-03-23", "2026-03-29", 1, 1, 0, answered=1),
        week("2026-03-30", "2026-04-05", 0, 0, 0),
        week("2026-04-06", "2026-04-12", 2, 1, 1, answered=1),
        week("2026-04-13", "2026-04-19", 0, 0, 0),
        week("2026-04-20", "2026-04-26", 3, 1, 2, waiting=1),
    ]
    assert shown["touches"] == {"total": 15, "outbound": 8, "inbound": 7}
    assert shown["replies"] == {"window_days": 30, "outbound": 8, "expecting_answer": 8, "answered": 4,
                                "unanswered": 3, "waiting": 1}
    assert shown["offers_given"] == {
        "count": 1, "touches": [{"touch": 9, "on": "2026-03-20", "contact": 2, "offer": 1}]}
    assert {name: {k: v for k, v in value.items() if k != "contacts"} for name, value in shown["keep_warm"].items()} == {
        "warm": {"count": 3, "ids": [1, 2, 8]},
        "cooling": {"count": 1, "ids": [6]},
        "cold": {"count": 2, "ids": [3, 7]},
    }
    assert all(sorted(c["id"] for c in v["contacts"]) == v["ids"] for v in shown["keep_warm"].values())
    assert {stage: v["ids"] for stage, v in shown["applications"].items()} == {
        "applied": [], "interviewing": [2, 3], "offer": [], "hired": [], "rejected": [1], "withdrawn": [],
        "closed": [],
    }
    assert all(v["count"] == len(v["ids"]) for v in shown["applications"].values())


def test_review_ignores_everything_after_on(story):
    shown = report(story, "--on", "2026-03-15", "--weeks", "2")
    assert shown["weeks"] == [
        week("2026-03-02", "2026-03-08", 5, 2, 3, answered=1, waiting=1),  # Dan's 5 Mar: 10 days, still open
        week("2026-03-09", "2026-03-15", 3, 2, 1, answered=1),
    ]
    assert shown["replies"] == {"window_days": 30, "outbound": 4, "expecting_answer": 4, "answered": 2,
                                "unanswered": 1, "waiting": 1}
    assert shown["offers_given"] == {"count": 0, "touches": []}
    assert {k: v["ids"] for k, v in shown["keep_warm"].items()} == {
        "warm": [1, 2], "cooling": [6], "cold": [3, 7, 8]}  # Hana: not touched yet
    assert shown["applications"]["interviewing"]["ids"] == [1]  # rejected on the 16th: not known yet
    assert sum(v["count"] for v in shown["applications"].values()) == 1


WARMTH_NAMES = [("warm", "Ada Lovelace, Björn Lindqvist, Hana Kim"), ("cooling", "Finn Berg"),
                ("cold", "Cleo Park, Gus Rossi")]


def test_review_text_has_the_sparkline_and_the_counts(story):
    text = ok(story("review", "--on", "2026-04-26")).stdout
    assert text == (
        "Review of 8 weeks: 2026-03-02 .. 2026-04-26 (each week ends on a Sunday)\n"
        "\n"
        "  touches       █▅▂▂▁▄▁▅  5 3 1 1 0 2 0 3 per week; 8 out, 7 in\n"
        "  replies       4 of 8 touches expecting an answer answered; 1 still waiting, 3 unanswered (30-day window)\n"
        "  offers given  1\n"
        "  keep-warm     3 warm, 1 cooling, 2 cold\n"
        + "".join(f"    {name:<9} {names}\n" for name, names in WARMTH_NAMES)
        +
        "  applications  2 interviewing, 1 rejected\n"
    )


def test_review_of_an_empty_database(run):
    shown = report(run, "--on", "2026-03-01", "--weeks", "1")
    assert shown["weeks"] == [week("2026-02-23", "2026-03-01", 0, 0, 0)]
    assert shown["replies"]["outbound"] == 0 and shown["keep_warm"]["cold"] == {"count": 0, "ids": [], "contacts": []}
    text = ok(run("review", "--on", "2026-03-01", "--weeks", "1")).stdout
    assert text.startswith("Review of 1 week: 2026-02-23 .. 2026-03-01 (each week ends on a Sunday)\n")
    assert "  touches       ▁  0 per week; 0 out, 0 in\n" in text and text.endswith("  applications  none\n")


@pytest.mark.parametrize("args, code, start", [
    (("review", "--on", "2026-13-01"), 2, "Error: bad date '2026-13-01'"),
    (("review", "--weeks", "0"), 2, "Error: --weeks must be a positive number, not 0"),
    (("review", "--weeks", "521"), 2, "Error: --weeks goes up to 520"),
])
def test_review_failures_are_one_line(run, args, code, start):
    result = run(*args)
    assert result.exit_code == code and result.stderr.startswith(start) and result.stderr.count("\n") == 1


@pytest.mark.parametrize("values, expected", [
    ([], ""), ([0, 0], "▁▁"), ([1], "█"), ([100, 1, 0], "█▂▁"),
    ([0, 1, 2, 3, 4, 5, 6, 7], "▁▂▃▄▅▆▇█"),
])
def test_sparkline_is_zero_based_and_keeps_small_counts_visible(values, expected):
    assert sparkline(values) == expected


# ---- the SQL against a plain statement of the rules ---------------------------------------------

AS_OF = date(2026, 3, 29)


def plain_review(touches, as_of, weeks):
    """touches: (id, contact, on, direction, kind). The rules of docs/drafts-and-review.md, plainly."""
    start = as_of - timedelta(days=7 * weeks - 1)
    log = sorted((t for t in touches if t[4] != "note" and t[2][:10] <= as_of.isoformat()), key=lambda t: (t[2], t[0]))
    per_week = {ago: [0, 0, 0, 0, 0] for ago in range(weeks)}  # touches, out, in, answered, waiting
    for i, (tid, contact, on, direction, _kind) in enumerate(log):
        day = date.fromisoformat(on[:10])
        if day < start:
            continue
        ago = (as_of - day).days // 7
        row = per_week[ago]
        row[0] += 1
        row[1 if direction == "out" else 2] += 1
        if direction != "out":
            continue
        later = [t for t in log[i + 1:] if t[1] == contact]
        until_next = []
        for t in later:
            if t[3] == "out":
                break
            until_next.append(t)
        followed = len(until_next) < len(later)
        answered = any((date.fromisoformat(t[2][:10]) - day).days <= REPLY_WINDOW_DAYS for t in until_next)
        row[3] += answered
        row[4] += not answered and not followed and (as_of - day).days <= REPLY_WINDOW_DAYS
    return [per_week[ago] for ago in range(weeks - 1, -1, -1)]


touch_strategy = st.tuples(
    st.integers(1, 2),
    # Coarse days, so that the 30-day and week boundaries are hit; +5: after --on, never counted.
    st.sampled_from([-80, -70, -60, -50, -40, -30, -20, -10, -6, -1, 0, 5]).map(lambda d: AS_OF + timedelta(days=d)),
    st.sampled_from(["", "T09:00", "T17:30"]),
    st.sampled_from(["out", "in"]),
    st.sampled_from(["message", "message", "call", "note"]),
)


@pytest.fixture
def bare_db(private_database):
    from crm.store.db import open_database
    from crm.store.models import Contact

    db = open_database(private_database, applied_at="2026-01-01T00:00:00")
    for i in (1, 2, 3):
        Contact.create(display_name=f"C{i}", name_key=f"c{i}", created_at="2026-01-01T00:00:00",
                       updated_at="2026-01-01T00:00:00")
    yield db
    db.close()


# The fixture's contacts stay; each example replaces the whole log.
@hsettings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.lists(touch_strategy, max_size=20), weeks=st.integers(1, 12))
@example(raw=[(1, AS_OF - timedelta(days=60), "", "out", "message"),  # answered on the 30th day
              (1, AS_OF - timedelta(days=30), "T09:00", "in", "call")], weeks=12)
@example(raw=[(1, AS_OF - timedelta(days=30), "", "out", "message"),  # still waiting on the 30th day
              (2, AS_OF - timedelta(days=1), "T17:30", "out", "message"),
              (2, AS_OF - timedelta(days=1), "T09:00", "in", "message")], weeks=5)
def test_review_sql_equals_the_plain_rules(bare_db, raw, weeks):
    from crm.store.models import Touchpoint
    from crm.views.review import review

    Touchpoint.delete().execute()
    rows = [{"contact": c, "on": day.isoformat() + time, "kind": kind, "direction": direction,
             "created_at": "2026-01-01T00:00:00"} for c, day, time, direction, kind in raw]
    if rows:
        Touchpoint.insert_many(rows).execute()
    touches = [(t.id, t.contact_id, t.on, t.direction, t.kind) for t in Touchpoint.select()]
    shown = review(AS_OF, weeks)
    assert [[w["touches"], w["outbound"], w["inbound"], w["answered"], w["waiting"]] for w in shown["weeks"]] == (
        plain_review(touches, AS_OF, weeks))
    assert format_review(shown).count("\n") >= 5


def test_thank_yous_and_connects_expect_no_answer(run):
    ok(run("add", "Ann Lee", "--role", "recruiter", "--on", "2026-03-01"))
    ok(run("log", "ann", "thank-you", "--on", "2026-03-02"))
    ok(run("log", "ann", "connect", "--on", "2026-03-03"))
    ok(run("log", "ann", "status-check", "--on", "2026-03-04"))
    replies = report(run, "--on", "2026-04-26")["replies"]
    assert replies["outbound"] == 3 and replies["expecting_answer"] == 1 and replies["unanswered"] == 1
