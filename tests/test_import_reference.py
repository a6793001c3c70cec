"""crm import writes what it wrote before it was made fast: the same rows (ids included) and the
same --json reports, frozen as digests taken with the card-at-a-time importer (main at 2dbba28).

The scenario: a generated book with seeded near-duplicates and photos, imported into a new
database, again unchanged, then a newer export of it (UIDs dropped, titles, emails, interests,
notes, roles and photos changed, phones gone, the cards in another order), both together, then
the vCard fixtures (broken cards, legacy charsets, folding...) and the CSV exports. A digest that
changes means the import writes other rows or says other things: `python
tests/test_import_reference.py DB` prints the digests of a scenario run, table by table, to
find which.
"""
from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import re
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"

# Digests of the card-at-a-time importer's results; see the module's docstring.
EXPECTED = {
    "reports": "41956be1d0fa3d5b",
    "tables": {
        "contact": "431 cf92379f48d28c58",
        "contact_interest": "409 1852e91c7e32a6cd",
        "contact_method": "1268 1224d6d4bd42edbd",
        "contact_summary": "3 8d84e54f60451d4d",
        "extra_property": "200 050384c2623fb540",
        "interest": "14 1b3a1b1df2a97c84",
        "merge_journal": "623 3b925c16a48c3ebd",
        "organisation": "232 4c74bc9c6651079e",
        "touch_day": "3 433f77fe39aa9925",  # m011's, from the touchpoints
        "touchpoint": "3 0c04501fbc5db50c",
    },
}


def _generator():
    spec = importlib.util.spec_from_file_location("gen_addressbook", ROOT / "bench" / "gen_addressbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def books(folder: Path) -> tuple[Path, Path]:
    """The book (400 cards, a fifth of them near-duplicates) and a newer export of it."""
    cards = list(_generator().generate(400, seed=7, dupes=0.2, photos=0.1))
    newer = []
    for k, card in enumerate(cards):
        if k % 7 == 0:
            card = re.sub(r"UID:[^\r]*\r\n", "", card)
        if k % 5 == 0:
            card = re.sub(r"TITLE:[^\r]*", "TITLE:Senior Technical Recruiter", card)
        if k % 11 == 0:
            card = card.replace("END:VCARD", f"EMAIL;type=HOME:extra{k}@new.example\r\nEND:VCARD")
        if k % 13 == 0:
            card = card.replace("END:VCARD", "CATEGORIES:Rust,Chess,rust\r\nEND:VCARD")
        if k % 17 == 0:
            card = card.replace("END:VCARD", "NOTE:Second note\\nwith lines\r\nEND:VCARD")
        if k % 19 == 0:
            card = re.sub(r"TEL;[^\r]*\r\n", "", card)
        if k % 23 == 0:
            card = card.replace("END:VCARD", "X-CRM-ROLE:mentor\r\nPHOTO;VALUE=uri:https://x.example/p.jpg\r\nEND:VCARD")
        newer.append(card)
    book, export = folder / "book.vcf", folder / "newer.vcf"
    book.write_text("".join(cards), encoding="utf-8", newline="")
    export.write_text("".join(reversed(newer)), encoding="utf-8", newline="")
    return book, export


def scenario(run, folder: Path, monkeypatch) -> list[str]:
    """The --json report of each import of the scenario, in order (the last one with phone
    numbers read as German ones)."""
    book, newer = books(folder)
    csv = FIXTURES / "csv"
    steps = [[book], [book], [newer], [book, newer], [FIXTURES / "vcard"], [FIXTURES / "vcard"],
             [csv / "linkedin-Connections.csv"], [csv / "google-contacts.csv"], [csv / "outlook-contacts.csv"],
             [csv / "linkedin-Connections.csv"], [FIXTURES / "quickstart.vcf"]]
    reports = []
    for paths in steps:
        result = run("import", *paths, "--on", "2026-03-01", "--json")
        reports.append(result.stdout.replace(str(folder), "BOOKS").replace(str(FIXTURES), "FIXTURES"))
    monkeypatch.setenv("CRM_REGION", "DE")
    reports.append(run("import", newer, "--on", "2026-03-02", "--json").stdout.replace(str(folder), "BOOKS"))
    return reports


def table_digests(db: Path) -> dict[str, str]:
    conn = sqlite3.connect(db)
    digests = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        if table in ("schema_migration", "card_fingerprint"):  # card_fingerprint: a cache of the code's own
            continue
        rows = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        if rows:  # the tables the import writes
            digests[table] = f"{len(rows)} " + hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    conn.close()
    return digests


def reports_digest(reports: list[str]) -> str:
    return hashlib.sha256("\n".join(reports).encode()).hexdigest()[:16]


def test_import_writes_the_rows_and_reports_it_always_did(run, tmp_path, monkeypatch, private_database):
    import crm.store.contacts

    counter = itertools.count(1)
    monkeypatch.setattr(crm.store.contacts, "new_uid", lambda: f"generated-uid-{next(counter):05d}")
    reports = scenario(run, tmp_path, monkeypatch)
    assert json.loads(reports[0])["created"] > 300 and json.loads(reports[1])["unchanged"] > 300
    found = {"reports": reports_digest(reports), "tables": table_digests(private_database)}
    assert found == EXPECTED, json.dumps(found, indent=1)
