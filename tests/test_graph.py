"""crm intros, crm org and the `crm show` neighbourhood; the intro ranking against brute force."""
from __future__ import annotations

import json
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import examples


def add(run, *args) -> int:
    result = run("add", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def intros(run, *args) -> list[dict]:
    result = run("intros", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pairs(run, *args) -> list[tuple[str, str, list[str]]]:
    return [(r["a"]["name"], r["b"]["name"], r["shared_interests"]) for r in intros(run, *args)]


# ---- intros -------------------------------------------------------------------------------------


def test_intros_rank_by_shared_interests_then_rarity(run):
    add(run, "Ada", "--interest", "chess", "--interest", "rust", "--interest", "go")
    add(run, "Bob", "--interest", "chess", "--interest", "rust")
    add(run, "Cy", "--interest", "go", "--org", "Initech")
    add(run, "Di", "--interest", "chess")
    add(run, "Ed", "--interest", "sailing", "--interest", "chess")
    add(run, "Flo", "--interest", "sailing")
    assert intros(run)[0] == {
        "a": {"id": 1, "name": "Ada", "org": None}, "b": {"id": 2, "name": "Bob", "org": None},
        "shared_interests": ["chess", "rust"],
    }
    # sailing (2 people) is rarer than go (2) ties, chess (4 people) comes last
    assert pairs(run) == [
        ("Ada", "Bob", ["chess", "rust"]),
        ("Ada", "Cy", ["go"]),
        ("Ed", "Flo", ["sailing"]),
        ("Ada", "Di", ["chess"]),
        ("Ada", "Ed", ["chess"]),
        ("Bob", "Di", ["chess"]),
        ("Bob", "Ed", ["chess"]),
        ("Di", "Ed", ["chess"]),
    ]
    assert len(intros(run, "--limit", "3")) == 3
    text = run("intros", "--limit", "1")
    assert "Ada (#1)" in text.stdout and "Bob (#2)" in text.stdout and "chess, rust" in text.stdout
    assert "crm offer add introduction" in text.stderr


def test_known_links_are_never_suggested(run):
    for name in ("Ada", "Bob", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"):
        add(run, name, "--interest", "chess")
    run("edit", "ada", "--org", "Acme")
    run("edit", "bob", "--org", "ACME")  # same organisation
    run("interview", "cy", "--org", "Initech", "--position", "SRE", "--recruiter", "di", "--on", "2026-03-01")
    run("edit", "cy", "--org", "")  # still linked: the same application
    run("offer", "add", "introduction", "Meet Flo", "--for", "ed", "--introduce", "flo")
    oid = run("offer", "add", "introduction", "Meet Hal", "--introduce", "hal").stdout.strip()
    run("log", "gus", "introduction", "--offer", oid, "--on", "2026-03-02")  # told Gus about Hal
    suggested = {frozenset((a, b)) for a, b, _ in pairs(run, "--limit", "100")}
    for linked in (("Ada", "Bob"), ("Cy", "Di"), ("Ed", "Flo"), ("Gus", "Hal")):
        assert frozenset(linked) not in suggested, linked
    assert frozenset(("Ada", "Cy")) in suggested
    assert len(suggested) == 28 - 4


def test_no_intros_says_so(run):
    add(run, "Ada", "--interest", "chess")
    result = run("intros")
    assert result.exit_code == 0 and result.stderr == "No introductions to suggest.\n"
    assert intros(run) == []
    assert run("intros", "--limit", "0").exit_code == 2


def test_big_groups_stay_within_the_pair_budget(run, monkeypatch):
    import crm.store.graph

    monkeypatch.setattr(crm.store.graph, "PAIR_BUDGET", 10)
    for i in range(30):
        add(run, f"Person {i:02d}", "--interest", "everyone")
    add(run, "Ada", "--interest", "everyone", "--interest", "chess")
    add(run, "Bob", "--interest", "everyone", "--interest", "chess")
    found = pairs(run, "--limit", "100")
    assert found[0] == ("Ada", "Bob", ["chess", "everyone"])
    assert len(found) <= 10


# Brute force over every pair is the specification; the grouped version must agree with it.
small_networks = st.lists(
    st.tuples(st.frozensets(st.integers(0, 4), max_size=3), st.one_of(st.none(), st.integers(0, 2))),
    min_size=0, max_size=9,
)


@settings(max_examples=examples(15), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(network=small_networks, same_application=st.lists(st.integers(0, 8), max_size=3))
def test_intros_agree_with_brute_force(tmp_path, network, same_application):
    from crm.store.db import open_database
    from crm.store.graph import intro_candidates
    from crm.store.models import (
        Application,
        Contact,
        ContactInterest,
        Interest,
        InterviewRound,
        Organisation,
        RoundInterviewer,
        database,
    )

    open_database(tmp_path / "graph.db", applied_at="2026-01-01T00:00:00")
    with database.atomic():
        for model in (RoundInterviewer, InterviewRound, Application, ContactInterest, Contact, Interest, Organisation):
            model.delete().execute()
        orgs = [Organisation.create(name=f"Org {i}", name_key=f"org {i}") for i in range(3)]
        interests = [Interest.create(name=f"topic {i}", name_key=f"topic {i}") for i in range(5)]
        people = []
        for n, (tags, org) in enumerate(network):
            person = Contact.create(display_name=f"P{n}", name_key=f"p{n}", created_at="x", updated_at="x",
                                    organisation=orgs[org] if org is not None else None)
            for tag in tags:
                ContactInterest.create(contact=person, interest=interests[tag])
            people.append(person)
        on_application = [people[i] for i in sorted(set(same_application)) if i < len(people)]
        if on_application:
            application = Application.create(organisation=orgs[0], position="SRE", created_at="x")
            round_ = InterviewRound.create(application=application, number=1, on="2026-03-01")
            for person in on_application:
                RoundInterviewer.create(round=round_, contact=person)
    linked_by_application = {p.id for p in on_application} if len(on_application) > 1 else set()
    expected = []
    holders = {i: sum(1 for tags, _ in network if i in tags) for i in range(5)}
    for (i, (tags_a, org_a)), (j, (tags_b, org_b)) in combinations(enumerate(network), 2):
        shared = tags_a & tags_b
        a, b = people[i].id, people[j].id
        if not shared or (org_a is not None and org_a == org_b) or {a, b} <= linked_by_application:
            continue
        rarity = sum(1 / holders[t] for t in shared)
        expected.append(((-len(shared), -rarity, a, b), sorted(f"topic {t}" for t in shared)))
    expected.sort()
    got = intro_candidates(limit=5)
    assert [(p.a, p.b, list(p.shared)) for p in got] == [(key[2], key[3], names) for key, names in expected[:5]]


# ---- org ----------------------------------------------------------------------------------------


def test_org_shows_people_roles_and_when_you_last_spoke(run):
    add(run, "Björn Lindqvist", "--org", "Acme Robotics", "--title", "Staff Engineer")
    add(run, "Élodie Moreau", "--org", "Acme Robotics")
    add(run, "Chiamaka Okafor", "--org", "Northwind Talent")
    add(run, "Omar Haddad", "--org", "Globex")
    run("interview", "bjorn", "--org", "Acme Robotics", "--position", "SRE", "--recruiter", "chiamaka",
        "--on", "2026-03-02T10:00")
    run("log", "bjorn", "thank-you", "--on", "2026-03-02T18:00")
    run("log", "bjorn", "message", "--inbound", "--on", "2026-03-04")
    run("log", "bjorn", "note", "--on", "2026-02-01")  # back-dated: not the last
    result = run("org", "acme robotics", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "id": 1, "name": "Acme Robotics",
        "people": [
            {"id": 1, "name": "Björn Lindqvist", "title": "Staff Engineer", "role": "interviewer",
             "works_here": True, "last_touch": "2026-03-04", "last_interview": "2026-03-02T10:00"},
            {"id": 2, "name": "Élodie Moreau", "title": None, "role": "other", "works_here": True,
             "last_touch": None, "last_interview": None},
            {"id": 3, "name": "Chiamaka Okafor", "title": None, "role": "recruiter", "works_here": False,
             "last_touch": None, "last_interview": None},
        ],
        "applications": [{"id": 1, "position": "SRE", "stage": "interviewing"}],
    }
    text = run("org", "Acme Robotics").stdout
    assert "2026-03-04" in text and "Chiamaka Okafor (elsewhere)" in text and "application #1: SRE" in text


def test_org_resolves_like_a_contact(run):
    add(run, "A", "--org", "Acme Robotics")
    add(run, "B", "--org", "Acme")
    add(run, "C", "--org", "Société Générale")
    assert json.loads(run("org", "ACME", "--json").stdout)["name"] == "Acme"  # the exact name wins
    assert json.loads(run("org", "societe generale", "--json").stdout)["name"] == "Société Générale"
    assert json.loads(run("org", "Societe Generle", "--json").stdout)["name"] == "Société Générale"


@pytest.mark.parametrize(
    "query, message",
    [("acm", "Error: 'acm' matches more than one organisation. Did you mean: Acme Robotics, Acme Labs?"),
     ("zzz", "Error: no organisation matches 'zzz'"),
     (" ", "Error: an organisation is needed")],
)
def test_org_failures(run, query, message):
    add(run, "A", "--org", "Acme Robotics")
    add(run, "B", "--org", "Acme Labs")
    result = run("org", query)
    assert result.exit_code in (1, 2) and result.stderr == message + "\n"


def test_an_org_nobody_works_at(run):
    run("add", "Chiamaka", "--org", "Northwind")
    run("interview", "chiamaka", "--org", "Initech", "--position", "SRE", "--on", "2026-03-01")
    run("edit", "chiamaka", "--org", "Northwind")
    view = json.loads(run("org", "initech", "--json").stdout)
    assert [p["works_here"] for p in view["people"]] == [False]
    run("add", "Nobody", "--org", "Empty Inc")
    run("edit", "nobody", "--org", "Elsewhere")
    assert "Nobody you know works here yet." in run("org", "empty inc").stdout


# ---- show: the whole neighbourhood --------------------------------------------------------------


def test_show_has_the_whole_neighbourhood_and_the_next_touch(run):
    add(run, "Björn Lindqvist", "--org", "Acme Robotics", "--interest", "rust", "--interest", "chess")
    add(run, "Omar Haddad", "--org", "Globex", "--interest", "chess")
    add(run, "Élodie Moreau", "--org", "Acme Robotics", "--interest", "rust")
    run("interview", "bjorn", "--org", "Acme Robotics", "--position", "SRE", "--on", "2026-03-02")
    run("log", "bjorn", "thank-you", "--via", "email", "--on", "2026-03-02T18:00", "--application", "1")
    profile = json.loads(run("show", "bjorn", "--json", "--on", "2026-03-03").stdout)
    for key in ("id", "name", "org", "role", "interests", "emails", "created_at"):  # the existing keys stay
        assert key in profile
    assert profile["applications"] == [
        {"id": 1, "org": "Acme Robotics", "position": "SRE", "stage": "interviewing", "as": ["interviewer"],
         "rounds": [1]}]
    assert [t["kind"] for t in profile["history"]] == ["thank-you"]
    assert profile["introductions"] == [
        {"id": 2, "name": "Omar Haddad", "org": "Globex", "shared_interests": ["chess"]}]
    assert profile["offers_given"] == [] and profile["offers_to_give"] == []
    # Thanked already; the connect after the interview is the next touch, due the day after it.
    assert profile["next"]["action"] == "connect" and profile["next"]["on"] == "2026-03-03"
    assert profile["next"]["contact"]["id"] == 1 and profile["next"]["due"] == "2026-03-03"
    text = run("show", "bjorn", "--on", "2026-03-03").stdout
    assert "next       connect on 2026-03-03" in text
    assert "#1 Acme Robotics: SRE  interviewing  (interviewer in round 1)" in text
    assert "thank-you by email, from you [app #1]" in text
    assert "Omar Haddad (#2, Globex)  shares chess" in text


def test_show_prints_only_the_newest_touches_as_text(run):
    add(run, "Ada")
    for day in range(1, 13):
        run("log", "ada", "note", "--on", f"2026-03-{day:02d}")
    text = run("show", "ada").stdout
    assert "history (last 10 of 12; crm history for all)" in text
    assert "2026-03-01" not in text and "2026-03-12" in text
    assert len(json.loads(run("show", "ada", "--json").stdout)["history"]) == 12
