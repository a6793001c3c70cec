"""crm today, snooze, pause, resume, cadence and calendar through the CLI, by date replay.

Every story is told with the real commands (add, interview, log, outcome, offer add) and read
back with `crm today --on DATE`, day by day.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
import vobject

DAY0 = date(2026, 3, 2)


def d(n: int) -> str:
    return (DAY0 + timedelta(days=n)).isoformat()


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def add(run, name, *args, on=-100) -> int:
    return int(ok(run("add", name, "--on", d(on), *args)).stdout)


def due(run, day: int) -> list[tuple[str, str]]:
    """[(action, name)] that `crm today --on` lists on day n, in order."""
    data = json.loads(ok(run("today", "--on", d(day), "--json", "--limit", "1000")).stdout)
    return [(s["action"], s["contact"]["name"]) for s in data]


def first_day(run, action, name, start, stop):
    return next((n for n in range(start, stop) if (action, name) in due(run, n)), None)


def build_interview_story(run):
    """Rita recruits for Acme; Ivan interviews you on day 0 and they reply within a week."""
    add(run, "Rita Recruiter", "--email", "rita@acme.example")
    add(run, "Ivan Ng", "--interest", "rust")
    ok(run("interview", "ivan", "--org", "Acme", "--position", "Data Engineer", "--on", f"{d(0)}T10:00",
           "--reply-by", d(7), "--recruiter", "rita"))
    ok(run("log", "rita", "call", "--inbound", "--on", d(-10)))
    ok(run("log", "ivan", "message", "--inbound", "--on", d(-3), "--note", "interview invitation"))


@pytest.fixture
def interview_story(copy_of, run):
    copy_of(build_interview_story)
    return run


def test_the_issue_story_day_by_day(interview_story):
    run = interview_story
    assert due(run, -2) == []
    assert due(run, -1) == [("prepare", "Ivan Ng")]
    assert due(run, 0) == [("thank-you", "Ivan Ng")]
    ok(run("log", "ivan", "thank-you", "--on", f"{d(0)}T18:00"))
    assert due(run, 1) == [("connect", "Ivan Ng"), ("connect", "Rita Recruiter")]
    ok(run("log", "ivan", "connect", "--via", "linkedin", "--on", d(1)))
    ok(run("log", "rita", "connect", "--via", "linkedin", "--on", d(1)))
    assert all(due(run, n) == [] for n in range(2, 8))
    assert due(run, 8) == [("status-check", "Rita Recruiter")]
    ok(run("log", "rita", "status-check", "--on", d(8)))
    assert first_day(run, "status-check", "Rita Recruiter", 9, 40) == 22  # nothing for 14 days
    ok(run("log", "rita", "status-check", "--on", d(22), "--application", "1"))
    assert first_day(run, "status-check", "Rita Recruiter", 23, 80) is None  # two unanswered: no more
    ok(run("outcome", "acme", "rejected", "--on", d(30)))
    assert due(run, 30) == [("feedback-request", "Rita Recruiter")]
    ok(run("log", "rita", "feedback-request", "--on", d(30)))
    assert due(run, 31) == []


def test_replaying_a_past_day_ignores_what_came_later(interview_story):
    run = interview_story
    ok(run("log", "ivan", "thank-you", "--on", d(3)))
    assert due(run, 4) == [("connect", "Ivan Ng"), ("connect", "Rita Recruiter")]
    assert ("thank-you", "Ivan Ng") in due(run, 2)  # as of day 2 the thank-you was not sent yet


def test_a_reply_pushes_the_status_check_to_ten_days_after_it(interview_story):
    run = interview_story
    for who in ("ivan", "rita"):
        ok(run("log", who, "connect", "--on", d(1)))
    ok(run("log", "ivan", "thank-you", "--on", d(0)))
    ok(run("log", "ivan", "message", "--inbound", "--on", d(4), "--note", "still deciding"))
    assert first_day(run, "status-check", "Rita Recruiter", 1, 30) == 14


def test_a_reply_later_on_the_interview_day_is_not_an_answer(interview_story):
    """Stored with its time of day, after the 10:00 interview, it is still dated on the interview
    day: the interview itself, so the check keeps the timeline (day 8), not day 10."""
    run = interview_story
    for who in ("ivan", "rita"):
        ok(run("log", who, "connect", "--on", d(1)))
    ok(run("log", "ivan", "thank-you", "--on", d(0)))
    ok(run("log", "ivan", "message", "--inbound", "--on", f"{d(0)}T16:00", "--note", "thanks for coming in"))
    ok(run("log", "rita", "call", "--inbound", "--on", f"{d(0)}T17:00"))
    assert first_day(run, "status-check", "Rita Recruiter", 1, 30) == 8


def test_value_offer_sixty_days_after_the_last_touch(run):
    add(run, "Sam Peer", "--role", "recruiter", "--interest", "python")
    offer = int(ok(run("offer", "add", "article", "Typing in practice", "--url", "https://example.org/t",
                       "--interest", "python", "--on", d(-5))).stdout)
    ok(run("log", "sam", "call", "--inbound", "--on", d(0)))
    assert first_day(run, "value-offer", "Sam Peer", 55, 70) == 60
    [s] = json.loads(ok(run("today", "--on", d(60), "--json")).stdout)
    assert s["offer"] == {"id": offer, "kind": "article", "title": "Typing in practice", "url": "https://example.org/t"}
    ok(run("log", "sam", "value-offer", "--offer", str(offer), "--on", d(60)))
    assert first_day(run, "check-in", "Sam Peer", 61, 130) == 120  # given once, never again


def test_congratulate_from_an_offer_for_a_contact(run):
    add(run, "Pat Mentor", "--role", "mentor")
    ok(run("log", "pat", "message", "--inbound", "--on", d(-1)))
    ok(run("offer", "add", "congratulation", "New job at Initech", "--for", "pat", "--on", d(2)))
    assert due(run, 1) == [] and due(run, 2) == [("congratulate", "Pat Mentor")]
    ok(run("log", "pat", "congratulate", "--on", d(3)))
    assert due(run, 4) == []


def test_json_shape_and_text_lines(interview_story):
    run = interview_story
    [s] = json.loads(ok(run("today", "--on", d(2), "--json", "--limit", "1")).stdout)
    assert s == {
        "contact": {"id": 2, "name": "Ivan Ng", "org": "Acme"},
        "action": "thank-you",
        "due": d(0),
        "overdue_days": 2,
        "reason": "Interviewed you at Acme on 2 Mar; no thank-you logged yet.",
        "offer": None,
        "application": {"id": 1, "org": "Acme", "position": "Data Engineer"},
    }
    text = ok(run("today", "--on", d(2))).stdout.splitlines()
    assert text[0].split() [:5] == ["thank-you", "Ivan", "Ng", "(Acme)", "[2"]
    assert text[0].endswith("Interviewed you at Acme on 2 Mar; no thank-you logged yet.")
    assert "Rita Recruiter" in text[1] and "connect" in text[1]


def test_limit_and_how_many_more(run):
    for n in range(5):
        add(run, f"Rec {n}", "--role", "recruiter", on=-200)
    result = ok(run("today", "--on", d(0), "--limit", "2"))
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[2] == "3 more due (crm today --limit 5 shows all)."
    assert len(json.loads(ok(run("today", "--on", d(0), "--json", "--limit", "2")).stdout)) == 2
    assert len(json.loads(ok(run("today", "--on", d(0), "--json")).stdout)) == 5
    nothing = ok(run("today", "--on", d(-300)))
    assert nothing.stdout == "" and nothing.stderr == f"Nothing due on {d(-300)}.\n"


def test_snooze_until_and_days(interview_story):
    run = interview_story
    result = ok(run("snooze", "ivan", "--days", "3", "--on", d(0)))
    assert result.stderr == f"Snoozed Ivan Ng (#2): nothing suggested before {d(3)}.\n"
    assert due(run, 2) == [("connect", "Rita Recruiter")]
    assert ("thank-you", "Ivan Ng") in due(run, 3)
    ok(run("snooze", "rita", "--until", d(10)))
    assert ("connect", "Rita Recruiter") not in due(run, 9)


@pytest.mark.parametrize("args", [[], ["--days", "3", "--until", "2026-04-01"], ["--days", "0"],
                                  ["--until", "someday"]])
def test_snooze_needs_exactly_one_good_end(run, args):
    add(run, "Ada")
    result = run("snooze", "ada", *args)
    assert result.exit_code == 2 and result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


def test_pause_and_resume(interview_story):
    run = interview_story
    ok(run("pause", "ivan"))
    assert due(run, 0) == []
    ok(run("snooze", "ivan", "--until", d(50)))
    result = ok(run("resume", "ivan"))
    assert result.stderr == "Resumed Ivan Ng (#2).\n"
    assert due(run, 0) == [("thank-you", "Ivan Ng")]  # resume also ends a snooze


def test_cadence_show_set_clear(run):
    add(run, "Ada")
    assert ok(run("cadence", "ada")).stdout.startswith("Ada (#1): not on keep-warm (role other)")
    ok(run("log", "ada", "message", "--inbound", "--on", d(0)))
    assert ok(run("cadence", "ada", "20")).stdout == "Ada (#1): keep in touch every 20 days (own interval).\n"
    assert first_day(run, "check-in", "Ada", 1, 40) == 21  # day 20 is a Sunday: rule 13 waits for Monday
    ok(run("edit", "ada", "--role", "mentor"))
    assert ok(run("cadence", "ada", "--clear")).stdout == "Ada (#1): keep in touch every 90 days (mentor default).\n"
    assert first_day(run, "check-in", "Ada", 1, 100) == 91  # day 90 is a Sunday too
    assert run("cadence", "ada", "0").exit_code == 2
    assert run("cadence", "ada", "5", "--clear").exit_code == 2
    missing = run("cadence", "nobody at all", "5")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: no contact matches")


def test_calendar_file_private_atomic_and_stable(interview_story, tmp_path):
    run = interview_story
    path = tmp_path / "follow-ups.ics"
    result = ok(run("calendar", "-o", str(path), "--on", d(0), "--days", "14"))
    assert result.stderr == f"Wrote 3 suggestions over 14 days to {path}.\n"
    assert os.stat(path).st_mode & 0o777 == 0o600
    events = vobject.readOne(path.read_text()).vevent_list
    assert [(e.dtstart.value.isoformat(), e.summary.value) for e in events] == [
        (d(0), "Thank you: Ivan Ng (Acme)"),
        (d(1), "Connect: Rita Recruiter"),
        (d(8), "Status check: Rita Recruiter"),
    ]
    assert "no thank-you logged yet" in events[0].description.value
    first_uids = [e.uid.value for e in events]
    ok(run("log", "ivan", "thank-you", "--on", d(0)))
    ok(run("calendar", "-o", str(path), "--on", d(1), "--days", "14"))
    again = vobject.readOne(path.read_text()).vevent_list
    assert first_uids[1] in [e.uid.value for e in again] and first_uids[2] in [e.uid.value for e in again]
    assert [p.name for p in tmp_path.iterdir() if "follow-ups" in p.name] == ["follow-ups.ics"]  # no temp file


def test_calendar_to_stdout_and_never_over_the_database(interview_story, private_database):
    run = interview_story
    out = ok(run("calendar", "--on", d(0), "--days", "1")).stdout
    assert out.startswith("BEGIN:VCALENDAR") and out.count("BEGIN:VEVENT") == 1
    refused = run("calendar", "-o", str(private_database))
    assert refused.exit_code == 2 and "crm database" in refused.stderr
    assert run("calendar", "--days", "0").exit_code == 2


def test_bad_on_date_is_one_line_exit_2(run):
    result = run("today", "--on", "next tuesday")
    assert result.exit_code == 2 and result.stderr.startswith("Error: bad date")


def test_cli_defaults_agree_with_settings():
    from crm.cadence import settings
    from crm.cli import cadence as commands

    assert commands.DEFAULT_LIMIT == settings.DEFAULT_TODAY_LIMIT
    assert commands.DEFAULT_CALENDAR_DAYS == settings.DEFAULT_CALENDAR_DAYS


def test_today_does_not_import_vobject_or_rapidfuzz(interview_story, private_database):
    probe = (
        "import sys; sys.argv = ['crm', 'today', '--on', '2026-03-02', '--json']\n"
        "from crm.cli import cli\n"
        "try:\n    cli(prog_name='crm')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('vobject', 'rapidfuzz') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=dict(os.environ, CRM_DB=str(private_database)))
    assert out.stdout.strip().endswith("[]"), out.stdout + out.stderr


def test_a_contact_added_today_is_known_from_its_back_dated_interview(run):
    """Adding someone today and recording last week's interview must not hide it from a replay."""
    run("add", "Ada Lovelace")  # created "now", after the interview below
    run("interview", "ada", "--org", "Acme", "--position", "SRE", "--on", "2020-01-06")
    due = json.loads(run("today", "--on", "2020-01-06", "--json").stdout)
    assert [(s["contact"]["name"], s["action"]) for s in due] == [("Ada Lovelace", "thank-you")]
    run("add", "Grace Hopper")
    run("log", "grace", "call", "--inbound", "--on", "2019-05-01")
    created = json.loads(run("show", "grace", "--json").stdout)["created_at"]
    assert created == "2019-05-01T00:00:00"


def test_cadence_json(run):
    run("add", "Ada Lovelace", "--role", "recruiter")
    run("add", "Bob Li")
    run("snooze", "ada", "--until", "2026-03-10")
    shown = json.loads(run("cadence", "ada", "--json", "--on", "2026-03-02").stdout)
    nxt = shown.pop("next")
    assert shown == {
        "contact": {"id": 1, "name": "Ada Lovelace"}, "role": "recruiter", "cadence_days": None,
        "interval_days": 60, "source": "role", "paused": False, "snoozed_until": "2026-03-10"}
    # Never touched, added today: rule 10 spreads the first check-in, after the snooze.
    assert nxt["action"] == "check-in" and nxt["on"] >= "2026-03-10"
    assert json.loads(run("cadence", "ada", "30", "--json").stdout)["interval_days"] == 30
    assert json.loads(run("cadence", "bob", "--json").stdout)["source"] is None
