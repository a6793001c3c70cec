"""The `crm` command line: a thin click skin over the library.

Each module in this package adds its commands to the root group `cli` (defined in
`crm.cli.base`) by decorating them with `@cli.command()`. Importing a command module must stay
cheap: vobject and rapidfuzz are imported inside the commands that need them.
"""
from __future__ import annotations

from crm.cli.base import cli

# Command modules register themselves on import.
from crm.cli import cadence as _cadence  # noqa: E402,F401
from crm.cli import contacts as _contacts  # noqa: E402,F401
from crm.cli import demo as _demo  # noqa: E402,F401
from crm.cli import everyday as _everyday  # noqa: E402,F401
from crm.cli import interviews as _interviews  # noqa: E402,F401
from crm.cli import io as _io  # noqa: E402,F401
from crm.cli import mail as _mail  # noqa: E402,F401
from crm.cli import me as _me  # noqa: E402,F401
from crm.cli import safety as _safety  # noqa: E402,F401
from crm.cli import sync as _sync  # noqa: E402,F401
from crm.cli import touch as _touch  # noqa: E402,F401
from crm.cli.base import attach_contact_completion  # noqa: E402

attach_contact_completion(cli)


def main() -> None:
    cli(prog_name="crm")


__all__ = ["cli", "main"]
