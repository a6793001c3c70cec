"""crm mail import from a real IMAP server (Dovecot on 127.0.0.1, started once per session):
headers only, never marking mail read, incremental by UID, starting over when UIDVALIDITY
changes, and the password never shown."""
from __future__ import annotations

import itertools
import json

import pytest

from crm.errors import InvalidInput
from crm.net.imap import parse_imap_url

from mailbuild import ME, message

ADA = "Ada Lovelace <ada@acme.example>"
_folders = itertools.count(1)


@pytest.fixture
def imap(dovecot_server, monkeypatch, run):
    """A fresh folder on the server, the password in the environment, and a contact and `me`."""
    import imapclient

    monkeypatch.setenv("CRM_IMAP_PASSWORD", dovecot_server.password)
    monkeypatch.setenv("TZ", "Europe/London")
    assert run("add", "Ada Lovelace", "--email", "ada@acme.example").exit_code == 0
    assert run("me", ME).exit_code == 0
    client = imapclient.IMAPClient(dovecot_server.host, port=dovecot_server.port, ssl=False, timeout=10)
    client.login(dovecot_server.user, dovecot_server.password)
    folder = f"Test{next(_folders)}"
    client.create_folder(folder)
    yield dovecot_server, client, folder
    client.logout()


def mail_import(run, *args) -> dict:
    result = run("mail", "import", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_reads_headers_without_marking_mail_read_and_only_new_uids_next_time(imap, run):
    server, client, folder = imap
    client.append(folder, bytes(message(ADA, ME, "Hello from IMAP", "2026-03-02T10:00")))
    client.append(folder, bytes(message(ME, ADA, "Re: Hello from IMAP", "2026-03-02T11:00")), flags=[b"\\Seen"])
    client.append(folder, bytes(message("x@else.example", ME, "Newsletter", "2026-03-02T12:00")))
    client.select_folder(folder, readonly=True)
    flags_before = client.get_flags(client.search(["ALL"]))
    url = server.url(folder)
    first = mail_import(run, url)
    assert (first["messages"], first["touches"], first["nobody_known"]) == (3, 2, 1)
    assert first["sources"][0]["source"] == url
    history = json.loads(run("history", "ada", "--json").stdout)
    assert [(t["note"], t["direction"]) for t in history] == [("Hello from IMAP", "in"), ("Re: Hello from IMAP", "out")]
    client.select_folder(folder, readonly=True)
    assert client.get_flags(client.search(["ALL"])) == flags_before  # nothing became \Seen
    assert all(b"\\Seen" not in f for uid, f in flags_before.items() if uid != 2)
    client.append(folder, bytes(message(ADA, ME, "One more", "2026-03-03T10:00")))
    second = mail_import(run, url)
    assert (second["messages"], second["touches"]) == (1, 1)
    assert mail_import(run, url)["messages"] == 0


def test_a_changed_uidvalidity_starts_over_without_logging_twice(imap, run):
    server, client, folder = imap
    old = bytes(message(ADA, ME, "Before the reset", "2026-03-02T10:00"))
    client.append(folder, old)
    url = server.url(folder)
    assert mail_import(run, url)["touches"] == 1
    client.select_folder("INBOX")
    client.delete_folder(folder)  # a server rebuilt its index: new UIDVALIDITY, UIDs from 1 again
    client.create_folder(folder)
    client.append(folder, old)
    client.append(folder, bytes(message(ADA, ME, "After the reset", "2026-03-03T10:00")))
    again = mail_import(run, url)
    assert again["sources"][0]["uidvalidity_changed"] is True
    assert (again["messages"], again["touches"], again["already_logged"]) == (2, 1, 1)


def test_an_invite_in_the_mail_becomes_a_round(imap, run):
    from pathlib import Path

    server, client, folder = imap
    ics = (Path(__file__).resolve().parents[1] / "fixtures" / "invites" / "zoom-request.ics").read_bytes()
    client.append(folder, bytes(message("Priya Raman <priya@globex.example>", ME, "Invitation: Globex screening call",
                                        "2026-03-03T12:00", calendar=ics)))
    summary = mail_import(run, server.url(folder))
    assert [(i["action"], i["on"]) for i in summary["invites"]] == [("created", "2026-03-10T16:00")]
    assert json.loads(run("applications", "--json").stdout)[0]["org"] == "Globex"


def test_imap_urls():
    secure = parse_imap_url("imaps://sam%40work.example@mail.example/Sent%20Items")
    assert (secure.secure, secure.user, secure.host, secure.port, secure.folder) == (
        True, "sam@work.example", "mail.example", 993, "Sent Items")
    assert parse_imap_url("imap://sam@localhost").folder == "INBOX"
    for bad, why in [("imap://sam@mail.example/INBOX", "use imaps://"), ("imaps://sam:pw@mail.example/", "password"),
                     ("imaps://mail.example/", "needs a user"), ("imaps://sam@mail.example:x/", "port")]:
        with pytest.raises(InvalidInput, match=why):
            parse_imap_url(bad)


def test_imaps_verifies_tls_and_fails_in_one_line_when_the_server_speaks_none(dovecot_server, run, monkeypatch):
    monkeypatch.setenv("CRM_IMAP_PASSWORD", dovecot_server.password)
    run("me", ME)
    url = f"imaps://{dovecot_server.user}@127.0.0.1:{dovecot_server.port}/INBOX"
    result = run("mail", "import", url)
    assert result.exit_code == 1 and result.stderr.startswith("Error: TLS to 127.0.0.1:")
    assert dovecot_server.password not in result.output


# Last in the file: after a failed login Dovecot makes later logins from the same address wait.
def test_a_wrong_password_is_one_line_and_never_shows_a_password(imap, run, monkeypatch):
    server, _client, folder = imap
    ok = run("mail", "import", server.url(folder))
    assert ok.exit_code == 0 and server.password not in ok.output
    missing = run("mail", "import", server.url("NoSuchFolder"))
    assert missing.exit_code == 1 and "cannot open folder 'NoSuchFolder'" in missing.stderr
    monkeypatch.setenv("CRM_IMAP_PASSWORD", "not-the-password-9d1c")
    result = run("mail", "import", server.url(folder))
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: 127.0.0.1 refused the login for {server.user}")
    assert "not-the-password-9d1c" not in result.output and server.password not in result.output
