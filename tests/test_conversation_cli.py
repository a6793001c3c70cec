"""The conversation drives the cadence, through the CLI by date replay: timelines they stated
(`crm log ... --reply-by`), the offer stage, introductions with consent, offers that lapse,
roles from titles at import, `crm triage`, bulk `crm edit`, and the state `crm show` makes
visible. The last test is the issue's two-month replay.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

DAY0 = date(2026, 3, 2)  # a Monday


def d(n: int) -> str:
    return (DAY0 + timedelta(days=n)).isoformat()


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def today(run, on: str) -> list[dict]:
    return json.loads(ok(run("today", "--on", on, "--json", "--limit", "1000")).stdout)


def due(run, on: str) -> list[tuple[str, str]]:
    return [(s["action"], s["contact"]["name"]) for s in today(run, on)]


CARDS = """BEGIN:VCARD
VERSION:3.0
FN:Chiamaka Okafor
ORG:Northwind Talent
TITLE:Senior Technical Recruiter
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Dana Reyes
ORG:Initech
TITLE:Director, Talent Acquisition
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Priya Shah
ORG:Globex
TITLE:People Partner
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Hal Mgr
ORG:Globex
TITLE:Hiring Manager, Data
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Björn Lindqvist
ORG:Acme Robotics
TITLE:Staff Engineer
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Élodie Moreau
ORG:Acme Robotics
TITLE:Engineering Manager
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Omar Haddad
ORG:Globex
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Maria Lopez
TITLE:Data Scientist
END:VCARD
"""


@pytest.fixture
def imported(run, tmp_path):
    path = tmp_path / "people.vcf"
    path.write_text(CARDS, encoding="utf-8")
    ok(run("import", str(path), "--on", "2026-03-01"))
    return run


def show(run, who, *extra) -> dict:
    return json.loads(ok(run("show", who, "--json", *extra)).stdout)


# ---- roles from titles, triage, bulk edit ---------------------------------------------------


def test_import_infers_roles_from_clear_titles_only(imported):
    run = imported
    roles = {r["name"]: r["role"] for r in json.loads(ok(run("list", "--json")).stdout)}
    assert roles == {"Chiamaka Okafor": "recruiter", "Dana Reyes": "recruiter", "Priya Shah": "recruiter",
                     "Hal Mgr": "hiring-manager", "Björn Lindqvist": "other", "Élodie Moreau": "other",
                     "Omar Haddad": "other", "Maria Lopez": "other"}
    dana = show(run, "dana")
    assert dana["keep_warm"] == {"paused": False, "snoozed_until": None, "cadence_days": None, "interval_days": 60,
                                 "source": "role", "role_inferred": True}
    assert "role       recruiter (inferred from the title; `crm edit --role` to confirm)" in ok(run("show", "dana")).stdout
    ok(run("edit", "dana", "--role", "recruiter"))
    assert show(run, "dana")["keep_warm"]["role_inferred"] is False


def test_triage_lists_the_contacts_still_other_most_promising_first(imported):
    run = imported
    ok(run("log", "maria", "message", "--inbound", "--on", "2026-03-02"))
    ok(run("log", "maria", "message", "--on", "2026-03-03"))
    ok(run("log", "omar", "call", "--on", "2026-03-02"))
    rows = json.loads(ok(run("triage", "--json")).stdout)
    assert [r["name"] for r in rows] == ["Maria Lopez", "Omar Haddad", "Björn Lindqvist", "Élodie Moreau"]
    assert rows[0] == {"id": rows[0]["id"], "name": "Maria Lopez", "title": "Data Scientist", "org": None,
                       "touches": 2, "last_touch": "2026-03-03", "interests": []}
    text = ok(run("triage")).stdout
    assert "Maria Lopez" in text and "Staff Engineer" in text
    ok(run("edit", "bjorn", "elodie", "omar", "--role", "peer", "--on", "2026-03-10"))
    assert [r["name"] for r in json.loads(ok(run("triage", "--json")).stdout)] == ["Maria Lopez"]
    assert run("edit", "bjorn", "elodie", "--name", "X").exit_code == 2


def test_a_role_set_later_starts_keep_warm_without_a_wall(imported):
    run = imported
    ok(run("log", "bjorn", "connect", "--via", "linkedin", "--on", "2023-10-01"))  # 2 years ago
    ok(run("edit", "bjorn", "--role", "peer", "--on", "2026-03-10"))
    suggestions = [s for n in range(0, 120) for s in today(run, d(n)) if s["contact"]["name"] == "Björn Lindqvist"]
    assert suggestions and max(s["overdue_days"] for s in suggestions) <= 90
    first = suggestions[0]
    assert first["action"] == "check-in" and "2026-03-10" <= first["due"] < "2026-06-08"


def test_an_import_with_an_old_connection_starts_keep_warm_without_a_wall(imported):
    run = imported
    ok(run("log", "dana", "connect", "--via", "linkedin", "--on", "2023-10-01"))
    first: dict[str, dict] = {}
    for n in range(-1, 70):
        for s in today(run, d(n)):
            first.setdefault(s["contact"]["name"], s)
    assert "Dana Reyes" in first
    for s in first.values():
        assert s["overdue_days"] <= 2, s  # new on the day it comes up (a weekend at most), never "[783 days overdue]"
        assert "2026-03-01" <= s["due"] < "2026-05-02", s


# ---- visible state ----------------------------------------------------------------------


def test_show_and_cadence_show_paused_snoozed_the_interval_and_the_next_touch(imported):
    run = imported
    ok(run("snooze", "priya", "--until", "2026-04-01"))
    text = ok(run("show", "priya", "--on", "2026-03-02")).stdout
    assert "keep-warm  every 60 days (recruiter default); snoozed until 2026-04-01" in text
    assert "next       check-in on 2026-" in text
    assert show(run, "priya", "--on", "2026-03-02")["next"]["on"] >= "2026-04-01"
    ok(run("pause", "priya"))
    assert show(run, "priya")["keep_warm"]["paused"] is True and show(run, "priya")["next"] is None
    cadence = ok(run("cadence", "priya", "--on", "2026-03-02")).stdout
    assert "paused: nothing is suggested until `crm resume`" in cadence
    assert "snoozed: nothing is suggested before 2026-04-01" in cadence
    ok(run("resume", "priya", "--on", "2026-03-02"))
    assert "next: check-in on 2026-" in ok(run("cadence", "priya", "--on", "2026-03-02")).stdout


# ---- timelines ----------------------------------------------------------------------------


def globex(run):
    ok(run("interview", "hal", "--org", "Globex", "--position", "Data Lead", "--recruiter", "priya",
           "--on", "2026-03-16T10:00"))
    for who in ("hal", "priya"):
        ok(run("log", who, "thank-you", "--on", "2026-03-16T18:00"))
        ok(run("log", who, "connect", "--on", "2026-03-17"))


def test_log_reply_by_records_the_timeline_and_no_status_check_comes_before_it(imported):
    run = imported
    globex(run)
    result = ok(run("log", "priya", "message", "--inbound", "--on", "2026-03-25", "--reply-by", "2026-04-08",
                    "--note", "decision by 8 Apr"))
    assert "Timeline: Globex reply by 2026-04-08 (application #1); no status check before then." in result.stderr
    for day in ("2026-04-04", "2026-04-06", "2026-04-08"):
        assert ("status-check", "Priya Shah") not in due(run, day)
    check = next(s for s in today(run, "2026-04-09") if s["action"] == "status-check")
    assert check["contact"]["name"] == "Priya Shah" and check["reason"] == (
        "Globex said on 25 Mar they would reply about Data Lead by 8 Apr; nothing since: ask where things stand.")
    # A new timeline moves it; the history is kept.
    ok(run("log", "priya", "call", "--inbound", "--on", "2026-04-07", "--reply-by", "2026-04-15"))
    assert ("status-check", "Priya Shah") not in due(run, "2026-04-15")
    # The call itself is a reply: ten days after it (17 Apr) is later than the day after 15 Apr.
    assert ("status-check", "Priya Shah") not in due(run, "2026-04-16")
    assert ("status-check", "Priya Shah") in due(run, "2026-04-17")
    app = json.loads(ok(run("applications", "--json")).stdout)[0]
    assert app["reply_by"] == "2026-04-15"
    assert [(t["stated_on"], t["reply_by"]) for t in app["timelines"]] == [
        ("2026-03-25", "2026-04-08"), ("2026-04-07", "2026-04-15")]
    assert "reply by 2026-04-15" in ok(run("applications")).stdout


def test_interview_reply_by_is_a_timeline_too_and_rerunning_moves_it(imported):
    run = imported
    args = ("interview", "hal", "--org", "Globex", "--position", "Data Lead", "--on", "2026-03-16")
    ok(run(*args, "--reply-by", "2026-03-20"))
    ok(run("log", "hal", "thank-you", "--on", "2026-03-16"))
    ok(run("log", "hal", "connect", "--on", "2026-03-17"))
    assert ("status-check", "Hal Mgr") in due(run, "2026-03-24")
    ok(run(*args, "--reply-by", "2026-04-08"))
    assert ("status-check", "Hal Mgr") not in due(run, "2026-04-06")
    assert ("status-check", "Hal Mgr") in due(run, "2026-04-09")


def test_reply_by_needs_an_application_and_unlog_takes_the_timeline_back(imported, row_counts):
    run = imported
    before = row_counts()
    result = run("log", "maria", "message", "--inbound", "--reply-by", "2026-04-08", "--on", "2026-03-25")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "on no open application; name one with --application" in result.stderr
    assert row_counts() == before
    globex(run)
    touch = ok(run("log", "priya", "message", "--inbound", "--on", "2026-03-25", "--reply-by", "2026-04-08")).stdout
    ok(run("unlog", touch.strip()))
    assert json.loads(ok(run("applications", "--json")).stdout)[0]["timelines"] == []
    bad = run("log", "priya", "message", "--on", "2026-03-25", "--reply-by", "2026-03-01")
    assert bad.exit_code == 2 and "before the day it was said" in bad.stderr


# ---- the offer stage --------------------------------------------------------------------


def test_offer_hired_and_withdrawn_through_the_cli(imported):
    run = imported
    globex(run)
    ok(run("interview", "bjorn", "--org", "Acme Robotics", "--position", "Platform Engineer",
           "--recruiter", "chiamaka", "--on", "2026-03-18"))
    for who in ("bjorn", "chiamaka"):
        ok(run("log", who, "thank-you", "--on", "2026-03-18"))
        ok(run("log", who, "connect", "--on", "2026-03-19"))
    ok(run("outcome", "acme robotics", "offer", "--on", "2026-04-01"))
    assert ("courtesy-note", "Priya Shah") in due(run, "2026-04-01")
    draft = ok(run("draft", "priya", "--on", "2026-04-01")).stdout
    assert draft.startswith("Subject: Data Lead at Globex: an update from me\n")
    assert "could you share where things stand" in draft
    ok(run("log", "priya", "courtesy-note", "--on", "2026-04-01"))
    assert ("courtesy-note", "Priya Shah") not in due(run, "2026-04-02")
    ok(run("outcome", "acme robotics", "hired", "--on", "2026-04-06"))
    stage = [(a, n) for a, n in due(run, "2026-04-06") if a in ("thank-you", "withdrawal", "status-check")]
    assert sorted(stage) == [("thank-you", "Björn Lindqvist"), ("thank-you", "Chiamaka Okafor"),
                             ("withdrawal", "Priya Shah")]
    thanks = ok(run("draft", "chiamaka", "--on", "2026-04-06")).stdout
    assert "I have accepted the Platform Engineer role at Acme Robotics" in thanks
    withdraw = ok(run("draft", "priya", "--on", "2026-04-06")).stdout
    assert "I have accepted an offer elsewhere, so I would like to withdraw" in withdraw
    ok(run("outcome", "globex", "withdrawn", "--on", "2026-04-07"))
    assert ("withdrawal", "Priya Shah") in due(run, "2026-04-07")
    assert "I have decided to step back, so" in ok(run("draft", "priya", "--on", "2026-04-07")).stdout


# ---- introductions ------------------------------------------------------------------------


def test_an_introduction_asks_consent_first_and_never_if_declined(imported):
    run = imported
    offer = ok(run("offer", "add", "introduction", "Meet Maria: data pipelines", "--for", "omar",
                   "--introduce", "maria", "--on", "2026-03-04")).stdout.strip()
    assert due(run, "2026-03-04") == [("intro-consent", "Maria Lopez")]
    consent = ok(run("draft", "maria", "--on", "2026-03-04")).stdout
    assert consent.startswith("Subject: Would you like to meet Omar Haddad?\n") and "Omar Haddad at Globex" in consent
    ok(run("log", "maria", "intro-consent", "--offer", offer, "--on", "2026-03-04"))
    assert due(run, "2026-03-05") == []
    ok(run("log", "maria", "message", "--inbound", "--on", "2026-03-06", "--note", "happy to"))
    assert sorted(due(run, "2026-03-06")) == [("introduction", "Maria Lopez"), ("introduction", "Omar Haddad")]
    intro = ok(run("draft", "omar", "--on", "2026-03-06")).stdout
    assert intro.startswith("Subject: Introduction: Omar, meet Maria\n") and "Hi Omar and Maria," in intro
    assert "Omar at Globex, meet Maria Lopez." in intro
    assert "crm log 7 introduction --offer 1 --on 2026-03-06" in run("draft", "omar", "--on", "2026-03-06").stderr
    assert run("log", "maria", "message", "--declined", "--on", "2026-03-06").exit_code == 2  # not --inbound


def test_a_declined_introduction_never_surfaces(imported):
    run = imported
    ok(run("offer", "add", "introduction", "Meet Maria", "--for", "omar", "--introduce", "maria", "--on", "2026-03-04"))
    ok(run("log", "maria", "intro-consent", "--on", "2026-03-04"))
    ok(run("log", "maria", "message", "--inbound", "--declined", "--on", "2026-03-05"))
    assert all(name not in ("Maria Lopez", "Omar Haddad") for n in range(3, 60, 3) for _a, name in due(run, d(n)))


# ---- offers lapse ----------------------------------------------------------------------------


def test_a_congratulation_lapses_and_offer_list_lapsed_lists_it(imported):
    run = imported
    ok(run("offer", "add", "congratulation", "New role at Initech", "--for", "maria", "--on", "2026-03-02"))
    ok(run("offer", "add", "article", "Pipelines", "--interest", "data", "--on", "2026-03-02"))
    assert ("congratulate", "Maria Lopez") in due(run, "2026-03-31")
    assert ("congratulate", "Maria Lopez") not in due(run, "2026-04-01")
    lapsed = json.loads(ok(run("offer", "list", "--lapsed", "--on", "2026-04-01", "--json")).stdout)
    assert [(o["title"], o["lapses_on"]) for o in lapsed] == [("New role at Initech", "2026-04-01")]
    assert json.loads(ok(run("offer", "list", "--lapsed", "--on", "2026-03-31", "--json")).stdout) == []
    assert "No lapsed offers." in run("offer", "list", "--lapsed", "--on", "2026-03-31").stderr


# ---- the two months ---------------------------------------------------------------


def test_two_months_of_doing_what_today_says(imported):
    """A user who does every suggestion the day it comes, over two months with two interview
    processes, a stated timeline, an introduction, an offer and a hire: nothing needy, no
    status check before the timeline, the introduction and the offer-stage notes surface, and
    keep-warm starts after the import without a wall."""
    run = imported
    ok(run("log", "dana", "connect", "--via", "linkedin", "--on", "2023-10-01"))
    events = {
        "2026-03-05": [("interview", "bjorn", "elodie", "--org", "Acme Robotics", "--position", "Platform Engineer",
                        "--recruiter", "chiamaka", "--reply-by", "2026-03-12", "--on", "2026-03-05T10:00")],
        "2026-03-16": [("interview", "hal", "--org", "Globex", "--position", "Data Lead", "--recruiter", "priya",
                        "--on", "2026-03-16T14:00")],
        "2026-03-17": [("log", "chiamaka", "call", "--inbound", "--on", "2026-03-17", "--note", "second round soon")],
        "2026-03-20": [("offer", "add", "introduction", "Meet Maria: data pipelines", "--for", "omar",
                        "--introduce", "maria", "--on", "2026-03-20")],
        "2026-03-25": [("log", "priya", "message", "--inbound", "--on", "2026-03-25", "--reply-by", "2026-04-08")],
        "2026-04-10": [("outcome", "acme robotics", "offer", "--on", "2026-04-10")],
        "2026-04-20": [("outcome", "acme robotics", "hired", "--on", "2026-04-20")],
    }
    outbound: dict[int, str] = {}
    seen: dict[str, list[tuple[str, str]]] = {}
    first_keep_warm: dict[str, int] = {}
    consent_asked = None
    for n in range(-1, 60):
        day = d(n)
        for command in events.get(day, ()):
            ok(run(*command))
        if consent_asked is not None and day == consent_asked:
            ok(run("log", "maria", "message", "--inbound", "--on", day, "--note", "yes, happy to meet Omar"))
        for s in today(run, day):
            who, action = s["contact"], s["action"]
            seen.setdefault(action, []).append((who["name"], day))
            if action not in ("thank-you", "feedback-request", "connect", "courtesy-note", "withdrawal",
                              "introduction") and who["id"] in outbound:
                gap = (date.fromisoformat(day) - date.fromisoformat(outbound[who["id"]])).days
                assert gap >= 7, (day, s)  # never needy
            if action in ("check-in", "value-offer"):
                first_keep_warm.setdefault(who["name"], s["overdue_days"])
            extra = []
            if s["offer"]:
                extra += ["--offer", s["offer"]["id"]]
            if s["application"]:
                extra += ["--application", s["application"]["id"]]
            ok(run("log", who["id"], action, "--on", day, *extra))
            outbound[who["id"]] = day
            if action == "intro-consent":
                consent_asked = d(n + 2)
    checks = [day for name, day in seen.get("status-check", []) if name == "Priya Shah"]
    assert checks and min(checks) >= "2026-04-09"  # the timeline Priya stated
    assert ("Chiamaka Okafor", "2026-03-13") in seen["status-check"]  # the day after Acme's reply-by
    assert {name for name, _ in seen["introduction"]} == {"Omar Haddad", "Maria Lopez"}
    assert [name for name, _ in seen["intro-consent"]] == ["Maria Lopez"]
    assert seen["courtesy-note"] == [("Priya Shah", "2026-04-10")]
    assert ("Priya Shah", "2026-04-20") in seen["withdrawal"]
    assert {name for name, day in seen["thank-you"] if day == "2026-04-20"} == {
        "Chiamaka Okafor", "Björn Lindqvist", "Élodie Moreau"}
    assert "Dana Reyes" in first_keep_warm and max(first_keep_warm.values()) <= 2
