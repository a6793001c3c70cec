"""Rules 2 (timelines), 10 (no wall), 11 (introductions), 12 (offers lapse), 13 (business days)
and 14 (the offer stage) on the pure engine, by replaying days over stories told in memory.

Day 0 is Monday 2 March 2026, so days 5, 6, 12, 13, 19, 20... are weekends. The settings are the
shipped ones (business days included).
"""
from __future__ import annotations

from dataclasses import replace

from test_cadence import Story, d

from crm.cadence import engine as cadence
from crm.cadence.model import Timeline
from crm.cadence.rules import first_offset
from crm.views.drafts import draft_for


class Talk(Story):
    def timeline(self, aid: int, stated: int, reply_by: int) -> None:
        app = self.applications[aid]
        tid = 1000 * aid + len(app.timelines) + 1
        self.applications[aid] = replace(app, timelines=app.timelines + (Timeline(tid, d(stated), d(reply_by)),))

    def set(self, cid: int, **fields) -> None:
        self.contacts[cid] = replace(self.contacts[cid], **{
            k: d(v) if k in ("keep_warm_since", "snoozed_until") and v is not None else v for k, v in fields.items()})

    def days_with(self, action: str, name: str, start: int, stop: int) -> list[int]:
        return [n for n in range(start, stop) if (action, name) in self.due(n)]

    def one(self, day: int, name: str) -> cadence.Suggestion:
        return next(s for s in self.today(day) if s.contact.name == name)


# ---- rule 2: the latest stated timeline governs -------------------------------------------


def priya_story() -> tuple[Talk, int, int]:
    story = Talk()
    priya = story.person("Priya", "recruiter")
    omar = story.person("Omar")
    app = story.application(recruiter=priya)
    story.interview(app, 14, omar)  # Mon 16 Mar
    story.touch(omar, 14, "thank-you")
    story.touch(omar, 15, "connect")
    story.touch(priya, 15, "connect")
    story.touch(priya, 23, "message", "in")  # Wed 25 Mar: "decision by 8 Apr"
    story.timeline(app, 23, 37)
    return story, priya, app


def test_a_stated_timeline_holds_the_status_check_until_it_has_passed():
    story, _priya, app = priya_story()
    # Without the timeline the reply would make the check due 10 days later, on 4 Apr.
    assert story.days_with("status-check", "Priya", 15, 38) == []
    assert story.days_with("status-check", "Priya", 38, 40) == [38, 39]  # Thu 9 Apr
    assert story.one(38, "Priya").reason == (
        "Acme said on 25 Mar they would reply about Data Engineer by 8 Apr; nothing since: ask where things stand.")


def test_a_newer_timeline_moves_the_status_check():
    story, _priya, app = priya_story()
    story.timeline(app, 30, 44)  # restated on 1 Apr: by 15 Apr
    assert story.days_with("status-check", "Priya", 15, 46) == [45]


def test_the_latest_stated_governs_even_when_it_is_earlier():
    story, _priya, app = priya_story()
    story.timeline(app, 30, 31)  # "we'll decide tomorrow" on day 30
    # Reply + 10 days (Saturday 4 Apr, so Monday) is the later of the two.
    assert story.days_with("status-check", "Priya", 15, 36) == [35]


# ---- rule 13: business days ----------------------------------------------------------------


def test_a_status_check_due_on_saturday_is_suggested_on_monday():
    story = Talk()
    rita = story.person("Rita", "recruiter")
    app = story.application(recruiter=rita)
    story.interview(app, 2)  # Wed 4 Mar, no timeline: due day 12, Saturday 14 Mar
    story.touch(rita, 3, "connect")
    assert story.days_with("status-check", "Rita", 3, 15) == [14]
    assert story.one(14, "Rita").overdue_days == 0


def test_a_thank_you_stays_on_the_weekend():
    story = Talk()
    ann = story.person("Ann")
    story.interview(story.application(), 5, ann)  # Saturday
    assert story.due(5) == [("thank-you", "Ann")]


def test_a_check_in_due_on_sunday_waits_for_monday():
    story = Talk()
    sam = story.person("Sam", "recruiter")
    story.touch(sam, -54, "call", "in")  # 60 days later is day 6, Sunday 8 Mar
    assert story.days_with("check-in", "Sam", 0, 9) == [7, 8]


# ---- rule 14: the offer stage ------------------------------------------------------------


def two_processes() -> tuple[Talk, dict[str, int], int, int]:
    story = Talk()
    people = {name: story.person(name, org=org) for name, org in
              [("Rita", "Acme"), ("Ivan", "Acme"), ("Sam", "Initech"), ("Nia", "Initech")]}
    acme = story.application("Acme", "Data Engineer", recruiter=people["Rita"])
    initech = story.application("Initech", "Platform Engineer", recruiter=people["Sam"])
    story.interview(acme, 0, people["Ivan"])
    story.interview(initech, 1, people["Nia"])
    for name in people:
        story.touch(people[name], 2, "thank-you")
    return story, people, acme, initech


def test_an_offer_makes_the_other_recruiter_due_a_courtesy_note_once():
    story, people, acme, _initech = two_processes()
    story.outcome(acme, "offer", 16)  # Wed 18 Mar
    assert ("courtesy-note", "Sam") in story.due(16)
    assert not any(action == "courtesy-note" and name != "Sam" for action, name in story.due(16))
    assert story.one(16, "Sam").reason == (
        "You have an offer from Acme (18 Mar); tell Initech and ask whether they can share where things stand"
        " on Platform Engineer.")
    story.touch(people["Sam"], 17, "courtesy-note")
    assert story.days_with("courtesy-note", "Sam", 17, 60) == []


def test_hired_thanks_everyone_there_and_withdraws_from_the_rest():
    story, people, acme, initech = two_processes()
    story.outcome(acme, "hired", 20)
    assert sorted(story.due(20)) == [("thank-you", "Ivan"), ("thank-you", "Rita"), ("withdrawal", "Sam")]
    assert story.one(20, "Rita").reason == "You accepted the Data Engineer offer at Acme on 22 Mar; thank them for their part."
    assert story.one(20, "Sam").reason == (
        "You accepted an offer from Acme on 22 Mar; withdraw politely from Platform Engineer at Initech and thank them.")
    for name in ("Rita", "Ivan", "Sam"):
        story.touch(people[name], 21, "message")
    # No status check for a process you are leaving, ever.
    assert all(action != "status-check" for n in range(21, 60) for action, _name in story.due(n))


def test_withdrawn_makes_its_recruiter_due_a_polite_close():
    story, people, _acme, initech = two_processes()
    story.outcome(initech, "withdrawn", 9)
    assert ("withdrawal", "Sam") in story.due(9)
    assert story.one(9, "Sam").reason == (
        "You withdrew from Platform Engineer at Initech on 11 Mar; close politely and thank them.")
    story.touch(people["Sam"], 9, "withdrawal")
    assert story.days_with("withdrawal", "Sam", 9, 40) == []


def test_after_hired_a_colleague_is_not_told_at_their_own_organisation():
    story = Talk()
    ivan = story.person("Ivan", "interviewer", org="Acme")
    app = story.application("Acme")
    story.interview(app, 0, ivan)
    story.touch(ivan, 0, "thank-you")
    story.outcome(app, "hired", 10)
    story.touch(ivan, 10, "message")
    suggestion = story.one(101, "Ivan")  # 90 days after the last touch
    assert suggestion.action == "check-in" and suggestion.employer == "Acme"
    assert "colleague" in suggestion.reason and "at Acme" not in suggestion.reason
    text = draft_for(suggestion, d(101), sender="Sam", user_dir=None)
    assert "at Acme" not in text and "I hope things are going well." in text


# ---- rule 11: introductions, with consent -------------------------------------------------


def intro_story() -> tuple[Talk, int, int, int]:
    story = Talk()
    chiamaka = story.person("Chiamaka", org="Northwind")  # role other: surfaces all the same
    omar = story.person("Omar", org="Globex")
    offer = story.offer("introduction", "Meet Omar: chess and distributed systems", 2, for_contact=chiamaka,
                        introduce=omar)
    return story, chiamaka, omar, offer


def test_first_ask_the_person_introduced_then_introduce_both():
    story, chiamaka, omar, offer = intro_story()
    assert story.due(2) == [("intro-consent", "Omar")]
    assert story.one(2, "Omar").reason == (
        "You could introduce Omar to Chiamaka (\u201cMeet Omar: chess and distributed systems\u201d);"
        " ask Omar first whether they would like that.")
    story.touch(omar, 3, "intro-consent", offer=offer)
    assert story.due(4) == []  # waiting for Omar
    story.touch(omar, 5, "message", "in")
    assert sorted(story.due(5)) == [("introduction", "Chiamaka"), ("introduction", "Omar")]
    suggestion = story.one(5, "Chiamaka")
    assert suggestion.partner.name == "Omar"
    text = draft_for(suggestion, d(5), sender="Sam", user_dir=None)
    assert text.startswith("Subject: Introduction: Chiamaka, meet Omar\n")
    assert "Chiamaka at Northwind, meet Omar at Globex." in text
    story.touch(chiamaka, 6, "introduction", offer=offer)
    story.touch(omar, 6, "introduction", offer=offer)
    assert [n for n in range(6, 200) if story.due(n)] == []


def test_never_an_introduction_the_person_declined():
    story, chiamaka, omar, offer = intro_story()
    story.touch(omar, 3, "intro-consent")
    story.touches.append(cadence.Touch(omar, d(4), "message", "in", None, None, True))
    assert [n for n in range(4, 200) if story.due(n)] == []


def test_an_introduction_is_not_a_value_offer_before_consent():
    story, chiamaka, omar, offer = intro_story()
    story.set(chiamaka, role="recruiter")
    assert all(action != "value-offer" for n in range(0, 120) for action, _ in story.due(n))


# ---- rule 12: offers lapse ----------------------------------------------------------------


def test_a_congratulation_lapses_after_thirty_days():
    story = Talk()
    pat = story.person("Pat")
    story.offer("congratulation", "New job at Initech", 3, for_contact=pat)
    assert story.days_with("congratulate", "Pat", 0, 60) == list(range(3, 33))


def test_an_article_lapses_after_180_days():
    story = Talk()
    sam = story.person("Sam", "recruiter", interests=("python",))
    story.touch(sam, 0, "call", "in")
    story.offer("article", "Typing in practice", 0, interests=("python",))
    assert story.one(60, "Sam").action == "value-offer"
    story.touch(sam, 60, "check-in")
    story.touch(sam, 120, "message", "in")
    assert story.one(182, "Sam").action == "check-in"  # day 180 on: lapsed (day 180 is a Saturday)


# ---- rule 10: no wall, whenever a contact enters keep-warm --------------------------------


def test_a_role_set_later_spreads_an_old_due_date_from_that_day():
    story = Talk()
    rec = story.person("Rec", "recruiter", created=-900)
    story.touch(rec, -783, "connect")  # a LinkedIn connection from 2023
    story.set(rec, keep_warm_since=0)
    first = next(n for n in range(0, 70) if story.due(n))
    assert first < 60 and story.one(first, "Rec").overdue_days <= 2  # a weekend at most
    assert first == _next_working(first_offset(rec, 60))


def test_a_snooze_that_ended_spreads_too():
    story = Talk()
    rec = story.person("Rec", "recruiter", created=-900)
    story.touch(rec, -500, "call", "in")
    story.set(rec, snoozed_until=10)
    first = next(n for n in range(0, 80) if story.due(n))
    assert 10 <= first < 72 and story.one(first, "Rec").overdue_days <= 2


def _next_working(offset: int) -> int:
    while d(offset).weekday() >= 5:
        offset += 1
    return offset
