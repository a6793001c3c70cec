"""add, list, show, edit, tag, untag, rm through the CLI, including the failure paths."""
from __future__ import annotations

import json


def add(run, *args) -> int:
    result = run("add", *args)
    assert result.exit_code == 0, result.output
    return int(result.stdout.strip())


def count_contacts(run) -> int:
    return len(json.loads(run("list", "--json").stdout))


def test_add_prints_id_and_list_json_has_the_documented_shape(run):
    cid = add(run, "Ada Lovelace", "--email", "ada@example.com", "--phone", "+44 20 7946 0000",
              "--org", "Acme", "--title", "Recruiter", "--role", "recruiter", "--interest", "chess")
    assert run("add", "Grace Hopper", "--json").stdout.strip() == '{\n  "id": 2,\n  "namesakes": []\n}'
    rows = json.loads(run("list", "--json").stdout)
    assert rows[0] == {
        "id": cid, "name": "Ada Lovelace", "emails": ["ada@example.com"], "phones": ["+44 20 7946 0000"],
        "org": "Acme", "title": "Recruiter", "role": "recruiter", "interests": ["chess"],
    }
    assert rows[1]["role"] == "other" and rows[1]["org"] is None


def test_list_filters_by_role_interest_and_org(run):
    add(run, "Ada Lovelace", "--org", "Acme", "--role", "recruiter", "--interest", "Chess")
    add(run, "Grace Hopper", "--org", "Navy", "--interest", "cobol")
    names = lambda *a: [r["name"] for r in json.loads(run("list", "--json", *a).stdout)]  # noqa: E731
    assert names("--role", "recruiter") == ["Ada Lovelace"]
    assert names("--interest", "chess") == ["Ada Lovelace"]
    assert names("--org", "navy") == ["Grace Hopper"]
    assert run("list", "--org", "nowhere").exit_code == 1  # an unknown organisation is an error, not "no contacts"


def test_contact_resolves_by_id_email_exact_and_fuzzy_name(run):
    add(run, "Zoë Ødegård", "--email", "Zoe@Example.com")
    add(run, "Grace Hopper")
    for query in ("1", "zoe@example.com", "zoe odegard", "ZOË ØDEGÅRD", "Zoe Odegard", "Zoe Odegrd"):
        shown = json.loads(run("show", query, "--json").stdout)
        assert shown["name"] == "Zoë Ødegård", query


def test_unknown_contact_fails_with_one_line_and_candidates(run):
    add(run, "Jon Ng")
    add(run, "John Smith")
    result = run("show", "Jonathan Ngozi-Smithers")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: no contact matches")
    assert "Traceback" not in result.output


def test_ambiguous_name_lists_the_candidates(run):
    add(run, "Ada Lovelace")
    add(run, "Ada Byron")
    result = run("show", "ada")
    assert result.exit_code == 1
    assert "Ada Lovelace (#1)" in result.stderr and "Ada Byron (#2)" in result.stderr
    same = run("add", "Ada Lovelace")
    assert same.exit_code == 0
    result = run("show", "Ada Lovelace")
    assert result.exit_code == 1 and "2 contacts are called" in result.stderr


def test_unknown_id_and_email(run):
    assert run("show", "99").exit_code == 1
    result = run("show", "nobody@example.com")
    assert result.exit_code == 1 and "no contact has the email" in result.stderr


def test_edit_changes_fields_and_adds_methods(run):
    add(run, "Ada Lovelace", "--email", "ada@example.com", "--role", "recruiter")
    result = run("edit", "ada", "--title", "Head of Talent", "--email", "ada@newco.example", "--org", "NewCo")
    assert result.exit_code == 0, result.output
    shown = json.loads(run("show", "1", "--json").stdout)
    assert shown["title"] == "Head of Talent" and shown["org"] == "NewCo" and shown["role"] == "recruiter"
    assert [e["value"] for e in shown["emails"]] == ["ada@example.com", "ada@newco.example"]
    run("edit", "1", "--name", "Ada King", "--role", "other")
    shown = json.loads(run("show", "1", "--json").stdout)
    assert shown["name"] == "Ada King" and shown["role"] == "other"


def test_bad_input_writes_nothing(run):
    add(run, "Ada Lovelace")
    for args in (["add", "  "], ["add", "X", "--email", "not-an-email"], ["add", "X", "--phone", "abc"],
                 ["add", "X", "--role", "boss"], ["add", "X", "--on", "2026-13-01"]):
        result = run(*args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output
    assert count_contacts(run) == 1


def test_tag_and_untag_with_a_note(run):
    add(run, "Ada Lovelace")
    assert run("tag", "ada", "chess", "Machine Learning", "--note", "mentioned at the interview").exit_code == 0
    shown = json.loads(run("show", "ada", "--json").stdout)
    assert shown["interests"] == [
        {"name": "chess", "note": "mentioned at the interview"},
        {"name": "Machine Learning", "note": "mentioned at the interview"},
    ]
    run("untag", "ada", "CHESS")
    assert [i["name"] for i in json.loads(run("show", "ada", "--json").stdout)["interests"]] == ["Machine Learning"]


def test_rm_asks_unless_yes(run):
    add(run, "Ada Lovelace")
    refused = run("rm", "ada", input="n\n")
    assert refused.exit_code != 0 and count_contacts(run) == 1
    assert run("rm", "ada", input="y\n").exit_code == 0
    assert count_contacts(run) == 0
    add(run, "Grace Hopper")
    assert run("rm", "grace", "--yes").exit_code == 0 and count_contacts(run) == 0


def test_terminal_output_escapes_control_characters(run):
    add(run, "Evil\x1b[2J Name", "--note", "bell\x07")
    table = run("list").stdout
    assert "\x1b" not in table and "\\x1b[2J" in table
    shown = run("show", "1").stdout
    assert "\x07" not in shown and "\x1b" not in shown
    assert json.loads(run("list", "--json").stdout)[0]["name"] == "Evil\x1b[2J Name"


def test_python_dash_m_and_help_have_examples(run):
    result = run("--help")
    assert result.exit_code == 0 and "Example:" in result.stdout
    for name in ("add", "list", "show", "edit", "tag", "rm", "import", "export", "dupes", "merge"):
        assert "Example:" in run(name, "--help").stdout, name


def test_large_books_narrow_fuzzy_candidates_by_word_prefix(run, monkeypatch):
    import crm.store.contacts

    add(run, "Zoë Ødegård")
    add(run, "Grace Hopper")
    monkeypatch.setattr(crm.store.contacts, "FULL_SCAN_LIMIT", 0)
    assert json.loads(run("show", "Zoe Odegrd", "--json").stdout)["name"] == "Zoë Ødegård"
    assert json.loads(run("show", "hoper grace", "--json").stdout)["name"] == "Grace Hopper"
    assert run("show", "Xavier").exit_code == 1


def test_plain_crm_shows_help_and_touches_no_database(run, private_database):
    result = run()
    assert result.exit_code == 0 and "Usage: " in result.stdout and "today" in result.stdout
    assert not private_database.exists()
