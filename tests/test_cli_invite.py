"""crm invite import: Google, Outlook and Zoom invites into interview rounds; updates move
them, cancels cancel them (and no thank-you is due), the same invite twice changes nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.formats.invite import parse_invites
from crm.errors import FormatError

INVITES = Path(__file__).resolve().parents[1] / "fixtures" / "invites"
ME = "me@home.example"


@pytest.fixture(autouse=True)
def london(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")


def invite(run, *args) -> list[dict]:
    result = run("invite", "import", *map(str, args), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["invites"]


def applications(run) -> list[dict]:
    return json.loads(run("applications", "--json").stdout)


def test_the_formats_read_tzid_utc_attendees_and_sequence():
    [google] = parse_invites((INVITES / "google-request.ics").read_bytes())
    assert google.method == "REQUEST" and google.sequence == 0
    assert google.start.utcoffset().total_seconds() == 0 and google.start.hour == 10
    assert [(p.name, p.role) for p in google.attendees][:2] == [
        ("Björn Lindqvist", "REQ-PARTICIPANT"), ("Élodie Moreau", "REQ-PARTICIPANT")]
    assert google.organizer.name == "Chiamaka Okafor"
    [outlook] = parse_invites((INVITES / "outlook-request.ics").read_bytes())
    assert outlook.start.utcoffset().total_seconds() == 7200  # W. Europe, summer time from 29 Mar
    [cancel] = parse_invites((INVITES / "zoom-cancel.ics").read_bytes())
    assert cancel.cancelled and cancel.sequence == 2
    with pytest.raises(FormatError, match="not an iCalendar file"):
        parse_invites(b"hello")
    # An attendee's answer (METHOD:REPLY) is not an invite.
    reply = (INVITES / "google-request.ics").read_bytes().replace(b"METHOD:REQUEST", b"METHOD:REPLY")
    assert parse_invites(reply) == []


def test_an_invite_becomes_a_round_with_its_people_and_the_organiser_as_recruiter(run):
    run("me", ME)
    run("add", "Björn Lindqvist", "--email", "bjorn.lindqvist@acme.example", "--org", "Acme Robotics")
    [result] = invite(run, INVITES / "google-request.ics", "--position", "Platform Engineer")
    assert result["action"] == "created" and result["on"] == "2026-03-05T10:00"
    assert [(p["name"], p["as"], p["created"]) for p in result["people"]] == [
        ("Björn Lindqvist", "interviewer", False), ("Élodie Moreau", "interviewer", True),
        ("Chiamaka Okafor", "recruiter", True)]
    [app] = applications(run)
    assert (app["org"], app["position"], app["recruiter"]) == ("Acme Robotics", "Platform Engineer", 3)
    assert app["rounds"] == [{"number": 1, "on": "2026-03-05T10:00", "reply_by": None, "interviewers": [1, 2],
                              "cancelled": False}]
    shown = json.loads(run("show", "elodie", "--json").stdout)
    assert shown["role"] == "interviewer" and shown["emails"][0]["value"] == "elodie.moreau@acme.example"
    assert json.loads(run("show", "chiamaka", "--json").stdout)["role"] == "recruiter"
    assert "thank-you" in run("today", "--on", "2026-03-05").stdout


def test_the_same_invite_twice_changes_nothing(run, db_dump):
    run("me", ME)
    invite(run, INVITES / "google-request.ics", "--org", "Acme Robotics", "--position", "Platform Engineer")
    before = db_dump()
    [again] = invite(run, INVITES / "google-request.ics", "--org", "Acme Robotics", "--position", "Platform Engineer")
    assert again["action"] == "unchanged" and db_dump() == before


def test_time_zones_are_honoured(run, monkeypatch):
    run("me", ME)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    [result] = invite(run, INVITES / "outlook-request.ics")
    # 23:30 in Berlin on 30 Mar (CEST, +2) is 06:30 on 31 Mar in Tokyo.
    assert result["on"] == "2026-03-31T06:30"
    [app] = applications(run)
    assert app["org"] == "Initech" and app["position"] == "Initech - Backend Engineer - system design"
    # The organiser also attends: an interviewer, not a recruiter.
    assert [(p["name"], p["as"]) for p in result["people"]] == [("Hans Peter Krüger", "interviewer"),
                                                                  ("Greta Vogel", "interviewer")]


def test_an_update_moves_the_round_and_a_cancel_cancels_it(run):
    run("me", ME)
    [created] = invite(run, INVITES / "zoom-request.ics", "--position", "Data Engineer")
    assert created["on"] == "2026-03-10T16:00" and created["people"][0]["as"] == "interviewer"
    [moved] = invite(run, INVITES / "zoom-update.ics")
    assert moved["action"] == "moved" and moved["on"] == "2026-03-11T09:00" and moved["round"] == 1
    [stale] = invite(run, INVITES / "zoom-request.ics")  # an older SEQUENCE arriving late
    assert stale["action"] == "unchanged"
    [app] = applications(run)
    assert app["org"] == "Globex" and [r["on"] for r in app["rounds"]] == ["2026-03-11T09:00"]
    assert "thank-you" in run("today", "--on", "2026-03-11").stdout
    [cancelled] = invite(run, INVITES / "zoom-cancel.ics")
    assert cancelled["action"] == "cancelled"
    assert applications(run)[0]["rounds"][0]["cancelled"] is True
    # A cancelled round asks for nothing: no thank-you, no connect, no status check.
    for day in ("2026-03-11", "2026-03-12", "2026-03-25"):
        assert run("today", "--on", day).stdout == "", day
    assert invite(run, INVITES / "zoom-cancel.ics")[0]["action"] == "unchanged"


def test_an_invite_whose_organisation_cannot_be_told_is_one_clear_error(run, tmp_path, row_counts):
    run("me", ME)
    text = (INVITES / "zoom-request.ics").read_text().replace("priya@globex.example", "priya@gmail.com")
    (tmp_path / "gmail.ics").write_text(text)
    before = row_counts()
    result = run("invite", "import", tmp_path / "gmail.ics")
    assert result.exit_code == 2
    assert result.stderr == "Error: cannot tell which organisation the invite 'Globex screening call' is from; give --org ORG\n"
    assert row_counts() == before
    assert invite(run, tmp_path / "gmail.ics", "--org", "Globex")[0]["action"] == "created"
    (tmp_path / "bad.ics").write_text("not a calendar")
    bad = run("invite", "import", tmp_path / "bad.ics")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: ") and "not an iCalendar file" in bad.stderr
