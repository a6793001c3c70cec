"""crm me, crm mail import and crm relog through the CLI: who is who, one touch per message
per contact, the kinds and their reasons, dry runs, bad mail, interrupted imports."""
from __future__ import annotations

import json

import pytest

from mailbuild import ME, maildir, mbox, message

ADA = "Ada Lovelace <ada@acme.example>"
BOB = "Bob Byrne <bob@acme.example>"


@pytest.fixture(autouse=True)
def london(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")


def setup(run, *extra):
    for args in (("add", "Ada Lovelace", "--email", "ada@acme.example", "--email", "ada@home.example"),
                 ("add", "Bob Byrne", "--email", "bob@acme.example"), ("me", ME, *extra)):
        assert run(*args).exit_code == 0


def imported(run, *args) -> dict:
    result = run("mail", "import", *map(str, args), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def history(run, who) -> list[dict]:
    return json.loads(run("history", who, "--json").stdout)


def test_me_stores_lists_and_forgets_addresses(run):
    assert run("me").stderr.startswith("No addresses yet")
    assert run("me", "Me@Home.example", "me@work.example").exit_code == 0
    assert run("me", "me@home.example").stderr.startswith("Added 0")  # the same address, whatever its case
    assert json.loads(run("me", "--json").stdout) == {"addresses": ["Me@Home.example", "me@work.example"],
                                                      "pitch": None, "applications": []}
    run("me", "--remove", "me@work.example")
    assert run("me").stdout == "Me@Home.example\n"
    bad = run("me", "not an address")
    assert bad.exit_code == 2 and bad.stderr == "Error: not an email address: 'not an address'\n"


def test_mail_import_needs_your_addresses_first(run, tmp_path):
    box = mbox(tmp_path / "box", [message(ADA, ME, "Hi", "2026-03-02T10:00")])
    result = run("mail", "import", box)
    assert result.exit_code == 2 and result.stderr == "Error: tell crm your own addresses first: crm me you@example.com\n"


def test_one_touch_per_message_per_contact_across_folders_and_runs(run, tmp_path, db_dump):
    setup(run)
    to_both = message(ME, [ADA, "Ada again <ada@home.example>", "me@home.example"], "Team lunch",
                      "2026-03-02T12:00", cc=[BOB, "Stranger <x@else.example>"])
    reply = message(ADA, ME, "Re: Team lunch", "2026-03-02T13:00")
    sent = maildir(tmp_path / "Sent", [to_both])
    inbox = mbox(tmp_path / "Inbox", [to_both, reply])  # you were on Cc of your own message
    first = imported(run, sent, inbox)
    assert (first["messages"], first["touches"], first["already_logged"]) == (3, 3, 2)
    assert [(t["contact"]["name"], t["direction"]) for t in first["logged"]] == [
        ("Ada Lovelace", "out"), ("Bob Byrne", "out"), ("Ada Lovelace", "in")]
    assert [t["note"] for t in history(run, "ada")] == ["Team lunch", "Re: Team lunch"]
    assert all(t["via"] == "email" for t in history(run, "ada"))
    before = db_dump()
    again = imported(run, sent, inbox)
    assert again["touches"] == 0 and again["logged"] == [] and db_dump().count("INSERT INTO \"touchpoint\"") == \
        before.count("INSERT INTO \"touchpoint\"")


def test_the_json_summary_counts_unknown_correspondents_most_frequent_first(run, tmp_path):
    setup(run)
    box = mbox(tmp_path / "box", [
        message("News <news@letters.example>", ME, "Issue 1", "2026-03-01T08:00"),
        message("news@letters.example", ME, "Issue 2", "2026-03-08T08:00"),
        message(ME, "Zed <zed@else.example>", "Hello", "2026-03-09T08:00"),
        message(ADA, ME, "Hi", "2026-03-10T08:00"),
    ])
    summary = imported(run, box)
    assert summary["nobody_known"] == 3 and summary["touches"] == 1
    assert summary["unknown"] == [
        {"email": "news@letters.example", "name": "News", "messages": 2},
        {"email": "zed@else.example", "name": "Zed", "messages": 1},
    ]
    assert set(summary) == {"dry_run", "sources", "messages", "touches", "already_logged", "nobody_known",
                            "before_since", "unreadable", "logged", "invites", "unknown", "warnings"}
    assert summary["sources"] == [{"source": str(box.resolve()), "messages": 4, "touches": 1, "resumed": False,
                                   "uidvalidity_changed": False}]
    assert summary["logged"][0] == {
        "contact": {"id": 1, "name": "Ada Lovelace"}, "on": "2026-03-10T08:00", "kind": "message",
        "direction": "in", "subject": "Hi", "message_id": summary["logged"][0]["message_id"],
        "application": None, "why": "received from them"}


def test_kinds_follow_the_documented_rules_and_the_dry_run_says_why(run, tmp_path, db_dump):
    setup(run)
    run("interview", "ada", "--org", "Acme", "--position", "Engineer", "--on", "2026-03-02T10:00", "--recruiter", "bob")
    box = mbox(tmp_path / "Sent", [
        message(ME, ADA, "Thanks!", "2026-03-03T09:00"),  # the day after the round
        message(ME, ADA, "One more thing", "2026-03-04T09:00"),  # two days after: a message
        message(ME, BOB, "Any news?", "2026-03-11T09:00"),  # 9 days, no timeline: too soon
        message(ME, BOB, "Any news now?", "2026-03-12T09:00"),  # 10 days: a status check
    ])
    before = db_dump()
    dry = run("mail", "import", box, "--dry-run")
    assert dry.exit_code == 0 and db_dump() == before
    lines = dry.stdout.splitlines()
    assert lines[0].split()[:2] == ["KIND", "CONTACT"]
    assert "thank-you     Ada Lovelace (#1)  2026-03-03T09:00" in lines[2]
    assert "the day after they interviewed you at Acme (round 1, 2 Mar 2026)" in lines[2]
    assert lines[3].startswith("message ") and lines[4].startswith("message ")
    assert lines[5].startswith("status-check") and "10+ days after the interview on 2 Mar 2026" in lines[5]
    assert "would log 4 touch(es)" in dry.stderr
    summary = imported(run, box)
    assert [t["kind"] for t in summary["logged"]] == ["thank-you", "message", "message", "status-check"]
    assert [t["application"] for t in summary["logged"]] == [1, None, None, 1]
    assert "thank-you" not in run("today", "--on", "2026-03-03").stdout


def test_relog_changes_the_kind_afterwards(run, tmp_path):
    setup(run)
    imported(run, mbox(tmp_path / "Sent", [message(ME, ADA, "Thanks", "2026-03-03T09:00")]))
    [touch] = history(run, "ada")
    assert touch["kind"] == "message"
    changed = run("relog", str(touch["id"]), "--kind", "thank-you", "--json")
    assert changed.exit_code == 0 and json.loads(changed.stdout)["kind"] == "thank-you"
    assert changed.stderr == f"#{touch['id']} on 2026-03-03T09:00 with Ada Lovelace is now a thank-you.\n"
    assert history(run, "ada")[0]["kind"] == "thank-you"
    bad = run("relog", str(touch["id"]), "--kind", "thankyou")
    assert bad.exit_code == 2 and "did you mean thank-you?" in bad.stderr
    assert run("relog", "999", "--kind", "message").exit_code == 1


def test_bad_mail_is_skipped_or_decoded_with_a_warning_and_the_rest_imported(run, tmp_path):
    import base64

    setup(run)
    path = mbox(tmp_path / "box", [message(ADA, ME, "Before", "2026-03-01T10:00")])
    with open(path, "ab") as out:
        out.write(b"From x Thu Mar  5 10:00:00 2026\nFrom: ada@acme.example\nTo: me@home.example\n"
                  b"Subject: Caf\xe9\nDate: Thu, 05 Mar 2026 10:00:00 +0000\n\nbody\n\n")
        out.write(b"From x Fri Mar  6 10:00:00 2026\nFrom: ada@acme.example\nDate: not a date\nSubject: no date\n\n\n")
        out.write(b"From x Fri Mar  6 11:00:00 2026\nFrom: ada@acme.example\nTo: me@home.example\nSubject: big\n"
                  b"Date: Fri, 06 Mar 2026 11:00:00 +0000\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
                  b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
                  + base64.encodebytes(b"\1" * (20 * 1024 * 1024)) + b"--b--\n\n")
        out.write(b"From x Sat Mar  7 10:00:00 2026\n"
                  + bytes(message(ADA, ME, "After", "2026-03-07T10:00")).replace(b"\r\n", b"\n"))
        out.write(b"\nFrom x Sat Mar  7 12:00:00 2026\nFrom: ada@acme.example\nSubject: cut of")  # truncated
    result = run("mail", "import", path)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "Warning: " in result.stderr and "not UTF-8" in result.stderr and "truncated" in result.stderr
    assert [t["note"] for t in history(run, "ada")] == ["Before", "Café", "no date", "big", "After"]
    assert "1 unreadable" in result.stderr


def test_an_interrupted_import_keeps_whole_batches_and_the_next_run_continues(run, tmp_path, monkeypatch):
    import crm.capture.mail as capture

    setup(run)
    box = mbox(tmp_path / "box", [message(ADA, ME, f"m{i}", f"2026-03-{i + 1:02d}T10:00") for i in range(10)])
    monkeypatch.setattr(capture, "BATCH", 3)
    real_plan = capture.MailImport._plan
    calls = iter(range(100))

    def plan_then_interrupt(self, batch):
        if next(calls) == 2:  # the third batch: Ctrl-C while it is being written
            raise KeyboardInterrupt
        return real_plan(self, batch)

    monkeypatch.setattr(capture.MailImport, "_plan", plan_then_interrupt)
    stopped = run("mail", "import", box)
    assert stopped.exit_code == 130 and stopped.stderr.startswith("Error: interrupted")
    assert [t["note"] for t in history(run, "ada")] == [f"m{i}" for i in range(6)]  # two whole batches
    monkeypatch.setattr(capture.MailImport, "_plan", real_plan)
    resumed = imported(run, box)
    assert resumed["sources"][0]["resumed"] is True and resumed["messages"] == 4
    assert [t["note"] for t in history(run, "ada")] == [f"m{i}" for i in range(10)]


def test_an_mbox_appended_to_is_read_from_where_it_stopped_and_a_rewritten_one_again(run, tmp_path):
    setup(run)
    path = mbox(tmp_path / "box", [message(ADA, ME, "one", "2026-03-01T10:00")])
    assert imported(run, path)["messages"] == 1
    mbox(path, [message(ADA, ME, "two", "2026-03-02T10:00")])
    second = imported(run, path)
    assert second["messages"] == 1 and second["touches"] == 1 and second["sources"][0]["resumed"]
    path.unlink()
    mbox(path, [message(ADA, ME, "zero", "2026-02-28T10:00"), message(ADA, ME, "one", "2026-03-01T10:00"),
                message(ADA, ME, "two", "2026-03-02T10:00")])
    third = imported(run, path)
    assert third["messages"] == 3 and third["touches"] == 1 and third["sources"][0]["resumed"] is False
    assert [t["note"] for t in history(run, "ada")] == ["zero", "one", "two"]


def test_since_and_eml_files_and_no_progress_bar_off_a_terminal(run, tmp_path):
    setup(run)
    old = tmp_path / "old.eml"
    old.write_bytes(bytes(message(ADA, ME, "old", "2026-01-01T10:00")))
    new = tmp_path / "new.eml"
    new.write_bytes(bytes(message(ADA, ME, "new", "2026-03-01T10:00")))
    result = run("mail", "import", old, new, "--since", "2026-02-01")
    assert result.exit_code == 0 and "1 before --since" in result.stderr
    assert "\r" not in result.stderr and "%" not in result.stderr
    assert [t["note"] for t in history(run, "ada")] == ["new"]


def test_a_source_that_is_not_mail_is_one_clear_error(run, tmp_path):
    setup(run)
    missing = run("mail", "import", tmp_path / "nope")
    assert missing.exit_code == 2 and missing.stderr == f"Error: {tmp_path / 'nope'}: no such file or folder\n"
    (tmp_path / "folder").mkdir()
    assert "not a Maildir" in run("mail", "import", tmp_path / "folder").stderr
    plain = run("mail", "import", "imap://me@mail.example/INBOX")
    assert plain.exit_code == 2 and "use imaps://" in plain.stderr


def test_imap_needs_a_password_from_the_environment_off_a_terminal_and_fails_in_one_line(run, monkeypatch):
    setup(run)
    monkeypatch.delenv("CRM_IMAP_PASSWORD", raising=False)
    asked = run("mail", "import", "imap://me@127.0.0.1:1/INBOX")
    assert asked.exit_code == 2 and asked.stderr == (
        "Error: set CRM_IMAP_PASSWORD (or run in a terminal to be asked for the password)\n")
    monkeypatch.setenv("CRM_IMAP_PASSWORD", "s3cret-4242")
    refused = run("mail", "import", "imap://me@127.0.0.1:1/INBOX")  # nothing listens on port 1
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: cannot reach 127.0.0.1:1: ")
    assert "s3cret-4242" not in refused.output and refused.stderr.count("\n") == 1


KILLED_MID_BATCH = """
import os, signal, sys
import crm.capture.mail as capture
from crm.cli import cli

capture.BATCH = 3
real_plan = capture.MailImport._plan
calls = []

def plan_then_die(self, batch):
    calls.append(1)
    touches = real_plan(self, batch)
    if len(calls) == 3:  # the third batch: its touches are being written when the process dies
        from crm.store.mail import insert_mail_touches
        insert_mail_touches([t for t, _ in touches], self.now)
        os.kill(os.getpid(), signal.SIGKILL)
    return touches

capture.MailImport._plan = plan_then_die
cli(["mail", "import", sys.argv[1]], prog_name="crm")
"""


def test_an_import_killed_mid_batch_keeps_whole_batches_and_the_next_run_finishes(run, tmp_path, private_database):
    import subprocess
    import sys

    setup(run)
    box = mbox(tmp_path / "box", [message(ADA, ME, f"m{i}", f"2026-03-{i + 1:02d}T10:00") for i in range(8)])
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_BATCH, str(box)], capture_output=True, timeout=60)
    assert killed.returncode == -9
    assert [t["note"] for t in history(run, "ada")] == [f"m{i}" for i in range(6)]
    finished = imported(run, box)
    assert finished["sources"][0]["resumed"] is True and finished["messages"] == 2
    assert [t["note"] for t in history(run, "ada")] == [f"m{i}" for i in range(8)]


def test_merging_two_contacts_who_got_the_same_message_keeps_one_touch(run, tmp_path):
    setup(run)
    assert run("add", "Ada L.", "--email", "ada.l@acme.example").exit_code == 0
    both = message(ME, [ADA, "ada.l@acme.example"], "Hello both of you", "2026-03-02T10:00")
    assert imported(run, mbox(tmp_path / "Sent", [both]))["touches"] == 2
    merged = run("merge", "1", "3", "--yes")
    assert merged.exit_code == 0, merged.output
    assert [t["note"] for t in history(run, "1")] == ["Hello both of you"]


def test_a_missing_password_is_one_line_naming_where_to_put_it(run, monkeypatch):
    """No password in the environment and no terminal to ask on: one line, exit 2, for IMAP and for DAV."""
    monkeypatch.delenv("CRM_IMAP_PASSWORD", raising=False)
    monkeypatch.delenv("CRM_REMOTE_PASSWORD", raising=False)
    run("me", ME)
    imap = run("mail", "import", "imap://me@127.0.0.1:9/INBOX")
    assert (imap.exit_code, imap.stderr) == (
        2, "Error: set CRM_IMAP_PASSWORD (or run in a terminal to be asked for the password)\n")
    assert run("remote", "add", "phone", "http://127.0.0.1:9/", "--kind", "carddav", "--user", "sam").exit_code == 0
    dav = run("sync", "phone")
    assert (dav.exit_code, dav.stderr) == (
        2, "Error: no password for remote 'phone': set CRM_REMOTE_PASSWORD_PHONE or CRM_REMOTE_PASSWORD\n")
