"""crm import and export through the CLI: identity, re-import, strictness, bad input, round trip."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import examples

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "fixtures" / "quickstart.vcf"
REAL = Path(os.environ.get("CRM_REAL_VCARDS", ROOT.parent / "shared" / "vcards-real"))


def imported(run, *args) -> dict:
    result = run("import", *map(str, args), "--json")
    return json.loads(result.stdout)


def test_reimporting_the_same_file_changes_nothing(run):
    first = imported(run, QUICKSTART)
    assert (first["cards"], first["created"], first["errors"]) == (4, 4, [])
    again = imported(run, QUICKSTART)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)


@pytest.mark.skipif(not REAL.is_dir(), reason="shared/vcards-real is not present")
def test_reimporting_every_real_file_changes_nothing(run):
    """Each file imported twice in a row: the second time creates and updates nothing. (Across
    files the corpus reuses UIDs and emails for different sample people, so importing the whole
    folder twice moves fields back and forth between those files' versions; that is the
    newest-file-wins rule working, not a re-import of the same file.)"""
    first = imported(run, REAL)
    assert first["files"] == 60 and first["created"] > 40 and first["skipped"] == 0
    for path in sorted(REAL.glob("*.vcf")):
        imported(run, path)
        again = imported(run, path)
        assert (again["created"], again["updated"]) == (0, 0), path.name


def test_an_updated_export_updates_instead_of_duplicating(run, tmp_path):
    run("import", QUICKSTART)
    newer = QUICKSTART.read_text(encoding="utf-8").replace(
        "TITLE:Staff Engineer", "TITLE:Principal Engineer\r\nEMAIL:bjorn@home.example"
    ).replace("UID:6f1c2a5e-quickstart-0004", "UID:changed-by-the-phone")
    (tmp_path / "newer.vcf").write_text(newer, encoding="utf-8", newline="")
    report = imported(run, tmp_path / "newer.vcf")
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 3)  # Omar: same email, new UID
    people = {p["name"]: p for p in json.loads(run("list", "--json").stdout)}
    assert len(people) == 4 and people["Björn Lindqvist"]["title"] == "Principal Engineer"
    assert people["Björn Lindqvist"]["emails"] == ["bjorn.lindqvist@acme.example", "bjorn@home.example"]


def test_the_same_person_twice_in_one_file_is_one_contact(run, tmp_path):
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@x.example\r\nEND:VCARD\r\n"
    other = card.replace("EMAIL:ada@x.example", "EMAIL:ADA@X.example\r\nTEL:+44 20 7946 0000")
    (tmp_path / "twice.vcf").write_text(card + other)
    report = imported(run, tmp_path / "twice.vcf")
    assert (report["cards"], report["created"], report["updated"]) == (2, 1, 1)


def test_dry_run_writes_nothing(run, private_database):
    report = json.loads(run("import", QUICKSTART, "--dry-run", "--json").stdout)
    assert report["created"] == 4
    assert json.loads(run("list", "--json").stdout) == []


def test_strict_writes_nothing_when_a_card_is_broken(run, tmp_path):
    good = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n"
    broken = "BEGIN:VCARD\r\nthis is not a property\r\nEND:VCARD\r\n"
    (tmp_path / "mixed.vcf").write_text(good + broken + good.replace("Ada Lovelace", "Grace Hopper"))
    strict = run("import", tmp_path / "mixed.vcf", "--strict")
    assert strict.exit_code == 1 and strict.stderr.startswith("Error: --strict")
    assert json.loads(run("list", "--json").stdout) == []
    lenient = imported(run, tmp_path / "mixed.vcf")
    assert lenient["created"] == 2 and lenient["skipped"] == 1
    (error,) = lenient["errors"]
    assert (error["card"], error["line"]) == (2, 5) and error["file"].endswith("mixed.vcf")


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.vcf", "no such file"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "no .vcf or .csv files"),
    (lambda d: (d / "zero.vcf").write_bytes(b"") or d / "zero.vcf", "empty"),
    (lambda d: (d / "photo.vcf").write_bytes(bytes(range(256)) * 40) or d / "photo.vcf", ""),
    (lambda d: (d / "blank.vcf").write_bytes(b"BEGIN:VCARD\r\nEND:VCARD\r\n") or d / "blank.vcf", ""),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(run, tmp_path, make, message):
    run("add", "Existing Person")
    result = run("import", make(tmp_path))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0].lower()
    assert "Traceback" not in result.output
    assert [p["name"] for p in json.loads(run("list", "--json").stdout)] == ["Existing Person"]


def test_one_bad_file_does_not_stop_the_others(run, tmp_path):
    (tmp_path / "junk.vcf").write_bytes(b"\x00\x01\x02 not a card")
    result = run("import", tmp_path / "junk.vcf", QUICKSTART)
    assert result.exit_code == 0 and "4 created" in result.stdout and result.stderr.count("Error:") == 1


def test_export_files_are_private_and_reimport_into_an_empty_database(run, tmp_path, monkeypatch):
    run("import", QUICKSTART)
    run("tag", "omar", "go")
    for version in ("3.0", "4.0"):
        out = tmp_path / f"out-{version}.vcf"
        assert run("export", "--vcard-version", version, "-o", out).exit_code == 0
        assert oct(out.stat().st_mode & 0o777) == "0o600"
        monkeypatch.setenv("CRM_DB", str(tmp_path / f"fresh-{version}.db"))
        assert imported(run, out)["created"] == 4
        fresh = json.loads(run("export", "--format", "json").stdout)
        monkeypatch.setenv("CRM_DB", str(tmp_path / "crm.db"))
        original = json.loads(run("export", "--format", "json").stdout)
        assert fresh == original


def _not_mojibake(text: str) -> bool:
    """The reader undoes doubly-encoded UTF-8 ("Ã©" -> "é"); text that looks like it is out of scope."""
    from crm.formats.vcard.text import repair_mojibake

    return repair_mojibake(text) is None


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
                max_size=20).map(lambda s: " ".join(s.split())).filter(bool).filter(_not_mojibake)


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(st.tuples(names, st.sampled_from(["", "Acme, The", "Globex"]),
                                 st.sampled_from(["", "recruiter", "mentor"]), names), min_size=1, max_size=5))
def test_export_then_import_round_trips_every_field(run, tmp_path_factory, new_database, people):
    """Hypothesis: whatever is stored, exporting and importing into an empty database gives it back."""
    from crm.cli import cli
    from click.testing import CliRunner

    workdir = tmp_path_factory.mktemp("rt")
    runner = CliRunner()
    env_a, env_b = {"CRM_DB": str(workdir / "a.db")}, {"CRM_DB": str(workdir / "b.db")}
    for env in (env_a, env_b):
        new_database(env["CRM_DB"])
    for i, (name, org, role, note) in enumerate(people):
        args = ["add", "--note", note, "--email", f"p{i}@x.example", "--interest", f"topic {i % 2}"]
        args += (["--org", org] if org else []) + (["--role", role] if role else []) + ["--", name]
        assert runner.invoke(cli, args, env=env_a).exit_code == 0
    out = workdir / "all.vcf"
    assert runner.invoke(cli, ["export", "-o", str(out)], env=env_a).exit_code == 0
    assert runner.invoke(cli, ["import", str(out)], env=env_b).exit_code == 0
    dump = lambda env: json.loads(runner.invoke(cli, ["export", "--format", "json"], env=env).stdout)  # noqa: E731
    strip = lambda rows: [{k: v for k, v in r.items() if k != "uid"} for r in rows]  # noqa: E731
    assert strip(dump(env_b)) == strip(dump(env_a))


def test_import_is_one_transaction_per_file(run, tmp_path, private_database):
    run("import", QUICKSTART)
    conn = sqlite3.connect(private_database)
    assert conn.execute("SELECT COUNT(*) FROM contact").fetchone()[0] == 4
    conn.close()


def test_a_shared_phone_joins_only_records_whose_names_agree(run, tmp_path):
    run("add", "Ada Lovelace", "--phone", "+44 20 7946 0000")  # the office switchboard
    cards = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nTEL:020 7946 0000\r\nEND:VCARD\r\n"  # a colleague
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A. Lovelace\r\nTEL:0044 20 7946 0000\r\nEND:VCARD\r\n"  # Ada again
        "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:+44 (0)20 7946 0000\r\nEND:VCARD\r\n"  # a number, no name
    )
    (tmp_path / "office.vcf").write_text(cards)
    report = imported(run, tmp_path / "office.vcf")
    # Ada's new card renames her (the file is the newer word); the bare number changes nothing.
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 1)
    assert sorted(p["name"] for p in json.loads(run("list", "--json").stdout)) == ["A. Lovelace", "Grace Hopper"]


def test_export_filters_select_the_same_contacts_as_list(run):
    run("add", "Ada Lovelace", "--role", "recruiter", "--org", "Acme", "--interest", "chess")
    run("add", "Grace Hopper", "--org", "Navy", "--interest", "chess")
    run("add", "Bob Li", "--role", "recruiter")
    names = lambda *a: [c["name"] for c in json.loads(run("export", "--format", "json", *a).stdout)]  # noqa: E731
    assert names("--role", "recruiter") == ["Ada Lovelace", "Bob Li"]
    assert names("--interest", "CHESS") == ["Ada Lovelace", "Grace Hopper"]
    assert names("--org", "acme", "--interest", "chess") == ["Ada Lovelace"]
    nowhere = run("export", "--format", "json", "--org", "nowhere")  # resolved like `crm org`: a typo is an error
    assert nowhere.exit_code != 0 and nowhere.stderr.startswith("Error: no organisation matches 'nowhere'")
    assert run("export", "--role", "boss").exit_code == 2


def test_export_to_a_missing_folder_is_one_line(run, tmp_path):
    run("add", "Ada Lovelace")
    result = run("export", "-o", tmp_path / "no" / "such" / "out.vcf")
    assert result.exit_code == 2 and result.stderr.startswith("Error: cannot write") and result.stderr.count("\n") == 1


def test_a_reimport_skips_only_cards_whose_contact_is_as_it_left_it(run, tmp_path, private_database):
    """An unchanged re-import skips the cards it fingerprinted (crm.store.fingerprints); a
    contact changed since by any command (an edit, a tag, an untag) is read and joined again,
    so the card puts back what it says, as it always did."""
    first = imported(run, QUICKSTART)
    assert first["created"] == 4
    conn = sqlite3.connect(private_database)
    assert conn.execute("SELECT COUNT(*) FROM card_fingerprint").fetchone()[0] == 4
    conn.close()
    again = imported(run, QUICKSTART)
    assert (again["unchanged"], [j["reason"] for j in again["joins"]]) == (4, ["uid"] * 4)
    assert all(j["changed"] is False and j["journal"] is None for j in again["joins"])
    run("edit", "bjorn", "--title", "Chess coach")
    run("tag", "elodie", "gardening")
    edited = imported(run, QUICKSTART)
    assert (edited["updated"], edited["unchanged"]) == (1, 3)  # the title comes back; a tag the card lacks stays
    people = {p["name"]: p for p in json.loads(run("list", "--json").stdout)}
    assert people["Björn Lindqvist"]["title"] == "Staff Engineer"
    assert "gardening" in people["Élodie Moreau"]["interests"]
    assert imported(run, QUICKSTART)["unchanged"] == 4


def test_an_import_into_an_empty_database_leaves_its_indexes_as_they_were(run, tmp_path, private_database):
    """Into an empty contact table the import writes without four secondary indexes and builds
    them after (crm.store.contacts.filling_empty_contacts): the schema is the same afterwards,
    also when the file turns out unreadable halfway, and the indexes hold every row."""
    def schema():
        conn = sqlite3.connect(private_database)
        found = sorted(conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
        conn.close()
        return found

    run("list")  # creates the database
    before = schema()
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,Mail\nAda,ada@x.example\n", encoding="utf-8")
    refused = json.loads(run("import", bad, "--format", "linkedin", "--json").stdout)  # refused while read
    assert "no recognisable header" in refused["errors"][0]["message"]
    assert schema() == before
    imported(run, QUICKSTART)
    assert schema() == before
    conn = sqlite3.connect(private_database)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    used = conn.execute("EXPLAIN QUERY PLAN SELECT id FROM contact WHERE name_key = 'omar haddad'").fetchall()
    assert "contact_name_key" in str(used)
    assert conn.execute("SELECT COUNT(*) FROM contact INDEXED BY contact_name_key WHERE name_key > ''").fetchone()[0] == 4
    conn.close()
