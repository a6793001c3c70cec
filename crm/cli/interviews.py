"""Commands around an interview round: brief (the day before) and me (your pitch, which
thank-you drafts state in one sentence)."""
from __future__ import annotations

import click

from crm.cli.base import cli, echo_json, json_option, on_option, parse_on, pass_db
from crm.render import clean


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


@cli.command()
@click.option("--pitch", metavar="TEXT",
              help='What you bring, in one sentence ("" clears it); thank-you drafts state it, never invent it.')
@click.option("--application", metavar="APP",
              help="Give --pitch to this application only (an id or organisation name); it wins over yours.")
@json_option
@pass_db
def me(app, pitch, application, as_json):
    """Facts about you that drafts use: your pitch, yours and per application; without options, list them.

    Example: crm me --pitch "eight years building schedulers and build systems in Rust and Go"
    """
    from crm.errors import InvalidInput
    from crm.store.me import application_pitches, my_pitch, set_application_pitch, set_my_pitch

    if application is not None and pitch is None:
        raise InvalidInput("--application goes with --pitch TEXT")
    if pitch is not None:
        if application is not None:
            from crm.store.applications import describe, resolve_application

            found = resolve_application(application)
            stored = set_application_pitch(found, pitch)
            click.echo(f"{clean(describe(found))}: pitch {'set' if stored else 'cleared'}.", err=True)
        else:
            stored = set_my_pitch(pitch, app.now_iso)
            click.echo(f"Your pitch is {'set' if stored else 'cleared'}.", err=True)
        if not as_json:
            return
    mine, theirs = my_pitch(), application_pitches()
    if as_json:
        echo_json({"pitch": mine or None, "applications": theirs})
        return
    click.echo(f"pitch  {clean(mine)}" if mine else "pitch  (none: crm me --pitch TEXT)")
    for row in theirs:
        click.echo(f"  #{row['id']} {clean(row['org'])}: {clean(row['position'])}  {clean(row['pitch'])}")
