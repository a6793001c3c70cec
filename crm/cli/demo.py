"""`crm demo`: a small job search to try everything on."""
from __future__ import annotations

import click

from crm.cli.base import cli, echo_json, json_option, on_option, parse_on, pass_db


@cli.command()
@on_option("Date the job search around this day [default: today].")
@click.option("--force", is_flag=True, help="Rebuild a database that holds only an earlier demo.")
@json_option
@pass_db
def demo(app, on, force, as_json):
    """Fill an empty database with a small, realistic job search, then try `crm today`.

    Three applications (one whose stated timeline has just passed, one rejected yesterday, one
    with an interview tomorrow), a recruiter, interviewers, thank-yous and connects already
    logged, inbound replies, a mentor to keep warm and an article that matches her interests,
    and an introduction waiting for consent. Every date is relative to --on. A database that
    holds your own contacts is refused: use a new file.

    Example: crm --db demo.db demo && crm --db demo.db today
    """
    from crm.store.demo import build_demo

    day = parse_on(app, on)
    summary = build_demo(day, now=app.moment(day), rebuild=force)
    if as_json:
        echo_json(summary.as_json())
        return
    click.echo(
        f"Wrote a demo job search around {day.isoformat()} into {app.db_path}: {summary.contacts} contacts,"
        f" {summary.applications} applications, {summary.touches} touches, {summary.offers} offers.",
        err=True,
    )
    click.echo("Next: crm today" + ("" if on is None else f" --on {day.isoformat()}"), err=True)
