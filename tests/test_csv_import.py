"""LinkedIn, Google Contacts and Outlook CSV exports: detection, mapping, identity, touches."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from crm.formats.csv_contacts import detect_csv, neutralise, read_csv_contacts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CSV = FIXTURES / "csv"


def contacts(run) -> dict[str, dict]:
    return {row["name"]: row for row in json.loads(run("list", "--json").stdout)}


def test_formats_are_detected_by_header():
    assert detect_csv((CSV / "linkedin-Connections.csv").read_bytes()) == "linkedin"
    assert detect_csv((CSV / "google-contacts.csv").read_bytes()) == "google"
    assert detect_csv((CSV / "outlook-contacts.csv").read_bytes()) == "outlook"
    assert detect_csv(b"a,b,c\n1,2,3\n") is None


def test_linkedin_rows_after_the_notes_preamble():
    rows = list(read_csv_contacts((CSV / "linkedin-Connections.csv").read_bytes(), "linkedin"))
    assert [r.card.display_name for r in rows] == ["Chiamaka Okafor", "Björn Lindqvist", "Priya Raman"]
    priya = rows[2]
    assert priya.card.org == "Initech, Inc." and priya.card.title == "Director, Talent Acquisition"
    assert priya.card.socials[0].value == "https://www.linkedin.com/in/priya-raman-42"
    assert priya.connected_on.isoformat() == "2026-10-02"
    assert rows[0].line == 5  # the header is line 4, after the notes and a blank line


def test_google_multi_values_labels_and_yearless_birthday():
    rows = list(read_csv_contacts((CSV / "google-contacts.csv").read_bytes(), "google"))
    elodie, kenji = (r.card for r in rows)
    assert elodie.display_name == "Élodie Moreau" and elodie.categories == ["Rust folks"]
    assert [e.value for e in elodie.emails] == ["elodie.moreau@acme.example", "elodie@mail.example"]
    assert elodie.birthday.iso() == "1988-04-17" and elodie.urls[0].label == "Profile"
    assert [e.value for e in kenji.emails] == ["kenji@globex.example", "k.watanabe@globex.example"]
    assert kenji.birthday.iso() == "--06-02" and kenji.name_prefix == "Dr." and kenji.nickname == "Ken"


def test_outlook_cp1252_and_title_is_the_prefix():
    rows = list(read_csv_contacts((CSV / "outlook-contacts.csv").read_bytes(), "outlook"))
    siobhan = rows[0].card
    assert siobhan.display_name == "Siobhán O'Connor" and siobhan.name_prefix == "Ms."
    assert siobhan.title == "Talent Partner" and siobhan.department == "People"
    assert siobhan.birthday is None  # Outlook writes 0/0/00 for "no birthday"
    assert [p.kind for p in siobhan.phones] == ["cell", "work"]


def test_linkedin_import_makes_connect_touchpoints_once(run, private_database):
    assert run("import", CSV / "linkedin-Connections.csv").exit_code == 0
    assert run("import", CSV / "linkedin-Connections.csv").exit_code == 0
    conn = sqlite3.connect(private_database)
    touches = conn.execute(
        "SELECT c.display_name, t.\"on\", t.kind, t.via FROM touchpoint t JOIN contact c ON c.id = t.contact_id"
        " ORDER BY t.\"on\"").fetchall()
    assert touches == [
        ("Chiamaka Okafor", "2023-11-09", "connect", "linkedin"),
        ("Björn Lindqvist", "2025-03-14", "connect", "linkedin"),
        ("Priya Raman", "2026-10-02", "connect", "linkedin"),
    ]
    # The contacts count as known from their connection date, so replaying that day sees them.
    assert conn.execute("SELECT created_at FROM contact WHERE display_name = 'Chiamaka Okafor'").fetchone() == (
        "2023-11-09T00:00:00",)


def test_linkedin_enriches_existing_contacts_instead_of_duplicating(run):
    run("add", "Chiamaka Okafor", "--email", "chiamaka@northwind.example")  # matched by email
    run("add", "Bjorn Lindqvist", "--org", "Acme Robotics")  # matched by name at the same organisation
    run("add", "Priya Raman", "--org", "Umbrella")  # same name, other company: not merged silently
    result = json.loads(run("import", CSV / "linkedin-Connections.csv", "--json").stdout)
    assert (result["created"], result["updated"]) == (1, 2)
    rows = json.loads(run("list", "--json").stdout)
    people = contacts(run)
    assert people["Chiamaka Okafor"]["title"] == "Senior Technical Recruiter"
    assert people["Björn Lindqvist"]["title"] == "Staff Engineer"
    assert [r["name"] for r in rows].count("Priya Raman") == 2 and len(rows) == 4
    assert json.loads(run("dupes", "--json").stdout) == []  # a namesake elsewhere is not listed by default
    dupes = json.loads(run("dupes", "--json", "--threshold", "85").stdout)
    assert {(d["a"]["name"], d["b"]["name"]) for d in dupes} == {("Priya Raman", "Priya Raman")}
    assert "different organisations (umbrella; initech)" in dupes[0]["evidence"]


def test_linkedin_profile_url_identifies_a_person(run):
    run("add", "C. Okafor", "--url", "http://linkedin.com/in/chiamaka-okafor/")
    result = json.loads(run("import", CSV / "linkedin-Connections.csv", "--json").stdout)
    assert result["updated"] == 1 and result["created"] == 2


def test_format_option_forces_a_reader_and_junk_fails_cleanly(run, tmp_path):
    junk = tmp_path / "numbers.csv"
    junk.write_text("a,b,c\n1,2,3\n")
    result = run("import", junk)
    assert result.exit_code == 1 and "not a vCard file nor a LinkedIn" in result.stderr
    forced = run("import", "--format", "linkedin", junk)
    assert forced.exit_code == 1 and "no recognisable header" in forced.stderr


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx"])
def test_csv_export_neutralises_formulas(cell, run):
    assert neutralise(cell) == "'" + cell
    run("add", "--note", cell, "--", cell)
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv").stdout)))
    assert rows[1][14] == "'" + cell
    if cell.strip() == cell:
        assert rows[1][1] == "'" + cell
