"""docs/cli.md, generated from the commands' own --help so the two cannot drift.

    python -m crm.cli.reference > docs/cli.md

tests/test_cli_reference.py fails when docs/cli.md is out of date.
"""
from __future__ import annotations

import click

HEADER = """# CLI reference

Generated from `crm --help` and each command's `--help` by `python -m crm.cli.reference > docs/cli.md`;
a test fails when this file is out of date. Exit codes: 0 success, 1 the operation failed (nothing
matched, ambiguous name, broken file), 2 bad input (usage, unparsable date, unknown kind), 70 a bug in crm.
"""


def _walk(command: click.Command, ctx: click.Context, path: list[str]):
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from _walk(sub, _context(sub, name, ctx), path + [name])


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as click would build it (the command's own settings), at a fixed width, so the
    text does not depend on the terminal it is generated in."""
    settings = {**command.context_settings, "max_content_width": 100, "terminal_width": 100}
    return click.Context(command, info_name=name, parent=parent, **settings)


def render_reference() -> str:
    from crm.cli import cli

    root = _context(cli, "crm", None)
    parts = [HEADER]
    for path, command, ctx in _walk(cli, root, []):
        title = " ".join(["crm", *path])
        parts.append(f"\n## `{title}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    click.echo(render_reference(), nl=False)
