"""Duplicate detection (blocking + scoring) and merging."""
from __future__ import annotations

import json

from crm.identity.matching import Person, blocking_keys, find_duplicates, phonetic


def person(pid, name, org="", emails=(), phones=()):
    from crm.text import fold

    return Person(pid, name, fold(name), fold(org), frozenset(emails), frozenset(phones))


def test_soundex_codes():
    assert phonetic("robert") == phonetic("rupert") == "r163"
    assert phonetic("ashcraft") == "a261"
    assert phonetic("tymczak") == "t522"
    assert phonetic("") == ""


def test_finds_typos_swapped_names_and_accent_variants():
    people = [
        person(1, "Katarzyna Nowak", "Acme", ["kasia@acme.example"]),
        person(2, "Katarzyna Nowac", "Acme", ["k.nowak@acme.example"]),
        person(3, "Nowak Katarzyna", phones=["207946000"]),
        person(4, "José Álvarez", emails=["jose@mail.example"]),
        person(5, "Jose Alvarez", emails=["jalvarez@other.example"]),
        person(6, "Grace Hopper", "Navy"),
        person(7, "Greta Hopkins", "Navy"),
    ]
    pairs = {(p.a.id, p.b.id): p for p in find_duplicates(people, threshold=85)}
    assert (1, 2) in pairs and (1, 3) in pairs and (4, 5) in pairs
    assert (6, 7) not in pairs
    assert any("same organisation" in e for e in pairs[(1, 2)].evidence)
    assert pairs[(4, 5)].score == 100


def test_shared_email_is_a_duplicate_even_with_different_names():
    people = [person(1, "A. Lovelace", emails=["ada@x.example"]), person(2, "Countess of Lovelace", emails=["ada@x.example"])]
    (pair,) = find_duplicates(people)
    assert pair.score == 100 and "same email ada@x.example" in pair.evidence


def test_blocking_never_needs_all_pairs():
    keys = blocking_keys(person(1, "Ada Lovelace", "Acme", ["ada@acme.example"], ["207946000"]))
    assert "p:207946000" in keys and "l:ada" in keys
    assert any(k.startswith("n:") for k in keys)


def test_dupes_and_merge_through_the_cli(run):
    run("add", "Katarzyna Nowak", "--email", "kasia@acme.example", "--org", "Acme", "--interest", "chess",
        "--note", "met at PyCon")
    run("add", "Katarzyna Nowac", "--email", "k.nowak@acme.example", "--phone", "+48 600 100 200",
        "--org", "Acme", "--interest", "go", "--role", "recruiter", "--note", "likes tea")
    run("add", "Grace Hopper")
    pairs = json.loads(run("dupes", "--json").stdout)
    assert len(pairs) == 1
    assert pairs[0]["a"] == {"id": 1, "name": "Katarzyna Nowak"} and pairs[0]["b"]["id"] == 2
    assert pairs[0]["score"] >= 85 and pairs[0]["evidence"]
    result = run("merge", "1", "2", "--yes")
    assert result.exit_code == 0, result.output
    merged = json.loads(run("show", "1", "--json").stdout)
    assert [e["value"] for e in merged["emails"]] == ["kasia@acme.example", "k.nowak@acme.example"]
    assert [p["value"] for p in merged["phones"]] == ["+48 600 100 200"]
    assert [i["name"] for i in merged["interests"]] == ["chess", "go"]
    assert merged["notes"] == "met at PyCon\n\nlikes tea"
    assert merged["role"] == "recruiter"
    assert run("show", "2").exit_code == 1
    assert json.loads(run("dupes", "--json").stdout) == []


def test_merge_into_itself_fails(run):
    run("add", "Ada Lovelace")
    result = run("merge", "1", "ada", "--yes")
    assert result.exit_code == 2 and "itself" in result.stderr


def test_merge_drops_an_introduction_of_keep_to_itself(run):
    run("add", "Ada Lovelace")
    run("add", "Ada Lovelace (old)")
    assert run("offer", "add", "introduction", "Meet Ada", "--for", "2", "--introduce", "1").exit_code == 0
    assert run("merge", "1", "2", "--yes").exit_code == 0
    (offer,) = json.loads(run("offer", "list", "--json").stdout)
    assert offer["for"] == 1 and offer["introduce"] is None


def test_merge_cards_other_wins_or_only_fills_gaps():
    from crm.formats.card import Card, Typed, merge_cards

    base = Card(display_name="Ada", title="Engineer", uid="u1", emails=[Typed("ada@x.example")],
                extra=["PHOTO:old", "ADR:;;1 Main St;;;;"], note="met at PyCon", categories=["Chess"])
    other = Card(display_name="Ada Lovelace", title="CTO", org="Acme", uid="u2",
                 emails=[Typed("ADA@x.example"), Typed("ada@y.example")], extra=["PHOTO:new"],
                 note="likes tea", categories=["chess", "go"])
    newer = merge_cards(base, other, other_wins=True)
    assert (newer.display_name, newer.title, newer.org, newer.uid) == ("Ada Lovelace", "CTO", "Acme", "u1")
    assert [e.value for e in newer.emails] == ["ada@x.example", "ada@y.example"]
    assert newer.extra == ["ADR:;;1 Main St;;;;", "PHOTO:new"] and newer.categories == ["Chess", "go"]
    assert newer.note == "met at PyCon\n\nlikes tea"
    kept = merge_cards(base, other, other_wins=False)
    assert (kept.display_name, kept.title, kept.org) == ("Ada", "Engineer", "Acme")
    assert kept.extra == ["PHOTO:old", "ADR:;;1 Main St;;;;", "PHOTO:new"]
    assert merge_cards(base, base, other_wins=True) == base


def test_free_mail_by_provider_name_and_counter_evidence():
    from crm.identity.matching import is_free_mail, score_pair

    assert is_free_mail("gmail.com") and is_free_mail("yahoo.co.uk") and not is_free_mail("acme.example")
    same_name_two_companies = score_pair(person(1, "Ada Lovelace", "Acme"), person(2, "Ada Lovelace", "Globex"))
    assert same_name_two_companies[0] == 85 and "different organisations (acme; globex)" in same_name_two_companies[1]
    initials = score_pair(person(1, "John A. Smith", "Acme"), person(2, "John B. Smith", "Acme"))
    assert initials[0] < 85 and "different middle initials" in initials[1]
    siblings = score_pair(person(1, "Søren Andersson", "Acme", ["s@acme.example"]),
                          person(2, "Siobhán Andersson", "Acme", ["si@acme.example"]))
    assert siblings[0] < 85  # an organisation and domain only support names already alike


def test_cli_default_threshold_matches_the_library():
    from crm.cli.io import DEFAULT_DUPES_THRESHOLD
    from crm.identity.matching import DEFAULT_THRESHOLD

    assert DEFAULT_DUPES_THRESHOLD == DEFAULT_THRESHOLD
