"""`crm sync` against a local Radicale, timed as whole processes.

Targets (issue 14): the first sync of 5,000 contacts under 60 s; a sync with nothing changed
under 2 s; a sync after 50 cards changed on the server under 5 s.

Baselines, measured in the same run: for a first sync, a bare client doing the least any sync
must do (one Depth: 1 PROPFIND of the collection's etags and one addressbook-multiget of every
card; httpx, no parsing, no database); for the later syncs, `crm --version` (the interpreter's
start-up) plus one bare sync-collection REPORT with the stored token, the one question a sync
must ask (Radicale answers it with a pass over every card of the collection). The first-push figure (5,000 contacts only in crm, one PUT
each) is printed too: there the server's own cost per PUT dominates.

    python bench/bench_sync.py            # 5,000 contacts
    python bench/bench_sync.py --cards 1000
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CRM, ROOT, measure  # noqa: E402

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from dav_servers import PASSWORD, USER, _stop, start_radicale  # noqa: E402

TARGETS = {"first sync (pull)": 60.0, "nothing changed": 2.0, "50 changed on server": 5.0}


def vcard(i: int, title: str = "Engineer") -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bench-{i}\r\nFN:Person Number{i}\r\nN:Number{i};Person;;;\r\n"
            f"EMAIL;TYPE=work:person{i}@example.org\r\nTEL;TYPE=cell:+1 555 {i:07d}\r\nORG:Company {i % 300}\r\n"
            f"TITLE:{title}\r\nX-PHONE-FIELD:kept {i}\r\nEND:VCARD\r\n")


def bare_fetch(server, url: str) -> float:
    d, card = "DAV:", "urn:ietf:params:xml:ns:carddav"
    start = time.perf_counter()
    with server.http() as http:
        body = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
        listing = http.request("PROPFIND", url, content=body, headers={"Depth": "1", "Content-Type": "application/xml"})
        hrefs = [h.text for h in ET.fromstring(listing.content).iter(f"{{{d}}}href")][1:]
        root = ET.Element(f"{{{card}}}addressbook-multiget")
        prop = ET.SubElement(root, f"{{{d}}}prop")
        ET.SubElement(prop, f"{{{d}}}getetag")
        ET.SubElement(prop, f"{{{card}}}address-data")
        for href in hrefs:
            ET.SubElement(root, f"{{{d}}}href").text = href
        http.request("REPORT", url, content=ET.tostring(root), headers={"Depth": "1", "Content-Type": "application/xml"})
    return time.perf_counter() - start


def bare_question(url: str, token: str) -> float:
    """The least a sync with nothing changed must do: one sync-collection REPORT with the token."""
    from crm.net.dav import DavClient

    with DavClient(url, USER, PASSWORD, timeout=900, trust_env=False) as client:
        started = time.perf_counter()
        client.changes(url, token)
        return time.perf_counter() - started


def warm_up(url: str) -> None:
    """Radicale builds its item cache, ctag and sync-token state on first asking (minutes for
    thousands of cards on a cold cache): that is the server's one-time cost, paid before timing."""
    from crm.net.dav import DavClient

    started = time.perf_counter()
    with DavClient(url, USER, PASSWORD, timeout=900, trust_env=False) as client:
        client.collection(url, "carddav")
        client.changes(url, None)
    print(f"(server warm-up, not timed: {time.perf_counter() - started:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--no-push", action="store_true", help="skip the first-push figure")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    (work / "radicale").mkdir()
    server = start_radicale(work / "radicale")
    try:
        url = server.new_collection("carddav")
        with server.http() as http:  # the whole book in one PUT (Radicale takes a collection upload)
            http.put(url, content="".join(vcard(i) for i in range(args.cards)).encode(),
                     headers={"Content-Type": "text/vcard"}, timeout=600)
        warm_up(url)
        env = dict(os.environ, CRM_DB=str(work / "crm.db"), CRM_REMOTE_PASSWORD=PASSWORD)
        measure([*CRM, "remote", "add", "bench", url, "--kind", "carddav", "--user", USER], env)
        baseline = min(bare_fetch(server, url) for _ in range(3))
        figures = {}
        figures["first sync (pull)"], memory = measure([*CRM, "sync"], env)
        figures["nothing changed"], _ = measure([*CRM, "sync"], env)
        startup, _ = measure([*CRM, "--version"], env)
        token = sqlite3.connect(work / "crm.db").execute("SELECT sync_token FROM remote").fetchone()[0]
        asking = min(bare_question(url, token) for _ in range(3))
        with server.http() as http:
            for i in range(0, 50 * (args.cards // 50), args.cards // 50):
                http.put(f"{url}bench-{i}.vcf", content=vcard(i, "Manager").encode(), headers={"Content-Type": "text/vcard"})
        figures["50 changed on server"], _ = measure([*CRM, "sync"], env)
        if not args.no_push:
            push_url = server.new_collection("carddav")
            measure([*CRM, "remote", "add", "push", push_url, "--kind", "carddav", "--user", USER], env)
            figures["first sync (push)"], _ = measure([*CRM, "sync", "push"], env)
    finally:
        _stop(server)
        shutil.rmtree(work, ignore_errors=True)
    floors = {"first sync (pull)": baseline, "nothing changed": startup + asking,
              "50 changed on server": startup + asking, "first sync (push)": baseline}
    print(f"{args.cards} cards, local Radicale, load average {os.getloadavg()[0]:.1f}")
    print(f"baselines: bare PROPFIND + multiget of every card {baseline:.2f} s; `crm --version` {startup:.2f} s;"
          f" bare sync-collection REPORT with the token {asking:.2f} s")
    print(f"{'scenario':<24} {'seconds':>8} {'target':>8} {'x floor':>8}  floor")
    for name, seconds in figures.items():
        target = TARGETS.get(name)
        mark = "" if target is None else (" ok" if seconds < target else " MISSED")
        floor = "bare fetch" if floors[name] is baseline else "start-up + bare REPORT"
        print(f"{name:<24} {seconds:>8.2f} {target if target else '-':>8} {seconds / floors[name]:>7.1f}x  {floor}{mark}")
    print(f"peak memory of the first sync: {memory:.0f} MB")


if __name__ == "__main__":
    main()
