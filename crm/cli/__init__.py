"""The `crm` command line: a thin click skin over the library.

Each module in this package adds its commands to the root group `cli` (defined in
`crm.cli.base`) by decorating them with `@cli.command()`. Importing a command module must stay
cheap: vobject and rapidfuzz are imported inside the commands that need them.
"""
from __future__ import annotations

from crm.cli.base import cli

# Command modules register themselves on import.
from crm.cli import contacts as _contacts  # noqa: F401,E402
from crm.cli import io as _io  # noqa: F401,E402

for _optional in ("touch", "cadence", "safety", "everyday"):
    try:
        __import__(f"crm.cli.{_optional}")
    except ModuleNotFoundError as _exc:  # modules still being written; only our own may be missing
        if _exc.name != f"crm.cli.{_optional}":
            raise


from crm.cli.base import attach_contact_completion  # noqa: E402

attach_contact_completion(cli)


def main() -> None:
    cli(prog_name="crm")


__all__ = ["cli", "main"]
