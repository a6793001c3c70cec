"""crm offer add / offer list through the CLI, and how offers reach `crm show`."""
from __future__ import annotations

import json

import pytest


def add(run, *args) -> int:
    result = run("add", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def offer(run, *args) -> int:
    result = run("offer", "add", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def offers(run) -> list[dict]:
    result = run("offer", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def shown(run, query) -> dict:
    return json.loads(run("show", query, "--json").stdout)


def test_offer_add_prints_the_id_and_list_has_the_documented_shape(run):
    add(run, "Ada Lovelace", "--interest", "chess")
    add(run, "Omar Haddad")
    first = offer(run, "article", "Chess openings", "--url", "https://example.com/chess", "--interest", "chess",
                  "--interest", "Go", "--interest", "CHESS", "--on", "2026-03-01")
    assert run("offer", "add", "introduction", "Meet Omar", "--for", "ada", "--introduce", "omar",
               "--on", "2026-03-02", "--json").stdout == '{\n  "id": 2\n}\n'
    assert offers(run) == [
        {"id": first, "kind": "article", "title": "Chess openings", "url": "https://example.com/chess",
         "interests": ["chess", "Go"], "for": None, "introduce": None, "on": "2026-03-01", "given_to": [],
         "lapses_on": "2026-08-28"},
        {"id": 2, "kind": "introduction", "title": "Meet Omar", "url": None, "interests": [], "for": 1,
         "introduce": 2, "on": "2026-03-02", "given_to": [], "lapses_on": None},
    ]
    text = run("offer", "list").stdout
    assert "chess, Go" in text and "Ada Lovelace -> Omar Haddad" in text


def test_given_to_lists_each_contact_once_by_the_first_time(run):
    add(run, "Ada Lovelace")
    add(run, "Bob Byte")
    oid = offer(run, "resource", "Salary guide", "--interest", "negotiation")
    for who, day in (("bob", "2026-03-09"), ("ada", "2026-03-04"), ("bob", "2026-03-02")):
        assert run("log", who, "value-offer", "--offer", oid, "--on", day).exit_code == 0
    assert offers(run)[0]["given_to"] == [
        {"id": 2, "name": "Bob Byte", "on": "2026-03-02"}, {"id": 1, "name": "Ada Lovelace", "on": "2026-03-04"},
    ]


def test_show_lists_offers_that_fit_and_offers_given(run):
    add(run, "Ada Lovelace", "--interest", "chess", "--interest", "rust")
    add(run, "Bob Byte", "--interest", "cobol")
    general = offer(run, "article", "Rust and chess engines", "--interest", "rust", "--interest", "chess",
                    "--on", "2026-03-01")
    other = offer(run, "event", "Chess meetup", "--interest", "chess", "--on", "2026-03-05")
    offer(run, "article", "COBOL today", "--interest", "cobol")
    mine = offer(run, "congratulation", "On the promotion", "--for", "ada", "--on", "2026-03-02")
    offer(run, "congratulation", "New job", "--for", "bob")
    profile = shown(run, "ada")
    assert [(o["id"], o["meant_for_them"], o["shared_interests"]) for o in profile["offers_to_give"]] == [
        (mine, True, []), (general, False, ["chess", "rust"]), (other, False, ["chess"]),
    ]
    assert profile["offers_given"] == []
    run("log", "ada", "value-offer", "--offer", general, "--on", "2026-03-20")
    profile = shown(run, "ada")
    assert [o["id"] for o in profile["offers_to_give"]] == [mine, other]
    assert profile["offers_given"] == [
        {"id": general, "kind": "article", "title": "Rust and chess engines", "url": None, "on": "2026-03-20"}
    ]
    text = run("show", "ada").stdout
    assert "offers given" in text and "shares chess" in text and "meant for them" in text


def test_empty_list_and_a_general_offer_without_interests(run):
    result = run("offer", "list")
    assert result.exit_code == 0 and result.stderr == "No offers.\n"
    assert offers(run) == []
    result = run("offer", "add", "resource", "A useful list")
    assert result.exit_code == 0 and "fits nobody in particular" in result.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["offer", "add", "articel", "X"], 2, "Error: unknown offer kind 'articel' (did you mean article?)"),
        (["offer", "add", "article", "  "], 2, "Error: an offer needs a title"),
        (["offer", "add", "article", "X", "--for", "nobody at all"], 1, "Error: no contact matches"),
        (["offer", "add", "introduction", "X", "--for", "ada", "--introduce", "99"], 1, "Error: no contact has id 99"),
        (["offer", "add", "article", "X", "--for", "ada", "--introduce", "bob"], 2,
         "Error: --introduce only goes with an introduction"),
        (["offer", "add", "introduction", "X", "--for", "ada", "--introduce", "ada"], 2,
         "Error: cannot introduce someone to themselves"),
        (["offer", "add", "article", "X", "--on", "2026-13-01"], 2, "Error: bad date '2026-13-01'"),
        (["offer", "add", "article", "X", "--interest", " "], 2, "Error: an interest needs a name"),
    ],
)
def test_failures_say_one_line_and_write_nothing(run, row_counts, db_dump, args, code, message):
    add(run, "Ada Lovelace")
    add(run, "Bob Byte")
    before, dump = row_counts(), db_dump()
    result = run(*args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert row_counts() == before and db_dump() == dump


def test_deleting_the_contact_an_offer_is_for_removes_it(run):
    add(run, "Ada Lovelace")
    add(run, "Bob Byte")
    offer(run, "congratulation", "Promotion", "--for", "ada")
    offer(run, "introduction", "Meet Ada", "--for", "bob", "--introduce", "ada")
    run("rm", "ada", "--yes")
    [left] = offers(run)
    assert left["title"] == "Meet Ada" and left["introduce"] is None


def test_merging_moves_offers_and_their_given_marks(run):
    add(run, "Ada Lovelace", "--email", "ada@example.com")
    add(run, "A. Lovelace", "--email", "ada@work.example")
    oid = offer(run, "congratulation", "Promotion", "--for", "2")
    run("log", "2", "congratulate", "--offer", oid, "--on", "2026-03-02")
    assert run("merge", "1", "2", "--yes").exit_code == 0
    [moved] = offers(run)
    assert moved["for"] == 1 and moved["given_to"] == [{"id": 1, "name": "Ada Lovelace", "on": "2026-03-02"}]
