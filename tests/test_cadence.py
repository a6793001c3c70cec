"""The cadence engine, rule by rule, by replaying days over a story told in memory.

Day numbers are relative to DAY0. Each test tells a small story (people, interviews, touches)
and asks the pure engine what is due on given days; docs/cadence.md has the same examples.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from crm.cadence import engine as cadence
from crm.cadence import settings
from crm.cadence.engine import Application, Contact, Offer, Round, Touch
from crm.cadence.rules import first_offset

DAY0 = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def every_day_a_working_day(monkeypatch):
    """Rules 1-12 on their own: rule 13 (business days) would move some of these days off a
    weekend; tests/test_conversation.py tests it with the default setting."""
    monkeypatch.setattr(settings, "WORKING_DAYS", frozenset(range(7)))


def d(n: int) -> date:
    return DAY0 + timedelta(days=n)


class Story:
    """A history built in memory: `today(n)` replays day n on the pure engine."""

    def __init__(self) -> None:
        self.contacts: dict[int, Contact] = {}
        self.applications: dict[int, Application] = {}
        self.offers: dict[int, Offer] = {}
        self.touches: list[Touch] = []

    def person(self, name: str, role: str = "other", *, org: str | None = "Acme", cadence_days=None,
               interests=(), created: int = -400, snoozed_until: int | None = None, paused=False) -> int:
        cid = len(self.contacts) + 1
        self.contacts[cid] = Contact(
            cid, name, org, role, d(created), cadence_days,
            None if snoozed_until is None else d(snoozed_until), paused, frozenset(interests),
        )
        return cid

    def touch(self, who: int, day: int, kind: str = "message", direction: str = "out", *,
              offer: int | None = None, application: int | None = None) -> None:
        self.touches.append(Touch(who, d(day), kind, direction, offer, application))

    def application(self, org: str = "Acme", position: str = "Data Engineer", *, recruiter: int | None = None,
                    reply_by: int | None = None) -> int:
        aid = len(self.applications) + 1
        self.applications[aid] = Application(
            aid, org, position, recruiter, None if reply_by is None else d(reply_by)
        )
        return aid

    def interview(self, aid: int, day: int, *interviewers: int, reply_by: int | None = None) -> None:
        app = self.applications[aid]
        round_ = Round(100 * aid + len(app.rounds) + 1, len(app.rounds) + 1, d(day),
                       None if reply_by is None else d(reply_by), tuple(interviewers))
        self.applications[aid] = replace(app, rounds=app.rounds + (round_,))

    def outcome(self, aid: int, outcome: str, day: int) -> None:
        self.applications[aid] = replace(self.applications[aid], outcome=outcome, outcome_on=d(day))

    def offer(self, kind: str, title: str, day: int, *, for_contact: int | None = None, interests=(),
              introduce: int | None = None) -> int:
        oid = len(self.offers) + 1
        self.offers[oid] = Offer(oid, kind, title, f"https://example.org/{oid}", d(day), for_contact,
                                 introduce, frozenset(interests))
        return oid

    def snapshot(self, day: int) -> cadence.Snapshot:
        return cadence.from_log(d(day), self.contacts.values(), self.applications.values(),
                                self.offers.values(), self.touches)

    def today(self, day: int) -> list[cadence.Suggestion]:
        return cadence.suggest(self.snapshot(day), d(day))

    def due(self, day: int) -> list[tuple[str, str]]:
        """[(action, name)] due on day n, in rank order."""
        return [(s.action, s.contact.name) for s in self.today(day)]

    def first_day(self, action: str, name: str, start: int, stop: int) -> int | None:
        for day in range(start, stop):
            if (action, name) in self.due(day):
                return day
        return None


# ---- the issue's walk-through ---------------------------------------------------------------


def test_the_issue_story_day_by_day():
    story = Story()
    rita = story.person("Rita Recruiter")
    ivan = story.person("Ivan Interviewer", interests=["rust"])
    app = story.application(recruiter=rita)
    story.interview(app, 0, ivan, reply_by=7)  # "we'll get back to you within a week"

    assert story.due(-2) == []
    assert story.due(-1) == [("prepare", "Ivan Interviewer")]  # rule 0: the day before
    assert story.due(0) == [("thank-you", "Ivan Interviewer")]
    assert story.today(0)[0].reason == "Interviewed you at Acme on 2 Mar; no thank-you logged yet."
    story.touch(ivan, 0, "thank-you")
    assert story.due(0) == []
    assert story.due(1) == [("connect", "Ivan Interviewer"), ("connect", "Rita Recruiter")]
    story.touch(ivan, 1, "connect")
    story.touch(rita, 1, "connect")
    assert [story.due(n) for n in range(1, 8)] == [[]] * 7
    assert story.due(8) == [("status-check", "Rita Recruiter")]  # the day after the timeline
    story.touch(rita, 8, "status-check")
    assert [story.due(n) for n in range(8, 22)] == [[]] * 14  # nothing for 14 days after it
    assert story.due(22) == [("status-check", "Rita Recruiter")]
    story.touch(rita, 22, "status-check")
    assert story.first_day("status-check", "Rita Recruiter", 22, 200) is None  # two unanswered: no more
    story.outcome(app, "rejected", 30)
    assert story.due(30) == [("feedback-request", "Rita Recruiter")]
    assert "turned you down for Data Engineer on 1 Apr" in story.today(30)[0].reason


def test_value_offer_sixty_days_after_the_last_touch():
    story = Story()
    rita = story.person("Rita", "recruiter", interests=["python"])
    article = story.offer("article", "Typing in practice", -30, interests=["python", "typing"])
    story.touch(rita, 0, "call", "in")
    assert story.first_day("value-offer", "Rita", 1, 100) == 60
    [suggestion] = story.today(60)
    assert suggestion.offer.id == article
    assert suggestion.reason == (
        "Last in touch on 2 Mar; share \u201cTyping in practice\u201d (you share an interest in python)."
    )


# ---- rule 1: thank-you -------------------------------------------------------------------


def test_thank_you_is_due_on_the_interview_day_and_overdue_after():
    story = Story()
    a, b = story.person("Ann"), story.person("Bob")
    story.interview(story.application(), 0, a, b)
    assert story.due(0) == [("thank-you", "Ann"), ("thank-you", "Bob")]
    assert [s.overdue_days for s in story.today(3)] == [3, 3]
    assert all(s.due == d(0) for s in story.today(3))


def test_thank_you_needs_an_outbound_touch_on_or_after_the_interview():
    story = Story()
    a, b, c = story.person("Ann"), story.person("Bob"), story.person("Cy")
    story.interview(story.application(), 5, a, b, c)
    story.touch(a, 4, "message")  # before: does not count
    story.touch(b, 6, "message", "in")  # inbound: does not count
    story.touch(c, 5, "thank-you")
    assert story.due(6) == [("thank-you", "Ann"), ("thank-you", "Bob"), ("connect", "Cy")]
    story.touch(a, 6, "note")  # a note is not a touch
    assert ("thank-you", "Ann") in story.due(7)


def test_thank_you_after_a_second_round_with_the_same_interviewer():
    story = Story()
    ann = story.person("Ann")
    app = story.application()
    story.interview(app, 0, ann)
    story.touch(ann, 0, "thank-you")
    story.interview(app, 10, ann)
    assert story.due(10) == [("thank-you", "Ann")]


def test_a_date_time_interview_and_a_future_round_as_of():
    story = Story()
    ann = story.person("Ann")
    story.interview(story.application(), 3, ann)
    assert story.due(1) == []
    assert story.due(2) == [("prepare", "Ann")]  # not held yet as of day 2: only rule 0 sees it
    assert story.due(3) == [("thank-you", "Ann")]


# ---- rule 2: status-check ----------------------------------------------------------------


def test_status_check_ten_days_after_the_interview_without_a_timeline():
    story = Story()
    rita, ivan = story.person("Rita"), story.person("Ivan")
    app = story.application(recruiter=rita)
    story.interview(app, 0, ivan)
    story.touch(ivan, 0, "thank-you")
    story.touch(ivan, 1, "connect")
    story.touch(rita, 1, "connect")
    assert story.first_day("status-check", "Rita", 0, 40) == 10
    assert story.today(10)[0].reason == (
        "Interviewed for Data Engineer at Acme on 2 Mar with no timeline given; ask where things stand."
    )


def test_status_check_uses_the_latest_round_and_its_timeline():
    story = Story()
    rita, ivan = story.person("Rita"), story.person("Ivan")
    app = story.application(recruiter=rita, reply_by=3)
    story.interview(app, 0, ivan)
    story.interview(app, 5, ivan)  # the application's reply-by is older than this round: no timeline
    story.touch(ivan, 5, "thank-you")
    story.touch(rita, 6, "connect")
    story.touch(ivan, 6, "connect")
    # Day 4, the day before round 2: the briefing outranks the thank-you still owed to Ivan,
    # which comes back on day 5 (it never lapses).
    assert story.due(4) == [("prepare", "Ivan"), ("status-check", "Rita")]  # round 1's timeline has passed
    assert story.first_day("status-check", "Rita", 5, 40) == 15


def test_status_check_uses_the_applications_timeline_when_the_round_has_none():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita, reply_by=4)
    story.interview(app, 0)
    story.touch(rita, 1, "connect")
    assert story.first_day("status-check", "Rita", 0, 40) == 8  # held back by rule 6: connect on day 1


# Boundaries docs/cadence.md states ("the day after the timeline"; "the application's reply-by if
# it is not older than that round"; "an inbound touch dated on the interview day itself is the
# interview, not an answer"), each held at the exact day.


def test_a_rounds_reply_by_on_the_interview_day_makes_the_check_due_the_next_day():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita)
    story.interview(app, 0, reply_by=0)  # "we'll tell you by tonight"
    assert story.due(0) == []
    assert story.due(1) == [("status-check", "Rita")]
    assert story.today(1)[0].reason == (
        "Acme said they would reply about Data Engineer by 2 Mar; nothing since: ask where things stand."
    )


def test_an_applications_reply_by_on_the_interview_day_is_not_older_than_the_round():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita, reply_by=5)
    story.interview(app, 5)  # the round has no reply-by of its own; the application's is that same day
    assert story.first_day("status-check", "Rita", 0, 40) == 6  # not 15: the timeline still applies
    assert "said they would reply about Data Engineer by 7 Mar" in story.today(6)[0].reason


def test_a_reply_on_the_interview_day_itself_is_not_an_answer():
    story = Story()
    rita, ivan = story.person("Rita"), story.person("Ivan")
    app = story.application(recruiter=rita)
    story.interview(app, 0, ivan, reply_by=7)
    story.touch(ivan, 0, "message", "in")  # the interview (or its invitation) on its own day
    story.touch(rita, 0, "call", "in")
    story.touch(ivan, 0, "thank-you")

    def reason(day: int) -> str:
        (check,) = [s for s in story.today(day) if s.action == "status-check"]
        return check.reason

    assert story.first_day("status-check", "Rita", 1, 40) == 8  # the timeline, not 10 days after a "reply"
    assert reason(8).startswith("Acme said they would reply about Data Engineer by 9 Mar")
    story.touch(ivan, 1, "message", "in")  # the day after: that is an answer
    assert story.first_day("status-check", "Rita", 1, 40) == 11
    assert reason(11) == "Last heard about Data Engineer at Acme on 3 Mar; ask where things stand."


def test_status_check_goes_to_the_first_interviewer_of_the_latest_round_without_a_recruiter():
    story = Story()
    ann, bob, cy = story.person("Ann"), story.person("Bob"), story.person("Cy")
    app = story.application()
    story.interview(app, 0, ann)
    story.interview(app, 2, cy, bob)
    for who in (ann, bob, cy):
        story.touch(who, 2, "connect")
    assert story.due(12) == [("status-check", "Cy")]


def test_a_reply_moves_the_next_status_check_to_ten_days_after_it():
    story = Story()
    rita, ivan = story.person("Rita"), story.person("Ivan")
    app = story.application(recruiter=rita)
    story.interview(app, 0, ivan, reply_by=7)
    story.touch(ivan, 0, "thank-you")
    story.touch(ivan, 0, "meeting", "in")  # the interview itself, on its day: not an answer
    story.touch(ivan, 3, "message", "in")  # an interviewer writes back: the application answered
    assert story.first_day("status-check", "Rita", 1, 40) == 13
    assert story.today(13)[0].reason == "Last heard about Data Engineer at Acme on 5 Mar; ask where things stand."


def test_an_answered_status_check_resets_the_follow_ups():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita)
    story.interview(app, 0, reply_by=7)
    story.touch(rita, 8, "status-check")
    story.touch(rita, 8, "message", "in")  # same-day answer
    assert story.first_day("status-check", "Rita", 9, 60) == 18
    story.touch(rita, 18, "status-check")
    assert story.first_day("status-check", "Rita", 19, 60) == 32
    story.touch(rita, 32, "status-check")
    assert story.first_day("status-check", "Rita", 33, 200) is None


def test_status_check_attribution():
    story = Story()
    rita, hugo = story.person("Rita"), story.person("Hugo")
    app = story.application(recruiter=rita)
    other = story.application("Initech", recruiter=rita)
    story.interview(app, 0, reply_by=7)
    story.interview(other, 0, reply_by=60)
    story.touch(rita, 8, "status-check", application=other)  # about the other application: not this one
    assert story.first_day("status-check", "Rita", 9, 40) == 15  # rule 6 only
    story.touch(hugo, 15, "status-check", application=app)  # linked to the application: counts
    story.touch(rita, 15, "status-check")  # unlinked, and Rita is on it: counts
    assert story.first_day("status-check", "Rita", 16, 200) is None  # two unanswered


def test_an_outcome_ends_status_checks_from_its_day():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita)
    story.interview(app, 0, reply_by=7)
    story.touch(rita, 1, "connect")
    story.outcome(app, "offer", 9)
    assert story.due(8) == [("status-check", "Rita")]
    assert story.due(9) == []


def test_after_two_unanswered_status_checks_the_recruiter_returns_to_keep_warm():
    story = Story()
    rita = story.person("Rita", "recruiter")
    app = story.application(recruiter=rita)
    story.touch(rita, -5, "call", "in")
    story.interview(app, 0, reply_by=7)
    story.touch(rita, 1, "connect")
    story.touch(rita, 8, "status-check")
    story.touch(rita, 22, "status-check")
    assert story.first_day("check-in", "Rita", 23, 200) == 22 + 60
    assert story.due(22 + 60) == [("check-in", "Rita")]


# ---- rule 3: feedback-request ------------------------------------------------------------


def test_rejection_makes_the_recruiter_due_a_feedback_request_the_same_day():
    story = Story()
    rita, ivan = story.person("Rita"), story.person("Ivan")
    app = story.application(recruiter=rita)
    story.interview(app, 0, ivan)
    story.touch(ivan, 0, "thank-you")
    story.touch(rita, 1, "connect")
    story.touch(ivan, 1, "connect")
    story.outcome(app, "rejected", 4)
    assert story.due(4) == [("feedback-request", "Rita")]
    story.touch(rita, 4, "feedback-request")
    assert story.due(5) == []


def test_rejection_without_a_recruiter_goes_to_every_interviewer():
    story = Story()
    ann, bob = story.person("Ann"), story.person("Bob")
    app = story.application()
    story.interview(app, 0, ann)
    story.interview(app, 3, bob)
    story.touch(ann, 3, "connect")
    story.touch(bob, 3, "connect")
    story.outcome(app, "rejected", 20)
    assert story.due(20) == [("feedback-request", "Ann"), ("feedback-request", "Bob")]
    story.touch(ann, 19, "message")  # before the rejection: does not count
    assert ("feedback-request", "Ann") in story.due(21)


def test_feedback_request_is_not_held_back_by_a_recent_touch():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita)
    story.interview(app, 0)
    story.touch(rita, 1, "connect")
    story.touch(rita, 3, "status-check")
    story.outcome(app, "rejected", 5)
    assert story.due(5) == [("feedback-request", "Rita")]


def test_other_outcomes_ask_for_no_feedback():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita)
    story.interview(app, 0)
    story.touch(rita, 1, "connect")
    story.outcome(app, "closed", 5)
    assert story.due(5) == []


def test_interview_and_rejection_the_same_day_give_one_suggestion_the_thank_you():
    story = Story()
    ann = story.person("Ann")
    app = story.application()
    story.interview(app, 0, ann)
    story.outcome(app, "rejected", 0)
    assert story.due(0) == [("thank-you", "Ann")]
    story.touch(ann, 0, "thank-you")  # one touch answers both
    assert story.due(0) == []


# ---- rule 4: congratulate ----------------------------------------------------------------


def test_congratulate_from_the_offer_date_until_given():
    story = Story()
    pat = story.person("Pat")
    offer = story.offer("congratulation", "New job at Initech", 3, for_contact=pat)
    assert story.due(2) == []
    assert story.due(3) == [("congratulate", "Pat")]
    assert story.today(5)[0].reason == "New job at Initech (5 Mar); send your congratulations."
    assert story.today(5)[0].overdue_days == 2
    story.touch(pat, 6, "message", offer=offer)
    assert story.due(7 + 7) == []


def test_a_congratulate_touch_before_the_offer_does_not_count_one_after_does():
    story = Story()
    pat = story.person("Pat")
    story.offer("congratulation", "Promoted", 10, for_contact=pat)
    story.touch(pat, 0, "congratulate")
    assert story.due(10) == [("congratulate", "Pat")]
    story.touch(pat, 10, "congratulate")
    assert story.due(30) == []


def test_congratulate_is_held_back_by_a_recent_outbound_touch():
    story = Story()
    pat = story.person("Pat")
    story.offer("congratulation", "Promoted", 10, for_contact=pat)
    story.touch(pat, 8, "message")
    assert story.first_day("congratulate", "Pat", 0, 30) == 15
    assert story.today(15)[0].overdue_days == 0


# ---- rule 5: keep-warm -------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, days",
    [("recruiter", 60), ("referrer", 60), ("interviewer", 90), ("hiring-manager", 90), ("mentor", 90), ("peer", 90)],
)
def test_keep_warm_interval_by_role(role, days):
    story = Story()
    who = story.person("Sam", role)
    story.touch(who, 0, "message", "in")
    assert story.first_day("check-in", "Sam", 1, 200) == days


def test_an_own_cadence_overrides_the_role_and_puts_other_on_keep_warm():
    story = Story()
    a = story.person("Ann", "recruiter", cadence_days=20)
    b = story.person("Bob", cadence_days=30)
    c = story.person("Cy")
    for who in (a, b, c):
        story.touch(who, 0, "call", "in")
    assert story.first_day("check-in", "Ann", 1, 200) == 20
    assert story.first_day("check-in", "Bob", 1, 200) == 30
    assert story.first_day("check-in", "Cy", 1, 400) is None


def test_keep_warm_counts_from_the_last_touch_in_either_direction():
    story = Story()
    sam = story.person("Sam", "mentor")
    story.touch(sam, 0, "message")
    story.touch(sam, 50, "message", "in")
    assert story.first_day("check-in", "Sam", 1, 200) == 140


def test_best_fitting_offer_most_shared_interests_then_newest_then_id():
    story = Story()
    sam = story.person("Sam", "peer", interests=["go", "rust", "sql"])
    story.touch(sam, -90, "message", "in")
    one = story.offer("article", "One", -10, interests=["rust"])
    two = story.offer("event", "Two", -20, interests=["rust", "go"])
    three = story.offer("resource", "Three", -5, interests=["sql", "go"])
    four = story.offer("resource", "Four", -5, interests=["go", "rust"])
    story.offer("congratulation", "Never a value offer", -1, interests=["rust", "go", "sql"])
    story.offer("article", "Not yet written", 5, interests=["rust", "go", "sql"])
    story.offer("article", "No shared interest", -1, interests=["cooking"])

    def offered(day: int) -> int | None:
        [s] = story.today(day)
        return s.offer.id if s.action == "value-offer" else None

    assert offered(0) == four  # two shared, newest, then highest id
    story.touch(sam, -100, "message", "out", offer=four)  # already given: never offered again
    assert offered(0) == three
    story.touch(sam, -100, "message", "out", offer=three)
    assert offered(0) == two
    story.touch(sam, -100, "message", "out", offer=two)
    assert offered(0) == one
    story.touch(sam, -100, "message", "out", offer=one)
    assert offered(0) is None
    assert story.due(0) == [("check-in", "Sam")]


def test_an_offer_made_for_the_contact_fits_best_and_introductions_skip_the_person_introduced():
    story = Story()
    sam = story.person("Sam", "peer", interests=["rust"])
    story.touch(sam, -90, "message", "in")
    story.offer("introduction", "Meet Sam", -5, interests=["rust"], introduce=sam)
    general = story.offer("article", "Rust news", -50, interests=["rust"])
    assert story.today(0)[0].offer.id == general
    mine = story.offer("resource", "Your reading list", -60, for_contact=sam)
    assert story.today(0)[0].offer.id == mine
    assert story.today(0)[0].reason.endswith("(you noted it for them).")


def test_keep_warm_goes_on_after_an_application_ends():
    story = Story()
    ivan = story.person("Ivan", "interviewer")
    app = story.application()
    story.interview(app, 0, ivan)
    story.touch(ivan, 0, "thank-you")
    story.touch(ivan, 1, "connect")
    story.outcome(app, "closed", 20)
    assert story.first_day("check-in", "Ivan", 2, 200) == 91


# ---- rule 6: never needy -----------------------------------------------------------------


def test_nothing_but_event_answers_within_seven_days_of_an_outbound_touch():
    story = Story()
    rita = story.person("Rita")
    app = story.application(recruiter=rita)
    story.interview(app, 0, reply_by=7)
    story.touch(rita, 1, "connect")
    story.touch(rita, 6, "message")  # "thanks for arranging it"
    assert story.first_day("status-check", "Rita", 0, 40) == 13
    assert story.today(13)[0].due == d(13) and story.today(14)[0].overdue_days == 1


def test_a_recent_outbound_touch_defers_but_does_not_reset_an_inbound_cadence():
    story = Story()
    sam = story.person("Sam", cadence_days=3)
    story.touch(sam, 0, "message", "in")
    story.touch(sam, 0, "message")
    # Due on day 3 by the cadence, held back until the outbound touch is 7 days old.
    assert story.first_day("check-in", "Sam", 1, 30) == 7
    assert story.today(7)[0].due == d(7)


def test_thank_you_and_connect_are_answers_and_not_held_back():
    story = Story()
    ann = story.person("Ann")
    story.touch(ann, -1, "message")
    app = story.application()
    story.interview(app, 0, ann)
    assert story.due(0) == [("thank-you", "Ann")]
    story.touch(ann, 0, "thank-you")
    assert story.due(1) == [("connect", "Ann")]


def test_two_unanswered_keep_warm_touches_double_the_interval_until_they_answer():
    story = Story()
    rita = story.person("Rita", "recruiter")
    story.touch(rita, 0, "message", "in")
    story.touch(rita, 60, "check-in")
    assert story.first_day("check-in", "Rita", 61, 300) == 120  # one unanswered: normal interval
    story.touch(rita, 120, "value-offer")
    assert story.first_day("check-in", "Rita", 121, 400) == 240  # two unanswered: doubled
    assert "went unanswered" in story.today(240)[0].reason
    story.touch(rita, 130, "message", "in")  # they answer
    assert story.first_day("check-in", "Rita", 131, 400) == 190


def test_only_keep_warm_kinds_count_towards_doubling():
    story = Story()
    rita = story.person("Rita", "recruiter")
    story.touch(rita, 0, "message", "in")
    story.touch(rita, 30, "status-check")
    story.touch(rita, 60, "meeting")
    assert story.first_day("check-in", "Rita", 61, 300) == 120


def test_one_suggestion_per_contact_the_highest_ranked():
    story = Story()
    rita = story.person("Rita", "recruiter")
    story.offer("congratulation", "Promoted", -10, for_contact=rita)
    app = story.application(recruiter=rita)
    story.interview(app, -20, rita)  # she also interviewed: thank-you outranks everything
    assert story.due(0) == [("thank-you", "Rita")]


# ---- rule 7: snooze and pause ------------------------------------------------------------


def test_snoozed_until_a_day_means_back_on_that_day():
    story = Story()
    ann = story.person("Ann", snoozed_until=5)
    story.interview(story.application(), 0, ann)
    assert story.due(4) == []
    assert story.due(5) == [("thank-you", "Ann")]
    assert story.today(5)[0].overdue_days == 5


def test_paused_gets_nothing():
    story = Story()
    rita = story.person("Rita", "recruiter", paused=True)
    app = story.application(recruiter=rita)
    story.interview(app, 0, rita)
    story.outcome(app, "rejected", 3)
    assert all(story.due(n) == [] for n in range(0, 200, 7))


def test_a_paused_recruiter_does_not_pass_the_status_check_to_an_interviewer():
    story = Story()
    rita, ivan = story.person("Rita", paused=True), story.person("Ivan")
    app = story.application(recruiter=rita)
    story.interview(app, 0, ivan)
    story.touch(ivan, 0, "thank-you")
    story.touch(ivan, 1, "connect")
    assert story.first_day("status-check", "Ivan", 0, 60) is None


# ---- rule 8: order -----------------------------------------------------------------------


def test_order_by_action_then_most_overdue_then_name_then_id():
    story = Story()
    zed = story.person("Zed")
    amy = story.person("amy")
    amy2 = story.person("amy")
    bob = story.person("Bob", "peer")
    cal = story.person("Cal", "peer")
    story.touch(bob, -200, "message", "in")
    story.touch(cal, -100, "message", "in")
    app = story.application()
    story.interview(app, -1, amy2, amy)
    story.interview(app, -3, zed)
    story.touch(zed, -3, "thank-you")
    got = story.today(0)
    assert [(s.action, s.contact.id) for s in got] == [
        ("thank-you", amy),
        ("thank-you", amy2),
        ("connect", zed),
        ("check-in", bob),
        ("check-in", cal),
    ]
    assert got[3].overdue_days == 110 and got[4].overdue_days == 10


def test_same_input_same_output():
    story = Story()
    for n in range(30):
        story.person(f"Person {n % 7}", "recruiter", created=-n * 3)
    assert story.today(0) == story.today(0)
    assert [s.contact.id for s in story.today(0)] == [s.contact.id for s in story.today(0)]


# ---- rule 9: connect ---------------------------------------------------------------------


def test_connect_from_the_day_after_for_fourteen_days_then_it_lapses():
    story = Story()
    ann = story.person("Ann")
    app = story.application()
    story.interview(app, 0, ann)
    story.outcome(app, "closed", 1)  # no status check to outrank it
    story.touch(ann, 0, "thank-you")
    assert [n for n in range(0, 40) if ("connect", "Ann") in story.due(n)] == list(range(1, 15))
    assert story.today(14)[0].overdue_days == 13


def test_connect_is_once_whatever_the_direction_and_not_renewed_by_a_later_application():
    story = Story()
    ann = story.person("Ann")
    story.interview(story.application(), 0, ann)
    story.touch(ann, 0, "thank-you")
    story.interview(story.application("Initech"), 30, ann)
    story.touch(ann, 30, "thank-you")
    assert story.due(31) == []  # the window opened on day 1 and lapsed
    story2 = Story()
    bob = story2.person("Bob")
    story2.interview(story2.application(), 0, bob)
    story2.touch(bob, 0, "thank-you")
    story2.touch(bob, 2, "connect", "in")  # they asked first
    assert story2.due(3) == []


def test_connect_gives_a_reason_to_connect():
    story = Story()
    rita = story.person("Rita")
    ann = story.person("Ann", interests=["rust"])
    bob = story.person("Bob", interests=["go"])
    app = story.application(recruiter=rita)
    story.interview(app, 0, ann, bob)
    article = story.offer("article", "Go at scale", -3, interests=["go"])
    for who in (ann, bob):
        story.touch(who, 0, "thank-you")
    by_name = {s.contact.name: s for s in story.today(1)}
    assert by_name["Ann"].reason == "Interviewed you at Acme on 2 Mar; connect over your shared interest in rust."
    assert by_name["Bob"].reason == (
        "Interviewed you at Acme on 2 Mar; connect and share \u201cGo at scale\u201d (you share an interest in go)."
    )
    assert by_name["Bob"].offer.id == article
    assert by_name["Rita"].reason == "Recruiter for your Data Engineer application at Acme; connect while the interview is fresh."
    assert by_name["Rita"].application.id == app


def test_connect_ranks_after_status_check_and_before_congratulate():
    story = Story()
    rita, pat = story.person("Rita"), story.person("Pat")
    story.offer("congratulation", "Promoted", -30, for_contact=pat)
    app = story.application(recruiter=rita)
    story.interview(app, -12, reply_by=-5)
    story.touch(rita, -12, "connect")
    app2 = story.application("Initech")
    story.interview(app2, -1, pat)
    story.touch(pat, -1, "thank-you")
    assert [a for a, _ in story.due(0)] == ["status-check", "connect"]


# ---- rule 10: no wall after an import ----------------------------------------------------


def test_an_import_is_spread_over_the_first_interval():
    story = Story()
    for n in range(300):
        story.person(f"R{n:03d}", "recruiter", created=0)
    first_due = {}
    for day in range(0, 61):
        for s in story.today(day):
            first_due.setdefault(s.contact.id, day)
    assert len(first_due) == 300  # everybody comes up within the first interval...
    per_day = [list(first_due.values()).count(day) for day in range(60)]
    assert max(per_day) <= 13  # ...about 5 a day, never a wall
    assert story.due(-1) == []  # and nobody before they were added


def test_first_offset_is_stable_and_in_range():
    assert [first_offset(7, 60) for _ in range(3)] == [first_offset(7, 60)] * 3
    assert all(0 <= first_offset(cid, 90) < 90 for cid in range(1000))


def test_a_contact_added_later_does_not_exist_yet():
    story = Story()
    ann = story.person("Ann", created=5)
    story.interview(story.application(), 0, ann)
    assert story.due(0) == []


# ---- output, replay, contract ------------------------------------------------------------


def test_json_shape():
    story = Story()
    ann = story.person("Ann", org=None)
    app = story.application(org="Acme", position="SRE")
    story.interview(app, 0, ann)
    assert story.today(2)[0].to_json() == {
        "contact": {"id": ann, "name": "Ann", "org": None},
        "action": "thank-you",
        "due": "2026-03-02",
        "overdue_days": 2,
        "reason": "Interviewed you at Acme on 2 Mar; no thank-you logged yet.",
        "offer": None,
        "application": {"id": app, "org": "Acme", "position": "SRE"},
    }


def test_dates_in_another_year_say_the_year():
    story = Story()
    ann = story.person("Ann")
    story.interview(story.application(), -70, ann)
    assert story.today(0)[0].reason == "Interviewed you at Acme on 22 Dec 2025; no thank-you logged yet."


def test_upcoming_lists_each_suggestion_once_on_its_first_day():
    story = Story()
    ann = story.person("Ann")
    rita = story.person("Rita")
    app = story.application(recruiter=rita)
    story.interview(app, -1, ann, reply_by=3)
    plan = cadence.upcoming(story.snapshot(0), d(0), 14)
    assert [(day - DAY0).days for day, _s in plan] == [0, 0, 4]
    assert [(s.action, s.contact.name) for _day, s in plan] == [
        ("thank-you", "Ann"), ("connect", "Rita"), ("status-check", "Rita"),
    ]
    assert cadence.upcoming(story.snapshot(0), d(0), 0) == []


def test_the_engine_refuses_a_day_before_its_snapshot():
    story = Story()
    with pytest.raises(ValueError):
        cadence.suggest(story.snapshot(5), d(4))


def test_settings_list_the_actions_in_rank_order():
    assert settings.ACTIONS[:6] == ("prepare", "thank-you", "feedback-request", "courtesy-note", "withdrawal",
                                    "status-check")
    assert settings.EVENT_ACTIONS <= set(settings.ACTIONS)
