"""crm interview, outcome, applications through the CLI, including the failure paths."""
from __future__ import annotations

import json

import pytest


def add(run, *args) -> int:
    result = run("add", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def interview(run, *args) -> dict:
    result = run("interview", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def applications(run, *args) -> list[dict]:
    result = run("applications", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def contact(run, query) -> dict:
    return json.loads(run("show", query, "--json").stdout)


def build_people(run):
    add(run, "Björn Lindqvist", "--org", "Acme Robotics")
    add(run, "Élodie Moreau")
    add(run, "Chiamaka Okafor", "--org", "Northwind Talent")
    add(run, "Omar Haddad", "--role", "mentor")


@pytest.fixture
def people(copy_of):
    copy_of(build_people)


def test_first_round_creates_the_application_and_later_rounds_reuse_it(run, people):
    first = run("interview", "bjorn", "elodie", "--org", "Acme Robotics", "--position", "Platform Engineer",
                "--on", "2026-03-02T10:00", "--reply-by", "2026-03-09", "--recruiter", "chiamaka")
    assert first.exit_code == 0 and first.stdout == "1\n"
    assert first.stderr == "Round 1 of new application #1 on 2026-03-02T10:00.\n"
    assert interview(run, "omar", "--org", "acme robotics", "--position", "platform engineer",
                     "--on", "2026-03-12") == {"application": 1, "round": 2}
    assert applications(run) == [{
        "id": 1, "org": "Acme Robotics", "position": "Platform Engineer", "stage": "interviewing",
        "rounds": [
            {"number": 1, "on": "2026-03-02T10:00", "reply_by": "2026-03-09", "interviewers": [1, 2], "cancelled": False},
            {"number": 2, "on": "2026-03-12", "reply_by": None, "interviewers": [4], "cancelled": False},
        ],
        "recruiter": 3, "reply_by": "2026-03-09", "outcome": None, "outcome_on": None, "outcome_note": None,
        "timelines": [{"stated_on": "2026-03-02", "reply_by": "2026-03-09", "contact": None}],
    }]
    text = run("applications").stdout
    assert "Björn Lindqvist, Élodie Moreau, Omar Haddad, Chiamaka Okafor (recruiter)" in text


def test_roles_change_only_for_contacts_without_one(run, people):
    interview(run, "bjorn", "omar", "--org", "Acme Robotics", "--position", "SRE", "--recruiter", "chiamaka",
              "--on", "2026-03-02")
    roles = {c["name"]: c["role"] for c in json.loads(run("list", "--json").stdout)}
    assert roles == {"Björn Lindqvist": "interviewer", "Élodie Moreau": "other", "Chiamaka Okafor": "recruiter",
                     "Omar Haddad": "mentor"}


def test_interviewers_without_an_organisation_get_it_and_others_keep_theirs(run, people):
    interview(run, "elodie", "chiamaka", "--org", "Acme Robotics", "--position", "SRE", "--on", "2026-03-02")
    assert contact(run, "elodie")["org"] == "Acme Robotics"
    assert contact(run, "chiamaka")["org"] == "Northwind Talent"


def test_a_recruiter_who_also_interviews_stays_a_recruiter(run, people):
    interview(run, "elodie", "--org", "Acme", "--position", "SRE", "--recruiter", "elodie", "--on", "2026-03-02")
    assert contact(run, "elodie")["role"] == "recruiter"


def test_the_same_moment_is_the_same_round(run, people):
    interview(run, "bjorn", "--org", "Acme", "--position", "SRE", "--on", "2026-03-02T10:00")
    assert interview(run, "elodie", "bjorn", "--org", "Acme", "--position", "SRE",
                     "--on", "2026-03-02T10:00") == {"application": 1, "round": 1}
    [app] = applications(run)
    assert app["rounds"] == [{"number": 1, "on": "2026-03-02T10:00", "reply_by": None, "interviewers": [1, 2], "cancelled": False}]


def test_on_defaults_to_today(run, people):
    from datetime import date

    interview(run, "bjorn", "--org", "Acme", "--position", "SRE")
    assert applications(run)[0]["rounds"][0]["on"] == date.today().isoformat()


def test_a_closed_application_is_not_reused(run, people):
    interview(run, "bjorn", "--org", "Acme", "--position", "SRE", "--on", "2026-03-02")
    assert run("outcome", "1", "rejected", "--on", "2026-03-10").exit_code == 0
    assert interview(run, "bjorn", "--org", "Acme", "--position", "SRE", "--on", "2026-09-01") == {
        "application": 2, "round": 1}
    # an offer is still open: the next round (a negotiation call) belongs to it
    assert run("outcome", "2", "offer", "--on", "2026-09-10").exit_code == 0
    assert interview(run, "bjorn", "--org", "Acme", "--position", "SRE", "--on", "2026-09-12") == {
        "application": 2, "round": 2}


def test_outcome_by_id_or_exact_organisation(run, people):
    interview(run, "bjorn", "--org", "Acme Robotics", "--position", "SRE", "--on", "2026-03-02")
    interview(run, "omar", "--org", "Globex", "--position", "Data Engineer", "--on", "2026-03-03")
    typo = run("outcome", "acme robotcs", "rejected")  # a near name never changes an outcome
    assert typo.exit_code == 1 and typo.stderr.startswith("Error: no organisation with an application is called exactly")
    result = run("outcome", "ACME robotics, Inc.", "rejected", "--on", "2026-03-16", "--note", "internal candidate")
    assert result.exit_code == 0, result.output
    assert result.stderr == "#1 Acme Robotics: SRE: rejected on 2026-03-16.\n"
    assert run("outcome", "2", "withdrawn", "--on", "2026-03-20").exit_code == 0
    first, second = applications(run)
    assert (first["stage"], first["outcome"], first["outcome_on"], first["outcome_note"]) == (
        "rejected", "rejected", "2026-03-16", "internal candidate")
    assert (second["stage"], second["outcome_on"]) == ("withdrawn", "2026-03-20")


def test_open_lists_applications_without_an_outcome_or_with_an_offer(run, people):
    for org in ("Acme", "Globex", "Initech"):
        interview(run, "bjorn", "--org", org, "--position", "SRE", "--on", "2026-03-02")
    run("outcome", "acme", "rejected")
    run("outcome", "globex", "offer")
    assert [(a["org"], a["stage"]) for a in applications(run, "--open")] == [("Globex", "offer"),
                                                                             ("Initech", "interviewing")]
    assert len(applications(run)) == 3


def test_an_organisation_with_several_open_applications_needs_an_id(run, people, db_dump):
    interview(run, "bjorn", "--org", "Acme", "--position", "SRE", "--on", "2026-03-02")
    interview(run, "bjorn", "--org", "Acme", "--position", "Data Engineer", "--on", "2026-03-02")
    dump = db_dump()
    result = run("outcome", "acme", "rejected")
    assert result.exit_code == 1
    assert result.stderr == "Error: Acme has 2 open applications; use --application ID: SRE (#1), Data Engineer (#2)\n"
    assert db_dump() == dump
    run("outcome", "1", "rejected")
    assert run("outcome", "acme", "rejected").exit_code == 0  # now only #2 is open
    assert applications(run)[1]["outcome"] == "rejected"


def test_no_applications_says_so(run):
    result = run("applications")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == "No applications.\n"
    assert applications(run) == []


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["interview", "bjorn", "nobody at all", "--org", "Acme", "--position", "SRE"], 1, "Error: no contact matches"),
        (["interview", "bjorn", "--org", "Acme", "--position", "SRE", "--recruiter", "99"], 1,
         "Error: no contact has id 99"),
        (["interview", "bjorn", "--org", "Acme", "--position", "SRE", "--on", "March 2"], 2, "Error: bad date"),
        (["interview", "bjorn", "--org", "Acme", "--position", "SRE", "--reply-by", "2026-02-31"], 2,
         "Error: bad date '2026-02-31'"),
        (["interview", "bjorn", "--org", "Acme", "--position", "  "], 2, "Error: an application needs a position"),
        (["interview", "bjorn", "--org", " ", "--position", "SRE"], 2, "Error: an organisation needs a name"),
        (["outcome", "1", "rejectd"], 2, "Error: unknown result 'rejectd' (did you mean rejected?)"),
        (["outcome", "7", "rejected"], 1, "Error: no application has id 7"),
        (["outcome", "Initech", "rejected"], 1, "Error: no organisation with an application is called exactly 'Initech'"),
        (["outcome", "1", "rejected", "--on", "someday"], 2, "Error: bad date 'someday'"),
    ],
)
def test_failures_say_one_line_and_write_nothing(run, people, row_counts, db_dump, args, code, message):
    interview(run, "omar", "--org", "Globex", "--position", "SRE", "--on", "2026-03-01")
    before, dump = row_counts(), db_dump()
    result = run(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert row_counts() == before and db_dump() == dump


def test_missing_options_are_usage_errors(run, people, row_counts):
    before = row_counts()
    assert run("interview", "bjorn", "--position", "SRE").exit_code == 2
    assert run("interview", "--org", "Acme", "--position", "SRE").exit_code == 2
    assert row_counts() == before


def test_an_interview_is_one_transaction(run, people, db_dump, monkeypatch):
    """A failure after the application and round are written leaves no trace of either."""
    import crm.store.applications

    dump = db_dump()
    real = crm.store.applications._promote
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(crm.store.applications, "_promote", failing)
    result = run("interview", "bjorn", "elodie", "--org", "New Org", "--position", "SRE", "--on", "2026-03-02")
    assert result.exit_code == 70 and "disk on fire" in result.stderr
    assert db_dump() == dump


def test_deleting_an_interviewer_or_recruiter_keeps_the_application(run, people):
    interview(run, "bjorn", "elodie", "--org", "Acme", "--position", "SRE", "--recruiter", "chiamaka",
              "--on", "2026-03-02")
    run("rm", "bjorn", "--yes")
    run("rm", "chiamaka", "--yes")
    [app] = applications(run)
    assert app["rounds"][0]["interviewers"] == [2] and app["recruiter"] is None


def test_merging_an_interviewer_moves_the_rounds(run, people):
    interview(run, "elodie", "--org", "Acme", "--position", "SRE", "--on", "2026-03-02")
    add(run, "E. Moreau")
    interview(run, "e. moreau", "--org", "Acme", "--position", "SRE", "--on", "2026-03-09")
    assert run("merge", "elodie", "e. moreau", "--yes").exit_code == 0
    [app] = applications(run)
    assert [r["interviewers"] for r in app["rounds"]] == [[2], [2]]
    assert contact(run, "2")["applications"] == [
        {"id": 1, "org": "Acme", "position": "SRE", "stage": "interviewing", "as": ["interviewer"],
         "rounds": [1, 2]}]
