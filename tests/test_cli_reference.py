"""docs/cli.md is generated from --help; it must be current, and every command has an example."""
from __future__ import annotations

from pathlib import Path

import click

from crm.cli import cli
from crm.cli.reference import render_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_docs_cli_md_is_current():
    assert DOC.read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is out of date: run `python -m crm.cli.reference > docs/cli.md`"
    )


def _commands(group: click.Group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


def test_every_command_has_a_one_line_summary_and_an_example():
    for path, command in _commands(cli):
        text = command.help or ""
        assert text.strip() and text.strip().splitlines()[0].endswith("."), path
        if not isinstance(command, click.Group) or command.invoke_without_command:
            assert "Example:" in text, path
