"""Done when: two crm databases ("devices") syncing with one Radicale converge after edits on
both sides and on the server, with nothing lost."""
from __future__ import annotations

import json

from dav_servers import PASSWORD, USER

FIELDS = ("name", "emails", "phones", "org", "title", "interests")


def test_two_devices_and_a_phone_converge_on_one_server(radicale, tmp_path, monkeypatch, run):
    book = radicale.new_collection("carddav")
    monkeypatch.setenv("CRM_REMOTE_PASSWORD", PASSWORD)
    laptop, desktop = str(tmp_path / "laptop.db"), str(tmp_path / "desktop.db")

    def crm(device, *args):
        result = run("--db", device, *args)
        assert result.exit_code == 0, result.output
        return result

    def sync(device):
        return json.loads(crm(device, "sync", "--json", "--on", "2026-05-04").stdout)["contacts"][0]

    def book_of(device):
        return sorted((tuple(json.dumps(p[f], sort_keys=True) for f in FIELDS)
                       for p in json.loads(crm(device, "list", "--json").stdout)))

    for device in (laptop, desktop):
        crm(device, "remote", "add", "home", book, "--kind", "carddav", "--user", USER)
    crm(laptop, "add", "Ann Lee", "--email", "ann@example.org", "--title", "Engineer")
    crm(laptop, "add", "Bob Stone", "--email", "bob@example.org")
    crm(laptop, "add", "Cid Moss", "--email", "cid@example.org")
    crm(laptop, "add", "Eve Gone", "--email", "eve@example.org")
    crm(desktop, "add", "Ann Lee", "--email", "ann@example.org", "--interest", "chess")  # the same Ann
    sync(laptop)
    assert sync(desktop)["merged"] == 1  # joined, not duplicated
    assert len(radicale.hrefs(book)) == 4

    # Edits everywhere: the laptop, the desktop, and a phone writing to the server.
    crm(laptop, "edit", "Ann Lee", "--org", "Globex")
    crm(laptop, "rm", "Eve Gone", "--yes")
    crm(desktop, "edit", "Ann Lee", "--title", "Lead")
    crm(desktop, "edit", "Bob Stone", "--phone", "+1 555 0100")
    crm(desktop, "add", "Dee Novak", "--email", "dee@example.org")
    cid = next(h for h in radicale.hrefs(book) if "cid@example.org" in radicale.get(h)[0])
    text, etag = radicale.get(cid)
    radicale.put(cid, text.replace("END:VCARD", "TITLE:Gardener\r\nEND:VCARD"), etag=etag)

    reports = [sync(device) for device in (laptop, desktop, laptop, desktop)]

    # Deleted on the server by the laptop: the desktop marks Eve, never deletes her on its own.
    assert [r["name"] for r in reports[-1]["removed_on_server"]] == ["Eve Gone"]
    pruned = json.loads(crm(desktop, "sync", "--prune", "--yes", "--json").stdout)["contacts"][0]["pruned"]
    assert [p["name"] for p in pruned] == ["Eve Gone"]
    assert book_of(laptop) == book_of(desktop)
    people = {p["name"]: p for p in json.loads(crm(laptop, "list", "--json").stdout)}
    assert sorted(people) == ["Ann Lee", "Bob Stone", "Cid Moss", "Dee Novak"]
    assert (people["Ann Lee"]["org"], people["Ann Lee"]["title"], people["Ann Lee"]["interests"]) == (
        "Globex", "Lead", ["chess"])
    assert people["Bob Stone"]["phones"] == ["+1 555 0100"]
    assert people["Cid Moss"]["title"] == "Gardener"
    assert len(radicale.hrefs(book)) == 4
    quiet = [sync(device) for device in (laptop, desktop)]
    assert all(r["pulled"] + r["pushed"] + r["merged"] + r["created_local"] + r["created_remote"] == 0 for r in quiet)
