"""Commands around an interview round: brief (the day before) and me (your pitch, which
thank-you drafts state in one sentence)."""
from __future__ import annotations

import click

from crm.cli.base import cli, json_option, on_option, parse_on, pass_db


@cli.command()
@click.argument("application", metavar="[APPLICATION|ORG]", required=False)
@on_option("Brief as of this date: its next round on or after it [default: today].")
@json_option
@pass_db
def brief(app, application, on, as_json):
    """Brief yourself before an interview round: the people, the position, the timeline, what to ask.

    The round is the application's next one on or after --on (else its latest); without
    APPLICATION, the soonest round to come. For each person: title, role, how you know them,
    shared interests, the last touches and notes; then what earlier rounds covered, the
    timeline known so far, and the questions to ask at the end, next steps and timeline first.

    Example: crm brief "acme robotics" --on 2026-03-04
    """
    from crm.cli.everyday import _print_brief
    from crm.views.brief import upcoming_round

    day = parse_on(app, on)
    if application is None:
        application_id = upcoming_round(day)
    else:
        from crm.store.applications import resolve_application

        application_id = resolve_application(application).id
    _print_brief(application_id, day, as_json)
