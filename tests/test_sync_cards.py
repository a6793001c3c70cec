"""Two-way CardDAV sync against real servers (Radicale and Xandikos, see dav_servers.py).

Server-side changes are made with plain HTTP, as a phone would make them. Each test gets its
own fresh address book on the session's server.
"""
from __future__ import annotations

import json
import sqlite3

import pytest

from dav_servers import PASSWORD, USER, remote_for

PHONE_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.2//EN\r\n"
    "N:Doe;Jane;;;\r\nFN:Jane Doe\r\nORG:Initech;\r\n"
    "item1.EMAIL;type=INTERNET;type=pref:jane@initech.example\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
    "TEL;type=CELL:+44 20 7946 0001\r\n"
    "item2.ADR;type=HOME:;;1 Main St;Springfield;;;\r\nitem2.X-ABLabel:cottage\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/\r\n"
    "X-PHONETIC-FIRST-NAME:Djein\r\nX-ABRELATEDNAMES:Tom\r\n"
    "UID:phone-jane-1\r\nEND:VCARD\r\n"
)


@pytest.fixture
def book(dav_server, monkeypatch, run):
    """A fresh address book, a remote `phone` for it in the test's database."""
    return remote_for(dav_server, "carddav", "phone", run, monkeypatch)


def card_lines(text: str) -> set[str]:
    """A card's content lines, unfolded, compared case-insensitively: servers (Radicale) re-write
    what they store, upper-casing names and parameters and reordering lines, without changing
    what it means."""
    unfolded = text.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "")
    return {line.lower() for line in unfolded.split("\n") if line}


def sync(run, *args, db=None):
    prefix = ("--db", db) if db else ()
    result = run(*prefix, "sync", "--json", "--on", "2026-05-04", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["contacts"][0]


def contacts(run, db=None):
    prefix = ("--db", db) if db else ()
    return json.loads(run(*prefix, "list", "--json").stdout)


def test_first_sync_joins_by_identity_pushes_the_rest_and_keeps_the_phones_fields(dav_server, book, run):
    dav_server.put(book + "jane.vcf", PHONE_CARD)
    run("add", "Jane Doe", "--email", "JANE@initech.example", "--title", "CTO", "--role", "recruiter")
    run("add", "Bob Local", "--email", "bob@example.org")

    report = sync(run)

    assert (report["merged"], report["created_local"], report["created_remote"]) == (1, 0, 1)
    people = contacts(run)
    assert sorted(p["name"] for p in people) == ["Bob Local", "Jane Doe"]  # no duplicate Jane
    jane = next(p for p in people if p["name"] == "Jane Doe")
    assert jane["title"] == "CTO" and jane["org"] == "Initech" and jane["phones"] == ["+44 20 7946 0001"]
    assert len(dav_server.hrefs(book)) == 2
    text, _etag = dav_server.get(book + "jane.vcf")
    for kept in ("X-PHONETIC-FIRST-NAME:Djein", "X-ABRELATEDNAMES:Tom", "item2.ADR;type=HOME:;;1 Main St;Springfield;;;",
                 "item2.X-ABLabel:cottage", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/", "UID:phone-jane-1",
                 "TITLE:CTO", "X-CRM-ROLE:recruiter"):
        assert kept.lower() in card_lines(text), kept

    again = sync(run)
    assert {k: again[k] for k in ("pulled", "merged", "created_local", "pushed", "created_remote")} == dict.fromkeys(
        ("pulled", "merged", "created_local", "pushed", "created_remote"), 0)


def test_changes_travel_both_ways_and_a_clash_keeps_ours_and_records_theirs(dav_server, book, run):
    run("add", "Ann Lee", "--email", "ann@example.org", "--title", "Engineer")
    sync(run)
    [href] = dav_server.hrefs(book)

    text, etag = dav_server.get(href)
    dav_server.put(href, text.replace("TITLE:Engineer", "TITLE:Staff Engineer"), etag=etag)
    assert sync(run)["pulled"] == 1
    assert contacts(run)[0]["title"] == "Staff Engineer"

    run("edit", "Ann Lee", "--org", "Globex")
    assert sync(run)["pushed"] == 1
    assert "ORG:Globex" in dav_server.get(href)[0]

    # Both sides change the title, and each adds an email.
    text, etag = dav_server.get(href)
    phone_text = text.replace("TITLE:Staff Engineer", "TITLE:Principal").replace(
        "END:VCARD", "EMAIL:ann.lee@phone.example\r\nEND:VCARD")
    dav_server.put(href, phone_text, etag=etag)
    run("edit", "Ann Lee", "--title", "Manager", "--email", "ann@work.example")
    report = sync(run)

    assert report["merged"] == 1
    assert report["conflicts"] == [{"contact": {"id": 1, "name": "Ann Lee"}, "field": "title",
                                    "local": "Manager", "server": "Principal"}]
    ann = contacts(run)[0]
    assert ann["title"] == "Manager"
    assert sorted(ann["emails"]) == ["ann.lee@phone.example", "ann@example.org", "ann@work.example"]
    server = dav_server.get(href)[0]
    assert "TITLE:Manager" in server and "ann.lee@phone.example" in server and "ann@work.example" in server
    history = json.loads(run("history", "Ann Lee", "--json").stdout)
    assert any("Principal" in (h["note"] or "") and h["kind"] == "note" for h in history)


def test_server_delete_marks_and_prune_removes_and_crm_rm_deletes_on_the_server(dav_server, book, run):
    run("add", "Keep Me", "--email", "keep@example.org")
    run("add", "Gone Away", "--email", "gone@example.org")
    run("add", "Removed Here", "--email", "rm@example.org")
    sync(run)
    hrefs = {dav_server.get(h)[0].split("FN:")[1].split("\r\n")[0]: h for h in dav_server.hrefs(book)}
    dav_server.delete(hrefs["Gone Away"])
    run("log", "Gone Away", "call", "--on", "2026-05-01")
    run("rm", "Removed Here", "--yes")

    report = sync(run)

    assert report["deleted_remote"] == 1
    assert [r["name"] for r in report["removed_on_server"]] == ["Gone Away"]
    assert sorted(p["name"] for p in contacts(run)) == ["Gone Away", "Keep Me"]  # marked, not deleted
    assert dav_server.hrefs(book) == [hrefs["Keep Me"]]
    assert sync(run)["created_remote"] == 0  # a marked contact is not pushed back

    run("add", "Gone Too", "--email", "gone2@example.org")
    sync(run)
    gone_too = next(h for h in dav_server.hrefs(book) if "gone2@example.org" in dav_server.get(h)[0])
    dav_server.delete(gone_too)
    assert [r["name"] for r in sync(run)["removed_on_server"]] == ["Gone Away", "Gone Too"]
    run("edit", "Gone Too", "--title", "Back")  # changed here after the server deleted it: it goes back
    assert sync(run)["created_remote"] == 1
    assert any("TITLE:Back" in dav_server.get(h)[0] for h in dav_server.hrefs(book))

    pruned = sync(run, "--prune", "--yes")
    assert [p["name"] for p in pruned["pruned"]] == ["Gone Away"]
    assert sorted(p["name"] for p in contacts(run)) == ["Gone Too", "Keep Me"]


def test_dry_run_changes_nothing_on_either_side(dav_server, book, run, private_database):
    dav_server.put(book + "jane.vcf", PHONE_CARD)
    run("add", "Bob Local")
    report = sync(run, "--dry-run")
    assert (report["created_local"], report["created_remote"]) == (1, 1)
    said = run("sync", "--dry-run", "--on", "2026-05-04")
    assert said.exit_code == 0 and said.stdout.startswith("phone: would have 1 pulled (1 new), 1 pushed (1 new)")
    assert [p["name"] for p in contacts(run)] == ["Bob Local"]
    assert dav_server.hrefs(book) == [book + "jane.vcf"]
    conn = sqlite3.connect(private_database)
    assert conn.execute("SELECT COUNT(*) FROM sync_item").fetchone()[0] == 0


def test_without_sync_collection_the_ctag_and_etag_listing_finds_the_changes(dav_server, book, run):
    """Servers without RFC 6578: an unchanged ctag means nothing to do; else an etag listing."""
    from crm.net.dav import DavClient
    from crm.store.remotes import get_remote
    from crm.sync.cards import CardSync

    run("add", "Ann Lee", "--email", "ann@example.org")

    def once():
        with DavClient(book, USER, PASSWORD, ca_file=dav_server.ca_file, trust_env=False) as client:
            return CardSync(get_remote("phone"), client, now="2026-05-04T10:00:00", today=__import__("datetime").date(2026, 5, 4),
                            use_sync_collection=False).run()

    from crm.store.db import open_database
    import os

    open_database(os.environ["CRM_DB"])
    assert once().created_remote == 1
    assert once().as_json()["pulled"] == 0
    dav_server.put(book + "jane.vcf", PHONE_CARD)
    [href] = [h for h in dav_server.hrefs(book) if not h.endswith("jane.vcf")]
    text, etag = dav_server.get(href)
    dav_server.put(href, text.replace("FN:Ann Lee", "FN:Ann Lee-Smith"), etag=etag)
    report = once()
    assert (report.created_local, report.pulled) == (1, 1)
    dav_server.delete(book + "jane.vcf")
    assert [r["name"] for r in once().removed_on_server] == ["Jane Doe"]


def test_the_password_is_never_stored_nor_shown(dav_server, book, run, private_database, monkeypatch):
    run("add", "Ann Lee")
    sync(run)
    assert PASSWORD.encode() not in private_database.read_bytes()
    listing = run("remote", "list", "--json")
    assert PASSWORD not in listing.output and json.loads(listing.stdout)[0]["items"] == 1
    monkeypatch.setenv("CRM_REMOTE_PASSWORD_PHONE", "wrong-" + PASSWORD)
    refused = run("sync")
    assert refused.exit_code == 1 and "refused the user name or password" in refused.stderr
    assert PASSWORD not in refused.output and "Traceback" not in refused.output


def test_plain_http_is_refused_except_to_localhost(run):
    refused = run("remote", "add", "far", "http://dav.example.com/", "--kind", "carddav")
    assert refused.exit_code == 2 and "https" in refused.stderr
    assert run("remote", "add", "pw", "https://ada:pw@dav.example.com/", "--kind", "carddav").exit_code == 2
    assert run("remote", "add", "near", "http://127.0.0.1:5232/", "--kind", "carddav").exit_code == 0
    assert run("remote", "add", "NEAR", "http://localhost/", "--kind", "carddav").exit_code == 2  # names are unique
    assert [r["name"] for r in json.loads(run("remote", "list", "--json").stdout)] == ["near"]
    assert run("remote", "rm", "near").exit_code == 0
    assert run("remote", "rm", "near").exit_code == 1


def test_discovery_from_the_server_root_finds_the_address_book_and_the_calendar(dav_server):
    """A remote may be a server root: current-user-principal, then the home set, then its collections."""
    from crm.net.dav import DavClient, safe_url

    book = dav_server.new_collection("carddav")
    dav_server.new_collection("caldav")
    with DavClient(dav_server.root, USER, PASSWORD, ca_file=dav_server.ca_file, trust_env=False) as client:
        books = client.discover("carddav")
        calendars = client.discover("caldav")
        assert PASSWORD not in repr(client)
    assert books and all(c.kind == "carddav" and c.url.startswith(dav_server.root) for c in books)
    assert calendars and all(c.kind == "caldav" for c in calendars)
    assert dav_server.name == "xandikos" or book in [c.url for c in books]  # Xandikos's home set is /ada/contacts/
    assert safe_url("https://ada:pw@dav.example.com:8443/x/") == "https://dav.example.com:8443/x/"
