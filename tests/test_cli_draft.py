"""crm draft through the CLI: the right facts in each draft, never needy, overrides, failures."""
from __future__ import annotations

import json

import pytest

NEEDY = ("any news", "any update", "just following up", "checking in to see if you")


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def not_needy(text: str) -> str:
    lowered = text.lower()
    assert not [p for p in NEEDY if p in lowered], text
    return text


def build_story(run):
    """Ada recruits for Acme Robotics; Björn and Élodie interview you on 5 March."""
    ok(run("add", "Ada Lovelace", "--role", "recruiter", "--org", "Northwind Talent", "--interest", "chess",
           "--on", "2026-03-01"))
    ok(run("add", "Björn Lindqvist", "--interest", "rust", "--interest", "chess", "--on", "2026-03-01"))
    ok(run("add", "Élodie Moreau", "--org", "Acme Robotics", "--on", "2026-03-01"))
    ok(run("interview", "bjorn", "elodie", "--org", "Acme Robotics", "--position", "Platform Engineer",
           "--on", "2026-03-05T10:00", "--reply-by", "2026-03-12", "--recruiter", "ada"))


@pytest.fixture
def story(copy_of, run, monkeypatch):
    monkeypatch.delenv("CRM_NAME", raising=False)
    copy_of(build_story)
    return run


def draft(run, *args) -> str:
    result = ok(run("draft", *args))
    return not_needy(result.stdout)


def test_suggested_thank_you_names_position_org_and_date(story):
    result = ok(story("draft", "bjorn", "--on", "2026-03-06", "--from", "Sam Doe"))
    assert result.stdout == (
        "Subject: Thank you: Platform Engineer first-round interview, 5 March\n\n"
        "Hi Björn,\n\n"
        "Thank you for taking the time to talk with me yesterday in the first-round interview for the Platform"
        " Engineer role at Acme Robotics. It was good to find that we share an interest in chess and rust."
        " I enjoyed learning how the team works, and our conversation made me even more interested in the role.\n\n"
        "If there is anything I forgot to cover, or anything else from me that would help, I am happy to send it"
        " over.\n\n"
        "Best regards,\nSam Doe\n"
    )
    assert result.stderr == (
        "-- thank-you for Björn Lindqvist (#2): Interviewed you at Acme Robotics on 5 Mar; no thank-you logged yet.\n"
        "-- once sent: crm log 2 thank-you --application 1 --on 2026-03-06\n"
    )


def test_sender_comes_from_crm_name_and_without_one_there_is_no_signature_line(story, monkeypatch):
    assert draft(story, "bjorn", "--on", "2026-03-06").endswith("\nBest regards,\n")
    monkeypatch.setenv("CRM_NAME", "Sam Doe")
    assert draft(story, "bjorn", "--on", "2026-03-06").endswith("\nBest regards,\nSam Doe\n")
    assert draft(story, "bjorn", "--on", "2026-03-06", "--from", "S. D.").endswith("\nBest regards,\nS. D.\n")


def test_status_check_offers_more_and_names_the_latest_round(story):
    text = draft(story, "ada", "--action", "status-check", "--on", "2026-03-13")
    assert text.startswith("Subject: Platform Engineer at Acme Robotics: where do things stand?\n\nHi Ada,\n")
    assert "Could you share where things stand and what the next step would be?" in text
    assert "I would be glad to share more about my recent work" in text
    assert "After my interview on 5 March, I am still very keen on the Platform Engineer role at Acme Robotics." in text
    assert "I would be glad to share more" in text


def test_feedback_request_after_a_rejection_is_what_is_suggested(story):
    ok(story("log", "bjorn", "thank-you", "--on", "2026-03-05T18:00"))
    ok(story("log", "elodie", "thank-you", "--on", "2026-03-05T18:10"))
    ok(story("log", "ada", "connect", "--on", "2026-03-06"))
    ok(story("outcome", "acme robotics", "rejected", "--on", "2026-03-16"))
    result = ok(story("draft", "ada", "--on", "2026-03-17", "--json"))
    shown = json.loads(result.stdout)
    assert {k: shown[k] for k in ("contact", "action", "on", "suggested", "overridden")} == {
        "contact": {"id": 1, "name": "Ada Lovelace"}, "action": "feedback-request", "on": "2026-03-17",
        "suggested": True, "overridden": False}
    assert shown["reason"].startswith("Acme Robotics turned you down for Platform Engineer on 16 Mar")
    assert shown["template"].endswith("feedback-request.txt")
    text = not_needy(shown["text"])
    assert "Thank you for letting me know about the Platform Engineer role at Acme Robotics" in text
    assert "feedback" in text.lower() or "where I could have been stronger" in text


def test_value_offer_carries_title_url_and_the_shared_interest(story):
    offer_id = ok(story("offer", "add", "article", "Rust at the edge", "--url", "https://example.com/rust-edge",
                        "--interest", "rust", "--on", "2026-03-20")).stdout.strip()
    result = ok(story("draft", "bjorn", "--action", "value-offer", "--on", "2026-03-21"))
    text = not_needy(result.stdout)
    assert result.stderr.endswith(f"-- once sent: crm log 2 value-offer --offer {offer_id} --on 2026-03-21\n")
    assert "I came across this and thought of you, given our shared interest in rust:\n\n" in text
    assert "Rust at the edge\nhttps://example.com/rust-edge\n" in text
    assert text.startswith("Subject: Rust at the edge\n")
    # Not before it existed, and never twice to the same person.
    early = story("draft", "bjorn", "--action", "value-offer", "--on", "2026-03-19")
    assert early.exit_code == 1 and early.stderr.startswith("Error: no offer fits Björn Lindqvist")
    ok(story("log", "bjorn", "value-offer", "--offer", offer_id, "--on", "2026-03-21"))
    again = story("draft", "bjorn", "--action", "value-offer", "--on", "2026-03-22")
    assert again.exit_code == 1 and again.stderr.count("\n") == 1


def test_congratulate_carries_the_news(story):
    ok(story("offer", "add", "congratulation", "Promoted to Staff Engineer", "--for", "elodie",
             "--url", "https://example.com/news", "--on", "2026-03-22"))
    text = draft(story, "elodie", "--action", "congratulate", "--on", "2026-03-23", "--from", "Sam")
    assert "I just saw the news: Promoted to Staff Engineer. Congratulations" in text
    assert "https://example.com/news" in text and text.endswith("Best,\nSam\n")
    nothing = story("draft", "bjorn", "--action", "congratulate", "--on", "2026-03-23")
    assert nothing.exit_code == 1 and "nothing to congratulate Björn Lindqvist on" in nothing.stderr


def test_check_in_and_connect(story):
    text = draft(story, "ada", "--action", "check-in", "--on", "2026-05-01")
    assert text.startswith("Subject: Catching up\n\nHi Ada,\n") and "going well at Northwind Talent." in text
    note = draft(story, "elodie", "--action", "connect", "--on", "2026-03-07")
    assert note == ("Hi Élodie, thank you for our conversation about the Platform Engineer role at Acme Robotics"
                    " on Thursday; I would be glad to stay connected.\n")
    assert len(note) <= 300


def test_no_suggestion_is_one_line_pointing_at_action(story):
    ok(story("log", "bjorn", "thank-you", "--on", "2026-03-05T18:00"))
    ok(story("log", "bjorn", "connect", "--on", "2026-03-05T18:05"))
    result = story("draft", "bjorn", "--on", "2026-03-07")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: nothing is suggested for Björn Lindqvist (#2) on 2026-03-07; name one with --action"
        " (thank-you, feedback-request, courtesy-note, withdrawal, status-check, connect, introduction,"
        " intro-consent, congratulate, value-offer, check-in)\n"
    )


def test_actions_needing_an_interview_refuse_without_one(run):
    ok(run("add", "Omar Haddad", "--role", "peer", "--on", "2026-03-01"))
    result = run("draft", "omar", "--action", "thank-you", "--on", "2026-03-02")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "Omar Haddad is not on any interview yet" in result.stderr


@pytest.mark.parametrize("args, code, start", [
    (("draft", "nobody", "--action", "check-in"), 1, "Error: no contact matches"),
    (("draft", "ada", "--action", "gossip"), 2, "Error: unknown action 'gossip'"),
    (("draft", "ada", "--action", "thank_you", "--on", "2026-02-30"), 2, "Error: bad date '2026-02-30'"),
    (("draft", "ada", "--on", "someday"), 2, "Error: bad date 'someday'"),
    (("draft",), 2, "Error: a contact is needed"),
])
def test_failures_are_one_line_and_non_zero(run, args, code, start):
    ok(run("add", "Ada Lovelace", "--role", "recruiter"))
    result = run(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(start) and result.stderr.count("\n") == 1 and result.stdout == ""


def test_a_template_in_the_config_dir_overrides_the_shipped_one(story, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CONFIG_DIR", str(tmp_path / "cfg"))
    folder = tmp_path / "cfg" / "templates"
    folder.mkdir(parents=True)
    (folder / "thank-you.txt").write_text("Thanks ${first_name}, re ${position} (${date}).\n-- ${me}\n", "utf-8")
    text = draft(story, "bjorn", "--on", "2026-03-06", "--from", "Sam")
    assert text == "Thanks Björn, re Platform Engineer (5 March).\n-- Sam\n"
    listing = json.loads(ok(story("draft", "--list-templates", "--json")).stdout)
    assert listing["directory"] == str(folder)
    assert listing["templates"][0] == {"action": "thank-you", "file": str(folder / "thank-you.txt"), "overridden": True}
    assert [t["action"] for t in listing["templates"] if not t["overridden"]] == [
        "thank-you-handwritten", "thank-you-hired", "feedback-request", "courtesy-note", "withdrawal", "status-check",
        "connect", "introduction", "intro-consent", "congratulate", "value-offer", "check-in"]
    text = ok(story("draft", "--list-templates")).stdout
    rows = {line.split()[0]: line.split()[1] for line in text.splitlines()[2:]}
    assert rows["thank-you"] == "yes" and rows["check-in"] == "no" and rows["thank-you-handwritten"] == "no"


def test_an_unreadable_template_is_one_line(story, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_CONFIG_DIR", str(tmp_path))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "thank-you.txt").write_bytes(b"\xff\xfe bad")
    result = story("draft", "bjorn", "--on", "2026-03-06")
    assert result.exit_code == 2 and result.stderr.startswith("Error: cannot read the thank-you template")
    assert result.stderr.count("\n") == 1


def test_today_drafts_show_a_draft_under_each_suggestion(run):
    run("add", "Chiamaka Okafor", "--role", "recruiter", "--on", "2026-03-01")
    run("add", "Björn Lindqvist", "--on", "2026-03-01")
    run("interview", "bjorn", "--org", "Acme", "--position", "Platform Engineer", "--on", "2026-03-05",
        "--recruiter", "chiamaka")
    result = run("today", "--on", "2026-03-05", "--drafts", "--from", "Sam Rivera")
    assert result.exit_code == 0, result.output
    assert "thank-you" in result.stdout and "Platform Engineer" in result.stdout and "Sam Rivera" in result.stdout
    items = json.loads(run("today", "--on", "2026-03-05", "--drafts", "--json").stdout)
    assert items and all("Platform Engineer" in item["draft"] for item in items if item["action"] == "thank-you")
    assert "draft" not in json.loads(run("today", "--on", "2026-03-05", "--json").stdout)[0]
