"""Before and after an interview round, through the CLI: the briefing the day before, the
thank-you that says what you meant to say, the typo check, the handwritten card."""
from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings as hsettings, strategies as st

CARDS = """BEGIN:VCARD
VERSION:3.0
N:Lindqvist;Björn;;;
FN:Björn Lindqvist
ORG:Acme Robotics;Platform
TITLE:Staff Engineer
EMAIL;type=WORK:bjorn.lindqvist@acme.example
ADR;type=WORK:;;Lindholmspiren 7;Gothenburg;;417 56;Sweden
CATEGORIES:rust,chess
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Moreau;Élodie;;;
FN:Élodie Moreau
ORG:Acme Robotics;Engineering
TITLE:Engineering Manager
CATEGORIES:rust
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Okafor;Chiamaka;;;
FN:Chiamaka Okafor
ORG:Northwind Talent
TITLE:Senior Technical Recruiter
CATEGORIES:climbing
END:VCARD
"""

MONDAY, TUESDAY = "2026-04-13", "2026-04-14"


def ok(result, code: int = 0):
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def story(run, tmp_path, monkeypatch):
    """Björn and Élodie interview you on Tuesday 14 April at 10:00; Chiamaka recruits."""
    monkeypatch.delenv("CRM_NAME", raising=False)
    monkeypatch.delenv("CRM_LANG", raising=False)
    cards = tmp_path / "cards.vcf"
    cards.write_text(CARDS, encoding="utf-8")
    ok(run("import", cards, "--on", "2026-04-01"))
    ok(run("tag", "elodie", "platform engineering", "--note", "her team's roadmap"))
    ok(run("log", "chiamaka", "call", "--inbound", "--via", "phone", "--on", "2026-04-02T09:30",
           "--note", "intro call; interview booked"))
    ok(run("interview", "bjorn", "elodie", "--org", "Acme Robotics", "--position", "Platform Engineer",
           "--on", f"{TUESDAY}T10:00", "--recruiter", "chiamaka"))
    return run


def today(run, day: str) -> list[dict]:
    return json.loads(ok(run("today", "--on", day, "--json")).stdout)


# ---- the day before: prepare and crm brief ---------------------------------------------------


def test_a_round_next_tuesday_gives_prepare_on_monday_and_nothing_on_sunday(story):
    assert today(story, "2026-04-12") == []
    monday = today(story, MONDAY)
    assert [(s["action"], s["contact"]["name"]) for s in monday] == [("prepare", "Björn Lindqvist")]
    assert monday[0]["reason"] == ("Interview for Platform Engineer at Acme Robotics tomorrow at 10:00 with"
                                   " Björn Lindqvist and Élodie Moreau; read your briefing: crm brief 1.")
    assert monday[0]["application"] == {"id": 1, "org": "Acme Robotics", "position": "Platform Engineer"}
    # On the day itself the thank-yous take over; prepare is not "overdue".
    assert {s["action"] for s in today(story, TUESDAY)} == {"thank-you"}


def test_prepare_has_the_briefing_as_its_draft(story):
    line = ok(story("today", "--on", MONDAY, "--drafts")).stdout
    assert "read your briefing: crm brief 1." in line and "    Questions to ask at the end" in line
    drafted = ok(story("draft", "bjorn", "--on", MONDAY))
    assert drafted.stdout.startswith("Briefing: round 1 for Platform Engineer at Acme Robotics (application #1)")
    assert "-- prepare for Björn Lindqvist (#1)" in drafted.stderr


def test_the_briefing_lists_the_people_their_shared_interests_and_last_touch(story):
    text = ok(story("brief", "acme", "--on", MONDAY)).stdout
    assert text.splitlines()[0] == ("Briefing: round 1 for Platform Engineer at Acme Robotics (application #1),"
                                    " Tue 14 Apr 10:00 (tomorrow)")
    assert "  Élodie Moreau, Engineering Manager at Acme Robotics (interviewer)" in text
    assert "    shared interests   platform engineering (her team's roadmap), rust" in text
    assert "    shared interests   chess, rust" in text
    assert "    last touches       Thu 2 Apr 09:30 call by phone, from them: intro call; interview booked" in text
    assert "no timeline known yet: ask for one at the end" in text
    questions = text.split("Questions to ask at the end\n")[1].splitlines()
    assert "next steps" in questions[0] and "decide" in questions[1]

    data = json.loads(ok(story("brief", "acme", "--on", MONDAY, "--json")).stdout)
    assert set(data) == {"as_of", "application", "round", "people", "earlier_rounds", "timeline", "questions"}
    assert data["round"] == {"number": 1, "on": f"{TUESDAY}T10:00", "reply_by": None, "interviewers": [1, 2]}
    people = {p["name"]: p for p in data["people"]}
    assert [p["role"] for p in data["people"]] == ["interviewer", "interviewer", "recruiter"]
    assert people["Björn Lindqvist"]["title"] == "Staff Engineer"
    assert [i["name"] for i in people["Björn Lindqvist"]["shared_interests"]] == ["chess", "rust"]
    assert people["Chiamaka Okafor"]["last_touches"][0]["note"] == "intro call; interview booked"
    assert people["Chiamaka Okafor"]["how_you_know"][0] == "the recruiter for this application"
    # Without APPLICATION: the soonest round to come.
    assert json.loads(ok(story("brief", "--on", MONDAY, "--json")).stdout) == data


def test_a_later_briefing_says_what_the_earlier_round_covered(story):
    ok(story("log", "bjorn", "thank-you", "--on", f"{TUESDAY}T18:00", "--application", "1",
             "--note", "thanks for the deep dive on the scheduler"))
    ok(story("interview", "elodie", "--org", "Acme Robotics", "--position", "Platform Engineer",
             "--on", "2026-04-21T14:00", "--reply-by", "2026-04-28"))
    data = json.loads(ok(story("brief", "1", "--on", "2026-04-20", "--json")).stdout)
    assert data["round"]["number"] == 2
    assert data["earlier_rounds"] == [{
        "number": 1, "on": f"{TUESDAY}T10:00", "interviewers": ["Björn Lindqvist", "Élodie Moreau"],
        "notes": [{"on": f"{TUESDAY}T18:00", "contact": "Björn Lindqvist", "kind": "thank-you",
                   "note": "thanks for the deep dive on the scheduler"}],
    }]
    assert {"on": "2026-04-28", "event": "they said they would reply by then (round 2)"} in data["timeline"]


def test_brief_failures_are_one_line(story, run):
    result = ok(story("brief", "--on", "2026-05-01"), 1)
    assert result.stderr.startswith("Error: no interview round on or after 2026-05-01")
    assert ok(story("brief", "initech"), 1).stderr.count("\n") == 1


# ---- after the round: the hint, the notes, the pitch ------------------------------------------


def test_interview_hints_at_the_timeline_after_the_round_and_at_the_briefing_before(run):
    ok(run("add", "Ann"))
    past = ok(run("interview", "ann", "--org", "Acme", "--position", "Dev", "--on", "2026-03-05"))
    assert past.stderr.splitlines()[-1] == (
        "Did they say when you will hear back? Record it: crm log CONTACT KIND --reply-by DATE")
    given_timeline = ok(run("interview", "ann", "--org", "Acme", "--position", "Dev", "--on", "2026-03-05",
                            "--reply-by", "2026-03-12"))
    assert "--reply-by" not in given_timeline.stderr
    future = ok(run("interview", "ann", "--org", "Acme", "--position", "Dev", "--on", "2099-03-05T10:00"))
    assert future.stderr.splitlines()[-1] == "The day before, `crm today` suggests preparing: crm brief 1"


def drafts(run, day: str = TUESDAY) -> tuple[str, str]:
    return (ok(run("draft", "bjorn", "--on", day, "--from", "Sam Doe")).stdout,
            ok(run("draft", "elodie", "--on", day, "--from", "Sam Doe")).stdout)


def test_a_note_logged_after_the_round_is_in_that_interviewers_draft_only(story):
    ok(story("log", "bjorn", "note", "--application", "1", "--on", "2026-04-10",
             "--note", "before the round: not something I forgot"))
    ok(story("log", "bjorn", "note", "--application", "1", "--on", f"{TUESDAY}T16:00",
             "--note", "I led the move of our CI to Bazel, which cut build times in half"))
    bjorn, elodie = drafts(story)
    assert ("One thing I did not get to say in the interview: I led the move of our CI to Bazel,"
            " which cut build times in half.\n") in bjorn
    assert "Bazel" not in elodie and "before the round" not in bjorn
    # Logged as a note, it is not a touch: the thank-you is still due.
    assert [s["action"] for s in today(story, TUESDAY)] == ["thank-you", "thank-you"]
    # Once the thank-you is sent, a later note is not "before the thank-you".
    ok(story("log", "bjorn", "thank-you", "--on", f"{TUESDAY}T18:00", "--application", "1"))
    ok(story("log", "bjorn", "note", "--application", "1", "--on", f"{TUESDAY}T19:00", "--note", "after it"))
    later = ok(story("draft", "bjorn", "--action", "thank-you", "--on", TUESDAY)).stdout
    assert "Bazel" in later and "after it" not in later


def test_two_notes_are_a_list_and_two_interviewers_never_get_the_same_text(story):
    ok(story("log", "bjorn", "note", "--application", "1", "--on", f"{TUESDAY}T16:00", "--note", "the Bazel move"))
    ok(story("log", "bjorn", "note", "--application", "1", "--on", f"{TUESDAY}T16:05", "--note", "on-call stories"))
    bjorn, elodie = drafts(story)
    assert "A few things I did not get to say in the interview:\n- the Bazel move.\n- on-call stories.\n" in bjorn
    body = lambda text: text.split("\n", 4)[4]  # noqa: E731  (after the subject and the greeting)
    assert body(bjorn) != body(elodie)
    assert "we share an interest in chess and rust" in bjorn
    assert "we share an interest in platform engineering and rust" in elodie
    for text in (bjorn, elodie):
        assert text.startswith("Subject: Thank you: Platform Engineer first-round interview, 14 April\n")
        assert "in the first-round interview for the Platform Engineer role at Acme Robotics" in text
        assert "even more interested in the role" in text and "anything I forgot to cover" in text


def test_the_pitch_is_one_sentence_yours_or_the_applications_and_never_invented(story):
    bjorn, _ = drafts(story)
    assert "what I would bring" not in bjorn
    ok(story("me", "--pitch", "eight years building schedulers in Rust and Go."))
    bjorn, elodie = drafts(story)
    assert "A short reminder of what I would bring: eight years building schedulers in Rust and Go.\n" in bjorn
    assert "eight years building schedulers" in elodie
    ok(story("me", "--pitch", "the platform team's Bazel migration, done twice before", "--application", "acme"))
    assert "what I would bring: the platform team's Bazel migration, done twice before." in drafts(story)[0]
    assert json.loads(ok(story("me", "--json")).stdout) == {
        "addresses": [],
        "pitch": "eight years building schedulers in Rust and Go",
        "applications": [{"id": 1, "org": "Acme Robotics", "position": "Platform Engineer",
                          "pitch": "the platform team's Bazel migration, done twice before"}],
    }
    ok(story("me", "--pitch", ""))
    assert json.loads(ok(story("me", "--json")).stdout)["pitch"] is None
    assert ok(story("me", "--pitch", "x" * 301), 2).stderr.startswith("Error: a pitch is one sentence")
    assert ok(story("me", "--application", "acme"), 2).stderr == "Error: --application goes with --pitch TEXT\n"


# ---- the typo check ------------------------------------------------------------------------


def test_check_flags_typos_and_not_the_contacts_names(story):
    ok(story("log", "bjorn", "note", "--application", "1", "--on", f"{TUESDAY}T16:00",
             "--note", "my enthusiam for this oportunity, Lindqvist, Moreau, Okafor and Northwind"))
    result = ok(story("draft", "bjorn", "--on", TUESDAY, "--from", "Sam Doe", "--check"), 1)
    flagged = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if line.startswith("draft:")]
    assert flagged == ["enthusiam (did you mean: enthusiasm?)", "oportunity (did you mean: opportunity?)"]
    assert result.stderr.splitlines()[-1] == "2 words flagged."
    assert result.stdout.startswith("Subject: Thank you")  # the draft itself is still printed
    data = json.loads(ok(story("draft", "bjorn", "--on", TUESDAY, "--check", "--json"), 1).stdout)
    assert [(f["word"], f["suggestions"][0]) for f in data["check"]] == [
        ("enthusiam", "enthusiasm"), ("oportunity", "opportunity")]
    clean = ok(story("draft", "elodie", "--on", TUESDAY, "--from", "Sam Doe", "--check"))
    assert clean.stderr.splitlines()[-1] == "Checked: no typos found."


def test_proofread_a_file_or_stdin_with_positions(story, tmp_path, monkeypatch):
    note = tmp_path / "note.txt"
    note.write_text("Dear Björn,\nThanks for the oportunity: https://exampel.com/x mail sam@exampel.org\n",
                    encoding="utf-8")
    result = ok(story("proofread", note), 1)
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == f"{note}:2:16: oportunity (did you mean: opportunity?)"
    data = json.loads(ok(story("proofread", "-", "--json", input="Merci beaucoup, Kubernetes\n"), 1).stdout)
    assert [(f["word"], f["line"], f["column"], f["offset"]) for f in data] == [
        ("Merci", 1, 1, 0), ("beaucoup", 1, 7, 6), ("Kubernetes", 1, 17, 16)]
    ok(story("tag", "bjorn", "kubernetes"))
    monkeypatch.setenv("CRM_LANG", "fr_FR.UTF-8")
    assert json.loads(ok(story("proofread", "-", "--json", input="Merci beaucoup, Kubernetes\n")).stdout) == []
    monkeypatch.setenv("CRM_LANG", "klingon")
    bad = ok(story("proofread", note), 2)
    assert bad.stderr == ("Error: CRM_LANG='klingon' is not a language the checker has;"
                          " use one of en, es, de, fr, pt\n")
    monkeypatch.delenv("CRM_LANG")
    assert ok(story("proofread", tmp_path / "missing.txt"), 2).stderr.startswith("Error: cannot read")


# ---- the handwritten card ------------------------------------------------------------------


def test_a_handwritten_draft_is_short_and_prints_the_postal_address(story):
    ok(story("log", "bjorn", "note", "--application", "1", "--on", f"{TUESDAY}T16:00", "--note", "the Bazel move"))
    ok(story("me", "--pitch", "eight years building schedulers"))
    email, _ = drafts(story)
    card = ok(story("draft", "bjorn", "--on", TUESDAY, "--from", "Sam Doe", "--via", "handwritten"))
    message, address = card.stdout.split("\n\nAddress (from their card):\n")
    assert "Subject" not in message and len(message) < len(email) / 2
    assert "One thing I meant to add: the Bazel move." in message
    assert address == "  Björn Lindqvist\n  Lindholmspiren 7\n  Gothenburg 417 56\n  Sweden\n"
    assert "crm log 1 thank-you --via handwritten --application 1" in card.stderr
    # No ADR on her card: the card still, and a note saying so.
    elodie = ok(story("draft", "elodie", "--on", TUESDAY, "--via", "handwritten"))
    assert "Address" not in elodie.stdout and "no postal address on their card" in elodie.stderr


def test_a_logged_handwritten_channel_makes_cards_the_default(story):
    ok(story("log", "bjorn", "note", "--via", "handwritten", "--on", "2026-04-03", "--note", "loves cards"))
    assert "Address (from their card):" in ok(story("draft", "bjorn", "--on", TUESDAY)).stdout
    data = json.loads(ok(story("draft", "bjorn", "--on", TUESDAY, "--json")).stdout)
    assert data["handwritten"] is True and data["address"][1] == "Lindholmspiren 7"
    assert "Subject:" in ok(story("draft", "bjorn", "--on", TUESDAY, "--via", "email")).stdout
    drafted = ok(story("today", "--on", TUESDAY, "--drafts")).stdout
    assert "    Address (from their card):" in drafted


# ---- never identical ------------------------------------------------------------------------

NAMES = st.sampled_from(["Ann", "Bo", "Cy", "Dee"])
INTERESTS = st.lists(st.sampled_from(["rust", "chess", "go", "climbing"]), max_size=2, unique=True)


@hsettings(max_examples=40, deadline=None)
@given(a=st.tuples(NAMES, INTERESTS, st.sampled_from(["", "CTO", "Staff Engineer"])),
       b=st.tuples(NAMES, INTERESTS, st.sampled_from(["", "CTO", "Staff Engineer"])))
def test_two_interviewers_with_anything_different_never_get_identical_thank_yous(a, b):
    from crm.views.drafts import DraftFacts, draft

    def text(person):
        name, interests, title = person
        facts = DraftFacts(first_name=name, org="Acme", position="Dev", on=date(2026, 4, 14), interviewed=True,
                           interests=tuple(sorted(interests)), title=title, round_number=1)
        return draft("thank-you", facts, date(2026, 4, 14), sender="Sam", user_dir=None)

    differ = a[0] != b[0] or tuple(sorted(a[1])) != tuple(sorted(b[1])) or (not a[1] and a[2] != b[2])
    assert (text(a) != text(b)) == differ


def test_today_with_limit_zero_lists_nothing_and_says_how_many_are_due(story):
    result = ok(story("today", "--on", MONDAY, "--limit", "0"))
    assert result.stdout == "1 more due (crm today --limit 1 shows all).\n"
