"""Values (issue 11): validated at every way in, NFC text, every bad value a hand edit can leave
found by `crm check` and repaired by `crm check --repair` where that loses nothing, and one bad
row never fails the whole database. Plus linear-time parsing of huge lists and lines."""
from __future__ import annotations

import json
import sqlite3
import time
import tracemalloc
import unicodedata

import pytest

COMPOSED = unicodedata.normalize("NFC", "Société Générale")
DECOMPOSED = unicodedata.normalize("NFD", "Société Générale")


def raw_sql(db, *statements, params=()):
    conn = sqlite3.connect(db)
    for statement in statements:
        conn.execute(statement, params) if params else conn.execute(statement)
    conn.commit()
    conn.close()


def test_cadence_is_bounded_at_every_way_in(run, private_database):
    assert run("add", "Ada Lovelace").exit_code == 0
    for days in ("0", "3651", "2932896", "-5"):
        result = run("cadence", "ada", days)
        assert result.exit_code == 2, (days, result.output)
    assert run("cadence", "ada", "3650").exit_code == 0
    assert run("today", "--on", "2026-01-01").exit_code == 0
    from crm.cadence.settings import MAX_CADENCE_DAYS
    from crm.store.models import MAX_CADENCE_DAYS as STORED

    assert MAX_CADENCE_DAYS == STORED == 3650


def test_composed_and_decomposed_text_are_one_organisation_and_one_interest(run, private_database, tmp_path):
    assert run("add", "Ada Lovelace", "--org", COMPOSED, "--interest", "café").exit_code == 0
    assert run("add", "Grace Hopper", "--org", DECOMPOSED, "--interest", unicodedata.normalize("NFD", "café")).exit_code == 0
    card = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:José Núñez\r\nORG:{DECOMPOSED}\r\n"
            f"CATEGORIES:{unicodedata.normalize('NFD', 'café')}\r\nEND:VCARD\r\n")
    (tmp_path / "nfd.vcf").write_text(card, encoding="utf-8")
    assert run("import", tmp_path / "nfd.vcf").exit_code == 0
    conn = sqlite3.connect(private_database)
    assert conn.execute("SELECT name FROM organisation").fetchall() == [(COMPOSED,)]
    assert conn.execute("SELECT name FROM interest").fetchall() == [("café",)]
    assert conn.execute("SELECT display_name FROM contact WHERE id = 3").fetchone() == ("José Núñez",)
    conn.close()


HAND_EDITS = [
    ("UPDATE contact SET cadence_days = '30 days' WHERE id = 1", "contact-bad-cadence", True),
    ("UPDATE contact SET cadence_days = 2932896 WHERE id = 2", "contact-bad-cadence", False),
    ("UPDATE contact SET created_at = '' WHERE id = 3", "bad-created-at", True),
    ("UPDATE contact SET display_name = CAST('Blob Name' AS BLOB) WHERE id = 4", "value-wrong-type", True),
    ("UPDATE contact SET notes = CAST(X'4A6F73E9' AS TEXT) WHERE id = 5", "text-not-utf8", True),
    ("UPDATE contact SET display_name = CAST(X'5A6FEB' AS TEXT), name_key = 'zo' WHERE id = 6", "text-not-utf8", True),
    ("UPDATE contact SET snoozed_until = '2026-02-30' WHERE id = 7", "contact-bad-date", False),
    ("UPDATE touchpoint SET \"on\" = '31/12/2025' WHERE id = 1", "touchpoint-bad-date", False),
]


@pytest.fixture
def hand_edited(run, private_database):
    for i in range(1, 9):
        assert run("add", f"Person {i}", "--role", "recruiter", "--on", "2025-06-01").exit_code == 0
    assert run("log", "Person 8", "message", "--on", "2025-07-01").exit_code == 0
    raw_sql(private_database, *(edit for edit, _code, _fixable in HAND_EDITS))
    return private_database


def test_check_finds_every_bad_value_a_hand_edit_leaves(run, hand_edited):
    result = run("check", "--json")
    assert result.exit_code == 1
    found = {(p["check"], p["id"]) for p in json.loads(result.stdout)["problems"]}
    for edit, code, _fixable in HAND_EDITS:
        row = int(edit.rsplit("= ", 1)[1])
        assert (code, row) in found, (edit, found)
    text = run("check")
    assert text.exit_code == 1 and "not valid UTF-8" in text.stdout and "2932896" in text.stdout


def test_commands_keep_working_on_a_hand_edited_database(run, hand_edited):
    today = run("today", "--on", "2026-01-01", "--json")
    assert today.exit_code == 0, today.output
    assert "skipped" in today.stderr and "run crm check" in today.stderr
    suggested = {s["contact"]["id"] for s in json.loads(today.stdout)}
    assert suggested and suggested <= {1, 3, 4, 5, 7, 8}  # the unreadable rows alone are left out
    assert run("calendar", "--on", "2026-01-01", "--days", "30").exit_code == 0
    for args in (["list"], ["export"], ["show", "Person 1"]):
        result = run(*args)
        assert result.exit_code in (0, 1), (args, result.output)
        assert "internal error" not in result.stderr
        if result.exit_code:
            assert "not valid UTF-8" in result.stderr and "--repair" in result.stderr


def test_check_repair_fixes_what_it_can_without_loss_and_says_so(run, hand_edited):
    repaired = run("check", "--repair", "--json")
    assert repaired.stdout.startswith("{"), repaired.output
    report = json.loads(repaired.stdout)
    assert list(report) == ["database", "ok", "schema_version", "counts", "problems", "repaired"]
    fixed = {(p["check"], p["id"]) for p in report["repaired"]}
    remaining = {(p["check"], p["id"]) for p in report["problems"]}
    for edit, code, fixable in HAND_EDITS:
        row = int(edit.rsplit("= ", 1)[1])
        assert ((code, row) in fixed) == fixable, edit
        assert ((code, row) in remaining) != fixable, edit
    conn = sqlite3.connect(hand_edited)
    row = conn.execute("SELECT cadence_days, typeof(cadence_days) FROM contact WHERE id = 1").fetchone()
    assert row == (30, "integer")
    assert conn.execute("SELECT display_name, typeof(display_name) FROM contact WHERE id = 4").fetchone() == ("Blob Name", "text")
    assert conn.execute("SELECT notes FROM contact WHERE id = 5").fetchone() == ("José",)  # the Latin-1 byte kept
    assert conn.execute("SELECT display_name, name_key FROM contact WHERE id = 6").fetchone() == ("Zoë", "zoe")
    assert conn.execute("SELECT created_at FROM contact WHERE id = 3").fetchone()[0].startswith("2025-06-01")
    conn.close()
    text = run("check", "--repair")
    assert text.stdout.startswith("Repaired 0 problem(s).")  # nothing left that can be fixed
    assert run("export").exit_code == 0


# ---- linear-time parsing -------------------------------------------------------------------------


def categories_card(n: int) -> bytes:
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Tagged\r\nCATEGORIES:"
            + ",".join(f"tag{i}" for i in range(n)) + "\r\nEND:VCARD\r\n").encode()


def folded_note_card(size: int) -> bytes:
    note = "x" * size
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Noted\r\nNOTE:"
            + "\r\n ".join(note[i:i + 74] for i in range(0, size, 74)) + "\r\nEND:VCARD\r\n").encode()


def cost(make, n: int) -> tuple[float, int, object]:
    from crm.formats.vcard import read_cards

    data = make(n)
    tracemalloc.start()
    started = time.perf_counter()
    card = next(iter(read_cards(data))).card
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, card


def best_of(make, n: int, tries: int = 3) -> tuple[float, int, object]:
    runs = [cost(make, n) for _ in range(tries)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]


def test_a_huge_categories_list_parses_in_linear_time():
    small, _, card = best_of(categories_card, 2_000)
    large, _, card = best_of(categories_card, 20_000)
    assert len(card.categories) == 20_000 and card.categories[-1] == "tag19999"
    assert large < 20 * small + 0.05, (small, large)  # quadratic would be ~100x


def test_a_huge_folded_note_parses_in_linear_time_and_memory():
    small, small_peak, _ = best_of(folded_note_card, 100_000, tries=2)
    large, large_peak, card = best_of(folded_note_card, 1_000_000, tries=2)
    assert len(card.note) == 1_000_000
    assert large < 20 * small + 0.05, (small, large)
    assert large_peak < 20 * small_peak and large_peak < 12 * 1_000_000, (small_peak, large_peak)


@pytest.mark.slow
def test_full_size_categories_and_note_import(run, tmp_path):
    (tmp_path / "tags.vcf").write_bytes(categories_card(200_000))
    started = time.perf_counter()
    assert run("import", tmp_path / "tags.vcf").exit_code == 0
    assert time.perf_counter() - started < 60
    _elapsed, peak, card = cost(folded_note_card, 50_000_000)
    assert len(card.note) == 50_000_000 and peak < 12 * 50_000_000
