"""Commands that protect the data: backup, restore, check."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from crm.cli.base import cli, echo_json, json_option, pass_app
from crm.render import clean

# How many problems of one kind the text report lists before summarising the rest.
SHOWN_PER_CHECK = 20


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@pass_app
def backup(app, path, as_json):
    """Copy the database to PATH (a file, or a folder to get a dated file in it).

    Uses SQLite's online backup, so it is safe while another crm command is writing. The copy
    is readable by you only and is written to a temporary file first, so an interrupted backup
    never replaces a good one. An existing PATH is overwritten only if it is a crm database.

    Example: crm backup ~/Backups/
    """
    from crm.store.backup import backup_database, backup_target

    result = backup_database(app.db_path, backup_target(path, app.now_iso))
    if as_json:
        echo_json({
            "path": str(result.path),
            "bytes": result.size,
            "schema_version": result.schema_version,
            "contacts": result.contacts,
            "integrity_errors": list(result.integrity_errors),
        })
    else:
        click.echo(f"Backed up {result.contacts} contact(s) to {clean(result.path)} ({result.size:,} bytes).")
    if result.integrity_errors:
        click.echo(
            f"Warning: the database fails SQLite's integrity check ({clean(result.integrity_errors[0])}); "
            "the backup is a faithful copy of a damaged database. Run crm check.",
            err=True,
        )
        sys.exit(1)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@pass_app
def restore(app, path, as_json):
    """Replace the database with the backup at PATH, keeping the current one as a copy.

    PATH must be a crm database that passes SQLite's integrity check, with a schema this crm
    knows; anything else is refused and nothing changes. The current database is saved next
    to itself as crm.db.pre-restore-DATE.bak first. A backup of an older schema is upgraded by
    the next command.

    Example: crm restore ~/Backups/crm-2026-01-31T09-00-00.db
    """
    from crm.store.backup import restore_database

    app.sweep_leftovers()  # a killed restore's staged copy, even beside a file too damaged to open
    result = restore_database(app.db_path, path, app.now_iso)
    if as_json:
        echo_json({
            "restored_from": str(result.source),
            "database": str(result.database),
            "kept": str(result.kept) if result.kept else None,
            "schema_version": result.schema_version,
            "contacts": result.contacts,
        })
        return
    click.echo(f"Restored {result.contacts} contact(s) from {clean(result.source)} into {clean(result.database)}.")
    if result.kept:
        click.echo(f"The database it replaced is kept as {clean(result.kept)}.", err=True)


@cli.command()
@click.option("--repair", is_flag=True,
              help="Fix what can be fixed without losing anything (search keys, normalised forms, "
                   "text that is not UTF-8, numbers stored as text, leftover temporary files), then check again.")
@json_option
@pass_app
def check(app, repair, as_json):
    """Check the database for damage and inconsistencies; exit 1 if there are any.

    Runs SQLite's integrity and foreign-key checks, then looks for what should never be: contacts
    without a name, emails stored under the wrong normalised form, touchpoints dated in an
    impossible format, applications without an organisation, interview rounds without
    interviewers, values a hand edit left (binary names, text that is not UTF-8, a cadence
    out of range), temporary files of an interrupted run, and more. It reports in plain words
    and changes nothing unless --repair is given (except that, like every command, it upgrades
    an older schema first, keeping a copy).

    Example: crm check --repair --json
    """
    from crm.store.check import check_database
    from crm.store.check import repair as repair_database

    def opened():
        return app.open_db(sweep=False).connection()

    report = check_database(app.db_path, opened)
    repaired = []
    if repair and report.problems and report.counts is not None:
        repaired = repair_database(opened(), report) if report.schema_version is not None else []
        report = check_database(app.db_path, opened)
        report.repaired = repaired
    if as_json:
        echo_json(report.as_json())
    else:
        if repair:
            click.echo(f"Repaired {len(repaired)} problem(s)" + (":" if repaired else "."))
            for problem in repaired[:SHOWN_PER_CHECK]:
                click.echo(f"  {clean(problem.message)}")
            if len(repaired) > SHOWN_PER_CHECK:
                click.echo(f"  ... and {len(repaired) - SHOWN_PER_CHECK} more (--json lists them all)")
        _print_report(report)
    if not report.ok:
        sys.exit(1)


def _print_report(report) -> None:
    from crm.store.check import CHECKS

    if report.counts:
        counted = ", ".join(f"{n} {table.replace('_', ' ')}(s)" for table, n in report.counts.items())
        click.echo(f"Checked {clean(report.database)} (schema v{report.schema_version}): {counted}.")
    else:
        click.echo(f"Checked {clean(report.database)}.")
    if report.ok:
        click.echo("No problems found: integrity check ok, foreign keys ok, data consistent.")
        return
    click.echo(f"{len(report.problems)} problem(s):")
    for code, title in CHECKS.items():
        found = [p for p in report.problems if p.check == code]
        if not found:
            continue
        click.echo(f"\n{title[0].upper()}{title[1:]} ({len(found)}):")
        for problem in found[:SHOWN_PER_CHECK]:
            click.echo(f"  {clean(problem.message)}")
        if len(found) > SHOWN_PER_CHECK:
            click.echo(f"  ... and {len(found) - SHOWN_PER_CHECK} more (crm check --json lists them all)")
