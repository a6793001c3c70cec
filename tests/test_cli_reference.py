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


def test_the_command_table_is_the_commands():
    """crm.cli.COMMANDS lets `crm --help` and each command start without importing the others:
    it must name every command, its module and its summary exactly."""
    import subprocess
    import sys

    from crm.cli import COMMANDS

    assert sorted(COMMANDS) == sorted(cli.commands)
    for name, (module, summary) in COMMANDS.items():
        command = cli.commands[name]
        assert command.callback.__module__ == f"crm.cli.{module}", name
        for limit in (30, 45, 60, 80, 120):
            assert click.Command(name, help=summary).get_short_help_str(limit) == command.get_short_help_str(limit), name
    probe = ("import sys; sys.argv = ['crm', '--help']\nfrom crm.cli import main\ntry:\n    main()\n"
             "except SystemExit:\n    pass\n"
             "sys.stderr.write(','.join(sorted(m for m in sys.modules if m.startswith('crm.cli.'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stderr == "crm.cli.base"  # --help imported no command module
    assert "today" in out.stdout and "Who to nudge today" in out.stdout
