"""`crm demo`: a job search that shows the main job on any day, built through the store's functions."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest


def actions_on(run, day: str) -> list[str]:
    result = run("today", "--on", day, "--json", "--limit", "50")
    assert result.exit_code == 0, result.output
    return [s["action"] for s in json.loads(result.stdout)]


@pytest.mark.parametrize("offset", range(7))  # every weekday: the dates are relative to --on
def test_the_demo_gives_at_least_three_kinds_of_suggestion_on_any_day(run, offset):
    day = (date(2026, 12, 1) + timedelta(days=offset)).isoformat()
    assert run("demo", "--on", day).exit_code == 0
    actions = actions_on(run, day)
    assert len(set(actions)) >= 3, actions
    assert {"feedback-request", "value-offer"} <= set(actions)
    assert {"status-check", "thank-you"} & set(actions)


def test_every_suggestion_explains_itself(run):
    run("demo", "--on", "2026-12-01")
    result = run("today", "--on", "2026-12-01")
    lines = result.stdout.splitlines()
    assert len(lines) >= 3
    assert any("said they would reply" in line and "ask where things stand" in line for line in lines)
    assert any("turned you down" in line for line in lines)
    assert any("share an interest in rust" in line for line in lines)


def test_the_demo_is_built_from_real_records(run):
    run("demo", "--on", "2026-12-01", "--json")
    apps = json.loads(run("applications", "--json").stdout)
    assert sorted((a["org"], a["stage"]) for a in apps) == [
        ("Acme Robotics", "interviewing"), ("Globex", "interviewing"), ("Initech", "rejected")]
    people = {c["name"]: c["role"] for c in json.loads(run("list", "--json").stdout)}
    assert people["Chiamaka Okafor"] == "recruiter" and people["Björn Lindqvist"] == "interviewer"
    assert run("check").exit_code == 0


def test_a_database_of_your_own_is_refused_and_left_alone(run, db_dump):
    run("add", "Ada Lovelace")
    before = db_dump()
    result = run("demo")
    assert result.exit_code == 1
    assert "new file" in result.stderr and "Traceback" not in result.output
    assert db_dump() == before


def test_an_earlier_demo_is_rebuilt_only_with_force(run):
    run("demo", "--on", "2026-12-01")
    again = run("demo", "--on", "2026-12-20")
    assert again.exit_code == 1 and "--force" in again.stderr
    assert run("demo", "--on", "2026-12-20", "--force", "--json").exit_code == 0
    from crm.store.demo import PEOPLE

    assert len(json.loads(run("list", "--json").stdout)) == len(PEOPLE)
    assert "feedback-request" in actions_on(run, "2026-12-20")


def test_today_on_an_empty_database_says_how_to_start(run):
    result = run("today", "--on", "2026-12-01")
    assert result.exit_code == 0
    assert "crm import" in result.stderr and "crm add" in result.stderr and "crm demo" in result.stderr.replace(
        "crm --db demo.db demo", "crm demo")


def test_the_readme_shows_what_its_first_command_prints(run):
    """The README's first command is `crm --db demo.db demo && crm --db demo.db today`; the block
    under it is that output on the day it was taken (the demo's dates move with the day)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    day = re.search(r"Run on (\d+ \w+ \d{4})", readme).group(1)
    on = datetime.strptime(day, "%d %B %Y").date().isoformat()
    shown = re.search(r"```text\n(.*?)```", readme, re.S).group(1)
    run("demo", "--on", on)
    assert run("today", "--on", on).stdout == shown
