"""CalDAV nudges against real servers: suggestions become to-dos, a ticked one becomes a touch."""
from __future__ import annotations

import json

import pytest

from dav_servers import remote_for


@pytest.fixture
def calendar(dav_server, monkeypatch, run):
    return remote_for(dav_server, "caldav", "phone-cal", run, monkeypatch)


def sync(run, on):
    result = run("sync", "--json", "--on", on)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["nudges"][0]


def todos(server, url) -> dict[str, str]:
    """UID -> the to-do's text, unfolded."""
    found = {}
    for href in server.hrefs(url):
        text = server.get(href)[0].replace("\r\n", "\n").replace("\n ", "")
        uid = next(line[4:] for line in text.split("\n") if line.startswith("UID:"))
        found[uid] = text
    return found


def test_nudges_go_to_the_calendar_follow_the_suggestions_and_a_tick_becomes_a_touch(dav_server, calendar, run):
    run("add", "Rita Recruiter", "--email", "rita@example.org", "--role", "recruiter", "--on", "2026-01-05")
    run("add", "Pat Peer", "--role", "peer", "--on", "2026-01-05")

    report = sync(run, "2026-05-04")
    assert report["added"] == 2
    on_server = todos(dav_server, calendar)
    rita = on_server["contact-1-check-in@cadence.crm"]
    assert "DUE;VALUE=DATE:20260504" in rita and "STATUS:NEEDS-ACTION" in rita
    assert "SUMMARY:Check in: Rita Recruiter" in rita
    description = next(line for line in rita.split("\n") if line.startswith("DESCRIPTION:"))
    assert "Rita" in description and "crm log 1 check-in" in description and "\\n" in description

    assert (sync(run, "2026-05-04")["added"], sync(run, "2026-05-04")["updated"]) == (0, 0)

    run("edit", "Pat Peer", "--org", "Globex")  # the suggestion changes: its to-do follows
    assert sync(run, "2026-05-04")["updated"] == 1
    assert "SUMMARY:Check in: Pat Peer (Globex)" in todos(dav_server, calendar)["contact-2-check-in@cadence.crm"]

    run("snooze", "Rita Recruiter", "--until", "2026-05-09")  # her check-in leaves the 14 days: removed
    assert sync(run, "2026-05-04")["removed"] == 1
    assert sorted(todos(dav_server, calendar)) == ["contact-2-check-in@cadence.crm"]

    # Ticked on the phone: another client PUTs it back completed.
    [href] = dav_server.hrefs(calendar)
    text, etag = dav_server.get(href)
    done = text.replace("STATUS:NEEDS-ACTION", "STATUS:COMPLETED\r\nCOMPLETED:20260510T120000Z")
    dav_server.put(href, done, content_type="text/calendar", etag=etag)

    report = sync(run, "2026-05-11")
    assert [(c["contact"]["name"], c["action"], c["on"], c["via"]) for c in report["completed"]] == [
        ("Pat Peer", "check-in", "2026-05-10", "email")]
    history = json.loads(run("history", "Pat Peer", "--json").stdout)
    assert [(h["on"], h["kind"], h["via"]) for h in history] == [("2026-05-10", "check-in", "email")]
    assert todos(dav_server, calendar) == {}
    assert sync(run, "2026-05-11")["completed"] == []  # logged once
    assert len(json.loads(run("history", "Pat Peer", "--json").stdout)) == 1
