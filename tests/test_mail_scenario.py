"""The issue's "done when": the month of docs/usage.md, with no `crm log` typed.

One database replays the walkthrough exactly as docs/usage.md types it (up to the June
section). The other replays only its commands that are not logging (the address book import,
the tags, the outcome) and lets mail and an invite do the rest: `crm invite import` for the
interview, `crm mail import` over a Sent Maildir and an Inbox mbox. On every day that matters,
`crm today` says the same in both.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from mailbuild import ME, maildir, mbox, message

ROOT = Path(__file__).resolve().parents[1]
INVITE = ROOT / "fixtures" / "invites" / "google-request.ics"
CONSOLE = re.compile(r"```console\n\$ (crm [^\n]*)\n")
LOGGING = {"log", "interview", "unlog"}
READ_ONLY_BEFORE_THE_ROUND = {"brief", "draft"}  # they read the round, which mail brings later
DAYS = ["2026-03-02", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-12", "2026-03-13", "2026-03-14",
        "2026-03-16", "2026-03-17", "2026-03-20", "2026-03-27", "2026-04-15", "2026-06-18"]

CHIAMAKA = "Chiamaka Okafor <chiamaka@northwind.example>"
BJORN = "Björn Lindqvist <bjorn.lindqvist@acme.example>"
ELODIE = "Élodie Moreau <elodie.moreau@acme.example>"


def walkthrough_commands() -> list[list[str]]:
    text = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    month = text.split("## 18 June")[0]
    return [shlex.split(command)[1:] for command in CONSOLE.findall(month) if "|" not in command]


def mail_folders(tmp: Path) -> tuple[Path, Path]:
    sent = maildir(tmp / "Sent", [
        message(ME, BJORN, "Thank you for today", "2026-03-05T18:10"),
        message(ME, ELODIE, "Thank you, Élodie", "2026-03-05T18:20"),
        message(ME, "Friend <pal@mail.example>", "Dinner?", "2026-03-07T12:00"),
        message(ME, CHIAMAKA, "Platform Engineer: checking in", "2026-03-13T09:00"),
        message(ME, CHIAMAKA, "Thank you, and a question", "2026-03-17T10:00"),
    ])
    reply = message(CHIAMAKA, ME, "Re: Platform Engineer: checking in", "2026-03-16T14:00")
    inbox = mbox(tmp / "Inbox.mbox", [
        message(CHIAMAKA, ME, "Platform Engineer at Acme Robotics", "2026-03-02T09:30"),
        message(CHIAMAKA, ME, "Invitation: Interview: Platform Engineer", "2026-03-02T10:15",
                calendar=INVITE.read_bytes()),
        message("News <news@letters.example>", ME, "This week in Rust", "2026-03-03T07:00"),
        reply,
        reply,  # the same message twice (a copy in two places): logged once
        message(CHIAMAKA, ME, "Feedback", "2026-03-19T11:45"),
    ])
    return sent, inbox


def test_mail_and_an_invite_give_the_same_today_as_the_hand_logged_month(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")
    monkeypatch.chdir(ROOT)
    from crm.cli import cli

    runner = CliRunner()

    def crm(db: Path, *args) -> str:
        result = runner.invoke(cli, ["--db", str(db), *map(str, args)], catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.stdout

    commands = walkthrough_commands()
    assert any(c[0] == "log" for c in commands) and any(c[0] == "interview" for c in commands)
    typed = tmp_path / "typed.db"
    for command in commands:
        crm(typed, *command)

    captured = tmp_path / "captured.db"
    sent, inbox = mail_folders(tmp_path)
    for command in commands:
        if command[0] == "outcome":
            crm(captured, "me", ME)
            crm(captured, "invite", "import", INVITE, "--position", "Platform Engineer", "--reply-by", "2026-03-12")
            crm(captured, "mail", "import", sent, inbox)
        if command[0] not in LOGGING | READ_ONLY_BEFORE_THE_ROUND:
            crm(captured, *command)

    # Nothing was typed into the log of the captured database, yet it holds the month.
    history = crm(captured, "history", "chiamaka")
    assert "status-check" in history and "Feedback" in history and "2026-03-02T09:30" in history
    for day in DAYS:
        assert crm(captured, "today", "--on", day) == crm(typed, "today", "--on", day), day
    # The days compared are not empty ones: the connects, the feedback request, the keep-warm.
    assert "connect" in crm(typed, "today", "--on", "2026-03-06")
    assert crm(typed, "today", "--on", "2026-03-16").startswith("feedback-request")
    assert "check-in" in crm(typed, "today", "--on", "2026-06-18")
    assert "thank-you" in crm(captured, "history", "bjorn")
    # And a second run over the same folders changes nothing.
    before = crm(captured, "history", "chiamaka")
    crm(captured, "mail", "import", sent, inbox)
    assert crm(captured, "history", "chiamaka") == before
