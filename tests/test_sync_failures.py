"""Sync under failure, against the real servers: a 5xx, a timeout (before and after the server
acted), a malformed multistatus, a process killed in the middle. Each time the next sync
finishes the work, and no card is lost or duplicated on either side.

Faults are injected by an httpx transport in front of the real server's connection.
"""
from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from datetime import date

import httpx
import pytest

from dav_servers import PASSWORD, USER

ON = date(2026, 5, 4)
NOW = "2026-05-04T10:00:00"


class Faults(httpx.BaseTransport):
    """Forwards to the server, except the `nth` request of `method`, which gets `fault`."""

    def __init__(self, ca_file: str | None, method: str, nth: int, fault: str):
        self.inner = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=ca_file) if ca_file else True)
        self.method, self.nth, self.fault = method, nth, fault
        self.seen: Counter = Counter()
        self.fired = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen[request.method] += 1
        if request.method != self.method or self.seen[request.method] != self.nth:
            return self.inner.handle_request(request)
        self.fired = True
        if self.fault == "503":
            return httpx.Response(503, request=request)
        if self.fault == "timeout":
            raise httpx.ReadTimeout("injected", request=request)
        response = self.inner.handle_request(request)
        response.read()
        if self.fault == "timeout-after":  # the server did it; we never heard back
            raise httpx.ReadTimeout("injected", request=request)
        assert self.fault == "malformed"
        return httpx.Response(207, content=response.content[: len(response.content) // 2], request=request)


def phone_card(n: int) -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-{n}\r\nFN:Phone Person{n}\r\nN:Person{n};Phone;;;\r\n"
            f"EMAIL:phone{n}@example.org\r\nX-PHONE-ONLY:{n}\r\nEND:VCARD\r\n")


def local_people(n: int) -> None:
    from crm.formats.card import Card, Typed
    from crm.store.contacts import create_contact

    for i in range(n):
        create_contact(Card(display_name=f"Local Person{i}", given_name="Local", family_name=f"Person{i}",
                            emails=[Typed(f"local{i}@example.org")]), NOW)


def run_sync(server, book, transport=None):
    from crm.net.dav import DavClient
    from crm.store.remotes import get_remote
    from crm.sync.cards import CardSync

    with DavClient(book, USER, PASSWORD, ca_file=server.ca_file, transport=transport, trust_env=False) as client:
        return CardSync(get_remote("phone"), client, now=NOW, today=ON).run()


def assert_converged(server, book, expected: int) -> None:
    from crm.store.models import Contact, SyncItem

    hrefs = server.hrefs(book)
    uids = [next(l for l in server.get(h)[0].splitlines() if l.startswith("UID:")) for h in hrefs]
    assert len(hrefs) == len(set(uids)) == expected  # nothing lost, nothing twice on the server
    names = [c.display_name for c in Contact.select()]
    assert len(names) == len(set(names)) == expected  # nor here
    assert SyncItem.select().count() == expected
    quiet = run_sync(server, book).as_json()
    assert [quiet[k] for k in ("pulled", "merged", "created_local", "pushed", "created_remote")] == [0] * 5


# The default run checks two faults, one per server; `pytest -m slow` runs every fault on both.
FAULTS = [
    ("radicale", "PUT", 1, "timeout-after"),  # the new card is on the server, its status not here
    ("xandikos", "REPORT", 1, "malformed"),  # the sync-collection listing
]
EVERY_FAULT = [(server, *fault) for server in ("radicale", "xandikos") for fault in (
    ("PUT", 2, "503"), ("PUT", 1, "timeout-after"), ("PUT", 3, "timeout"),
    ("REPORT", 1, "malformed"), ("REPORT", 2, "malformed"),  # the listing; the multiget of the cards
) if (server, *fault) not in FAULTS]


def check_fault(request, tmp_path, server_name, method, nth, fault):
    from crm.net.dav import DavError
    from crm.store.db import open_database
    from crm.store.remotes import add_remote

    server = request.getfixturevalue(server_name)
    open_database(tmp_path / "device.db")
    book = server.new_collection("carddav")
    add_remote("phone", book, "carddav", USER, NOW)
    for n in range(2):
        server.put(f"{book}phone-{n}.vcf", phone_card(n))
    local_people(3)
    transport = Faults(server.ca_file, method, nth, fault)
    with pytest.raises(DavError) as failed:
        run_sync(server, book, transport)
    assert transport.fired and PASSWORD not in str(failed.value)

    run_sync(server, book)
    assert_converged(server, book, 5)
    assert all("X-PHONE-ONLY" in server.get(f"{book}phone-{n}.vcf")[0] for n in range(2))


@pytest.mark.parametrize("server_name, method, nth, fault", FAULTS)
def test_after_a_failure_the_next_sync_finishes_the_work(request, tmp_path, server_name, method, nth, fault):
    check_fault(request, tmp_path, server_name, method, nth, fault)


@pytest.mark.slow
@pytest.mark.parametrize("server_name, method, nth, fault", EVERY_FAULT)
def test_every_fault_on_every_server(request, tmp_path, server_name, method, nth, fault):
    check_fault(request, tmp_path, server_name, method, nth, fault)


@pytest.mark.slow  # a real process killed mid-sync: seconds of interpreter start-up and PUTs
def test_a_sync_killed_in_the_middle_is_finished_by_the_next(radicale, tmp_path):
    from crm.store.db import open_database
    from crm.store.remotes import add_remote

    book = radicale.new_collection("carddav")
    path = tmp_path / "killed.db"
    total = 30
    db = open_database(path)
    local_people(total)
    add_remote("phone", book, "carddav", USER, NOW)
    db.close()
    env = {**os.environ, "CRM_DB": str(path), "CRM_REMOTE_PASSWORD": PASSWORD}
    process = subprocess.Popen([sys.executable, "-m", "crm", "sync"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    on_server = 0
    while time.monotonic() < deadline and process.poll() is None:
        on_server = len(radicale.hrefs(book))
        if on_server >= 5:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 5 <= on_server < total, "the kill must land in the middle of the sync"

    open_database(path)
    report = run_sync(radicale, book).as_json()
    assert report["created_local"] == 0 and 0 < report["created_remote"] < total
    assert_converged(radicale, book, total)
