"""Identity you can trust (issue 10): joins only on evidence, an undoable merge journal, look-ups
that pick the right person, one organisation identity, outcomes that never overwrite silently,
shell-safe completion, E.164 phone keys."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crm.store.migrations import MIGRATIONS


def vcf(path: Path, *cards: str) -> Path:
    """Cards given as 'FN|EMAIL|ORG|TEL|URL' (empty parts left out)."""
    out = []
    for card in cards:
        name, email, org, tel, url = (card.split("|") + [""] * 5)[:5]
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}"]
        lines += [f"EMAIL:{email}"] if email else []
        lines += [f"ORG:{org}"] if org else []
        lines += [f"TEL:{tel}"] if tel else []
        lines += [f"URL:{url}"] if url else []
        out.append("\r\n".join(lines + ["END:VCARD"]) + "\r\n")
    path.write_text("".join(out), encoding="utf-8")
    return path


def imported(run, path: Path) -> dict:
    result = run("import", path, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def names(run) -> list[str]:
    return sorted(c["name"] for c in json.loads(run("list", "--json").stdout))


# ---- joins only on evidence ---------------------------------------------------------------


def test_a_shared_email_with_other_names_keeps_both_and_dupes_lists_the_pair(run, tmp_path):
    book = vcf(tmp_path / "a.vcf", "Jonathan Dixon|jdixon@icloud.com", "Jose Dixon|jdixon@icloud.com")
    first = imported(run, book)
    assert (first["created"], first["updated"], first["joins"]) == (2, 0, [])
    assert names(run) == ["Jonathan Dixon", "Jose Dixon"]
    pairs = json.loads(run("dupes", "--json").stdout)
    assert [(p["a"]["name"], p["b"]["name"]) for p in pairs] == [("Jonathan Dixon", "Jose Dixon")]
    assert "same email jdixon@icloud.com" in pairs[0]["evidence"]
    again = imported(run, book)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert {(j["name"], j["reason"], j["evidence"]) for j in again["joins"]} == {
        ("Jonathan Dixon", "email", "jdixon@icloud.com"), ("Jose Dixon", "email", "jdixon@icloud.com")}


def test_near_names_at_one_organisation_stay_apart_and_reimport_is_unchanged(run, tmp_path):
    book = vcf(tmp_path / "b.vcf", "Jon Park|jon.park@bigcorp.example|BigCorp",
               "John Park|john.park@bigcorp.example|BigCorp",
               "Ann Lee|ann@bigcorp.example|BigCorp", "Ann Leigh|leigh@bigcorp.example|BigCorp")
    assert imported(run, book)["created"] == 4
    again = imported(run, book)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert len(names(run)) == 4


def test_names_that_differ_only_in_digits_are_different_people(run, tmp_path):
    cards = [f"Person{i} Test|||" for i in range(30)] + [f"Person{i} Test||Initech" for i in range(30, 40)]
    assert imported(run, vcf(tmp_path / "c.vcf", *cards))["created"] == 40
    assert imported(run, vcf(tmp_path / "c.vcf", *cards))["unchanged"] == 40
    assert len(names(run)) == 40


def test_joins_say_why_email_nickname_initial_phone_profile_and_name_at_org(run, tmp_path):
    run("add", "John Park", "--email", "jp@bigcorp.example")
    run("add", "William Ng", "--phone", "+44 20 7946 0000")
    run("add", "Ada Lovelace", "--url", "https://linkedin.com/in/ada-l")
    run("add", "Grace Hopper", "--org", "Navy")
    report = imported(run, vcf(
        tmp_path / "d.vcf", "J. Park|jp@bigcorp.example", "Bill Ng|||0044 20 7946 0000",
        "A. L.|||+1 555 0100|http://www.linkedin.com/in/ada-l/", "GRACE  HOPPER||Navy", "Grace Hopper||Other Co"))
    assert (report["created"], report["updated"]) == (1, 4)
    reasons = {j["contact"]: (j["reason"], j["evidence"]) for j in report["joins"]}
    assert reasons == {
        1: ("email", "jp@bigcorp.example"),  # "J. Park" agrees with John Park: an initial
        2: ("phone", "+442079460000"),  # Bill is William
        3: ("profile", "linkedin.com/in/ada-l"),
        4: ("name-at-org", "Navy"),
    }
    assert len(names(run)) == 5  # the namesake at another organisation is new


# ---- the merge journal -------------------------------------------------------------------


def test_merge_asks_shows_what_happens_and_is_undone_whole(run):
    run("add", "Ada Lovelace", "--email", "ada@example.com", "--interest", "chess")
    run("add", "A. Lovelace", "--email", "countess@example.com", "--phone", "+44 20 7946 0000",
        "--interest", "Poetry", "--role", "recruiter", "--org", "Analytical Engines")
    run("log", "2", "call", "--on", "2026-03-02", "--note", "about the engine")
    run("interview", "2", "--org", "Acme", "--position", "SRE", "--on", "2026-03-05", "--recruiter", "2")
    refused = run("merge", "1", "2", input="n\n")
    assert refused.exit_code == 1 and "countess@example.com" in refused.stderr and "1 touchpoint" in refused.stderr
    assert len(names(run)) == 2
    merged = run("merge", "1", "2", input="y\n")
    assert merged.exit_code == 0 and "crm unmerge 1" in merged.stderr
    assert names(run) == ["Ada Lovelace"]
    entries = json.loads(run("merges", "--json").stdout)
    assert [(e["id"], e["source"], e["kept"], e["absorbed"], e["reason"], e["undone_at"]) for e in entries] == [
        (1, "merge", {"id": 1, "name": "Ada Lovelace"}, {"id": 2, "name": "A. Lovelace"}, "merge", None)]
    run("edit", "1", "--title", "Countess")  # a change after the merge survives its undo
    assert run("unmerge", "1").exit_code == 0
    people = {p["id"]: p for p in json.loads(run("list", "--json").stdout)}
    ada, back = people[1], people[2]
    assert ada["emails"] == ["ada@example.com"] and ada["title"] == "Countess" and ada["interests"] == ["chess"]
    assert back["name"] == "A. Lovelace" and back["emails"] == ["countess@example.com"]
    assert back["phones"] == ["+44 20 7946 0000"] and back["interests"] == ["Poetry"]
    assert back["role"] == "recruiter" and back["org"] == "Analytical Engines"
    assert [t["note"] for t in json.loads(run("history", "2", "--json").stdout)] == ["about the engine"]
    assert json.loads(run("history", "1", "--json").stdout) == []
    assert json.loads(run("applications", "--json").stdout)[0]["recruiter"] == 2
    assert json.loads(run("applications", "--json").stdout)[0]["rounds"][0]["interviewers"] == [2]
    again = run("unmerge", "1")
    assert again.exit_code == 2 and again.stderr.startswith("Error: merge #1 was already undone")
    assert run("unmerge", "9").exit_code == 1


def test_an_import_join_is_journalled_and_can_be_taken_back_out(run, tmp_path):
    run("add", "Ada Lovelace", "--email", "ada@example.com")
    imported(run, vcf(tmp_path / "e.vcf", "Ada Lovelace|ada@example.com|Analytical Engines|+44 20 7946 0000"))
    entry, = json.loads(run("merges", "--json").stdout)
    assert (entry["source"], entry["reason"], entry["evidence"], entry["absorbed"]["id"]) == (
        "import", "email", "ada@example.com", None)
    assert run("unmerge", str(entry["id"])).exit_code == 0
    people = json.loads(run("list", "--json").stdout)
    assert [(p["name"], p["org"], p["phones"]) for p in people] == [
        ("Ada Lovelace", None, []), ("Ada Lovelace", "Analytical Engines", ["+44 20 7946 0000"])]


# ---- look-ups -----------------------------------------------------------------------------


def test_a_short_name_never_hijacks_a_lookup(run):
    for name in ("Björn Lindqvist", "Siobhán Kelly", "Kenji Watanabe", "John Smith", "Johnny Cash",
                 "John Doe", "Johnathan Ive", "Jo", "Ñ Ñ Ñ Ñ Ñ"):
        run("add", name)
    shown = lambda q: json.loads(run("show", q, "--json").stdout)["name"]  # noqa: E731
    assert shown("bjorn") == "Björn Lindqvist"
    assert shown("siobhan") == "Siobhán Kelly" and shown("kenji") == "Kenji Watanabe"
    assert shown("jo") == "Jo"  # exact beats prefix
    assert shown("john s") == "John Smith"  # every word a prefix
    assert shown("watanbe") == "Kenji Watanabe"  # fuzzy, when nothing else matches
    ambiguous = run("show", "john")
    assert ambiguous.exit_code == 1
    for name in ("John Smith", "Johnny Cash", "John Doe", "Johnathan Ive"):
        assert name in ambiguous.stderr  # every candidate
    assert run("log", "siobhan", "call").exit_code == 0


def test_ambiguity_beyond_ten_says_how_many_more(run):
    for i in range(13):
        run("add", f"Sam Number{chr(97 + i)}")
    result = run("show", "sam")
    assert result.exit_code == 1 and result.stderr.rstrip().endswith("and 3 more?")


def test_add_warns_about_a_namesake_with_both_ids(run):
    assert run("add", "Priya Raman").exit_code == 0
    result = run("add", "PRIYA  Raman", "--json")
    assert json.loads(result.stdout) == {"id": 2, "namesakes": [1]}
    assert "#2" in result.stderr and "#1" in result.stderr


# ---- organisations and interests ----------------------------------------------------------


def test_organisations_and_interests_fold_unicode_and_legal_forms(run):
    assert run("add", "Ann One", "--org", "Élan Systems", "--interest", "Écologie").exit_code == 0
    assert run("add", "Bob Two", "--org", "ÉLAN SYSTEMS", "--interest", "écologie").exit_code == 0
    assert run("tag", "ann", "Écologie").exit_code == 0
    assert run("add", "Cy Three", "--org", "Initech, Inc.").exit_code == 0
    assert run("add", "Di Four", "--org", "Initech").exit_code == 0
    assert run("add", "Ed Five", "--org", "Acme Robotics").exit_code == 0
    orgs = {p["name"]: p["org"] for p in json.loads(run("list", "--json").stdout)}
    assert orgs == {"Ann One": "Élan Systems", "Bob Two": "Élan Systems", "Cy Three": "Initech, Inc.",
                    "Di Four": "Initech, Inc.", "Ed Five": "Acme Robotics"}
    listed = lambda *a: sorted(p["name"] for p in json.loads(run("list", "--json", *a).stdout))  # noqa: E731
    assert listed("--org", "acme") == ["Ed Five"]  # as `crm org acme` finds it
    assert listed("--org", "initech") == ["Cy Three", "Di Four"]
    assert listed("--org", "elan systems", "--interest", "ECOLOGIE") == ["Ann One", "Bob Two"]
    assert json.loads(run("org", "initech", "--json").stdout)["name"] == "Initech, Inc."


def test_m007_folds_organisation_and_interest_twins_and_rekeys_phones(tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for migration in MIGRATIONS[:3]:
        for statement in migration.statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migration VALUES (?, ?, '2026-01-01')", (migration.version, migration.name))
    conn.executescript("""
        INSERT INTO organisation VALUES (1, 'Élan Systems', 'elan systems'), (2, 'élan systems', 'elan systems'),
            (3, 'Initech, Inc.', 'initech, inc.'), (4, 'Initech', 'initech');
        INSERT INTO interest VALUES (1, 'Écologie'), (2, 'écologie');
        INSERT INTO contact (id, display_name, name_key, organisation_id, created_at, updated_at) VALUES
            (1, 'Ann', 'ann', 2, '2026-01-01', '2026-01-01'), (2, 'Bob', 'bob', 4, '2026-01-01', '2026-01-01');
        INSERT INTO contact_interest VALUES (1, 2, 'since school'), (2, 1, '');
        INSERT INTO contact_method (contact_id, medium, value, norm) VALUES
            (1, 'phone', '+44 20 7946 0000', '207946000'), (2, 'phone', '020 7946 0001', '207946001');
    """)
    conn.commit()
    conn.close()
    env = dict(os.environ, CRM_DB=str(db), CRM_REGION="GB")
    out = subprocess.run([sys.executable, "-m", "crm", "list", "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert {(p["name"], p["org"], tuple(p["interests"])) for p in json.loads(out.stdout)} == {
        ("Ann", "Élan Systems", ("Écologie",)), ("Bob", "Initech, Inc.", ("Écologie",))}
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT norm FROM contact_method ORDER BY id").fetchall() == [
        ("+442079460000",), ("+442079460001",)]  # the national one re-keyed with CRM_REGION
    assert conn.execute("SELECT note FROM contact_interest WHERE contact_id = 1").fetchall() == [("since school",)]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO organisation (name, name_key) VALUES ('INITECH LLC', 'initech')")
    conn.close()


# ---- outcomes ----------------------------------------------------------------------------


def test_an_outcome_never_overwrites_a_closed_application(run, db_dump):
    run("add", "Bjorn Lindqvist")
    run("interview", "bjorn", "--org", "Acme Robotics", "--position", "SRE", "--on", "2026-03-02")
    assert run("outcome", "Acme Robotics", "hired", "--on", "2026-03-20").exit_code == 0
    dump = db_dump()
    typo = run("outcome", "acme robotcs", "rejected")
    assert typo.exit_code == 1 and typo.stderr.count("\n") == 1
    closed = run("outcome", "acme robotics", "rejected")
    assert closed.exit_code == 1 and closed.stderr == (
        "Error: Acme Robotics has no open application (closed: #1 SRE (hired)); to change one, use --application ID\n")
    assert db_dump() == dump
    assert run("outcome", "--application", "1", "rejected", "--on", "2026-03-21").exit_code == 0
    assert json.loads(run("applications", "--json").stdout)[0]["outcome"] == "rejected"
    assert run("outcome", "globex", "hired", "--application", "1").exit_code == 2  # not Globex's


# ---- completion, phones -------------------------------------------------------------------


def test_real_bash_completion_gives_a_command_that_runs(run, tmp_path, private_database):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash on this machine")
    run("add", "Björn Lindqvist")
    run("add", "Ada O'Neil")
    bin_dir = tmp_path / "bin"  # the script calls `crm` by name, as an installed one would be
    bin_dir.mkdir()
    (bin_dir / "crm").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m crm "$@"\n', encoding="utf-8")
    (bin_dir / "crm").chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    from click.shell_completion import BashComplete

    from crm.cli import cli

    source = BashComplete(cli, {}, "crm", "_CRM_COMPLETE").source()  # what `_CRM_COMPLETE=bash_source crm` prints
    script = tmp_path / "complete.sh"
    script.write_text(
        f"{source}\n"
        "complete_line() { COMP_WORDS=($1); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=();"
        " _crm_completion crm; printf '%s\\n' \"${COMPREPLY[@]}\"; }\n"
        "for query in bj ad; do\n"
        "  word=$(complete_line \"crm show $query\")\n"
        "  eval \"crm show $word --json\"\n"
        "done\n", encoding="utf-8")
    result = subprocess.run([bash, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    shown = [json.loads(chunk)["name"] for chunk in result.stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert shown == ["Björn Lindqvist", "Ada O'Neil"]


def test_phones_key_by_e164_with_the_region_from_the_environment(run, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_REGION", "GB")
    run("add", "William Ng", "--phone", "020 7946 0000")
    report = imported(run, vcf(tmp_path / "p.vcf", "Bill Ng|||+44 20 7946 0000", "Bill Ng|||+49 20 7946 0000"))
    assert (report["created"], report["updated"]) == (1, 1)  # the German number is someone else's
    monkeypatch.setenv("CRM_REGION", "Britain")
    bad = run("list")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: CRM_REGION must be a two-letter country code")


def test_today_limit_zero_shows_no_suggestion_and_says_how_many(run):
    """Regression: `crm today --limit 0` crashed with max() of an empty sequence (exit 70)."""
    run("add", "Ada Lovelace", "--role", "mentor", "--on", "2026-01-01")
    run("log", "ada", "call", "--on", "2026-01-02")
    result = run("today", "--on", "2026-06-01", "--limit", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 more due (crm today --limit 1 shows all).\n"
    assert json.loads(run("today", "--on", "2026-06-01", "--limit", "0", "--json").stdout) == []


# ---- legacy charsets ---------------------------------------------------------------------


def test_undeclared_8_bit_names_decode_to_their_script(run, tmp_path):
    cyrillic = tmp_path / "cyrillic.vcf"
    cyrillic.write_bytes(("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Петрова;Наталья\r\nFN:Наталья Петрова\r\n"
                          "ORG:Рога и копыта\r\nEND:VCARD\r\n"
                          "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Сергей Иванов\r\nEND:VCARD\r\n").encode("cp1251"))
    greek = tmp_path / "greek.vcf"
    greek.write_bytes("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ελένη Παπαδοπούλου\r\nEND:VCARD\r\n".encode("cp1253"))
    western = tmp_path / "western.vcf"
    western.write_bytes("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:François Lefèvre\r\nEND:VCARD\r\n".encode("cp1252"))
    hinted = tmp_path / "hinted.vcf"  # a charset declared elsewhere in the card is the strong hint
    hinted.write_bytes(b"BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;CHARSET=ISO-8859-2:" + "Łódź".encode("iso8859-2")
                       + b"\r\nFN:" + "Paweł Żak".encode("iso8859-2") + b"\r\nEND:VCARD\r\n")
    for path in (cyrillic, greek, western, hinted):
        assert run("import", path).exit_code == 0
    assert names(run) == ["François Lefèvre", "Paweł Żak", "Ελένη Παπαδοπούλου", "Наталья Петрова", "Сергей Иванов"]


def test_check_accepts_a_national_number_keyed_with_the_region(run, monkeypatch):
    monkeypatch.setenv("CRM_REGION", "GB")
    run("add", "William Ng", "--phone", "020 7946 0000")
    monkeypatch.delenv("CRM_REGION")
    result = run("check")
    assert result.exit_code == 0, result.output


def test_dupes_does_not_pair_names_that_differ_only_in_digits(run, tmp_path):
    imported(run, vcf(tmp_path / "n.vcf", *[f"Person{i} Test||Initech" for i in range(5)], "Ada Lovelace||Initech",
                      "Ada Lovelac||Initech"))
    pairs = json.loads(run("dupes", "--json", "--threshold", "70").stdout)
    assert [(p["a"]["name"], p["b"]["name"]) for p in pairs] == [("Ada Lovelace", "Ada Lovelac")]


def test_unmerge_gives_back_a_mail_touch_the_merge_folded_into_one(run, private_database):
    run("add", "Ada Lovelace")
    run("add", "A. Lovelace")
    assert run("log", "1", "message", "--via", "email", "--on", "2026-03-02").exit_code == 0
    assert run("log", "2", "message", "--via", "email", "--on", "2026-03-02").exit_code == 0
    conn = sqlite3.connect(private_database)
    conn.execute("UPDATE touchpoint SET message_key = '<m1@example.com>'")  # one message, logged for both
    conn.commit()
    conn.close()
    assert run("merge", "1", "2", "--yes").exit_code == 0
    assert len(json.loads(run("history", "1", "--json").stdout)) == 1
    assert run("unmerge", "1").exit_code == 0
    assert len(json.loads(run("history", "1", "--json").stdout)) == 1
    assert len(json.loads(run("history", "2", "--json").stdout)) == 1
