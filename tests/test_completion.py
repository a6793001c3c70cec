"""Shell completion (click's own mechanism): commands, options, contact names, kinds."""
from __future__ import annotations

from click.testing import CliRunner

from crm.cli import cli


def complete(words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    result = CliRunner().invoke(
        cli, [], prog_name="crm",
        env={"_CRM_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)},
    )
    return [line.split(",", 1)[1] for line in result.output.splitlines() if "," in line]


def test_completes_commands_and_options(run):
    assert {"import", "export"} <= set(complete("crm ex")) | set(complete("crm im"))
    assert "--interest" in complete("crm list --int")


def test_completes_contact_names_accent_insensitively(run):
    run("add", "Zoë Ødegård")
    run("add", "Ada Lovelace")
    assert complete("crm show zo") == ["Zoë Ødegård"]
    assert complete("crm show love") == ["Ada Lovelace"]  # any word of the name
    assert complete("crm merge ada ") == ["Ada Lovelace", "Zoë Ødegård"]


def test_completion_never_creates_a_database(private_database):
    assert complete("crm show a") == []
    assert not private_database.exists()


def test_completes_roles():
    assert "recruiter" in complete("crm list --role rec")
