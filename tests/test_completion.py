"""Shell completion (click's own mechanism): commands, options, contact names, kinds."""
from __future__ import annotations

from click.testing import CliRunner

from crm.cli import cli


def complete(words: str, shell: str = "bash") -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    if shell == "fish":  # fish passes the word being completed itself
        cword = "" if words.endswith(" ") else words.split()[-1]
    result = CliRunner().invoke(
        cli, [], prog_name="crm",
        env={"_CRM_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)},
    )
    if shell == "zsh":  # type, value, help: one per line
        lines = result.output.splitlines()
        return [lines[i + 1] for i in range(0, len(lines) - 2, 3)]
    if shell == "fish":
        return [line.split(",", 1)[1] for line in result.output.splitlines()]
    return [line.split(",", 1)[1] for line in result.output.splitlines() if "," in line]


def test_completes_commands_and_options(run):
    assert {"import", "export"} <= set(complete("crm ex")) | set(complete("crm im"))
    assert "--interest" in complete("crm list --int")


def test_completes_contact_names_accent_insensitively(run):
    run("add", "Zoë Ødegård")
    run("add", "Ada Lovelace")
    assert complete("crm show zo") == ["'Zoë Ødegård'"]  # bash inserts it as it is: quoted
    assert complete("crm show love") == ["'Ada Lovelace'"]  # any word of the name
    assert complete("crm merge ada ") == ["'Ada Lovelace'", "'Zoë Ødegård'"]


def test_zsh_and_fish_get_the_plain_name_they_escape_themselves(run):
    run("add", "Björn O'Neil")
    assert complete("crm show bj", "zsh") == ["Björn O'Neil"]  # compadd quotes what it inserts
    assert complete("crm show bj", "fish") == ["Björn O'Neil"]  # fish escapes completions


def test_completion_never_creates_a_database(private_database):
    assert complete("crm show a") == []
    assert not private_database.exists()


def test_completes_roles():
    assert "recruiter" in complete("crm list --role rec")
