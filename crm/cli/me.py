"""`crm me`: what crm knows about you: your own addresses and your pitch."""
from __future__ import annotations

import click

from crm.cli.base import cli, echo_json, json_option, pass_db
from crm.errors import InvalidInput
from crm.render import clean


@cli.command()
@click.argument("addresses", metavar="[ADDRESS]...", nargs=-1)
@click.option("--remove", "removed", multiple=True, metavar="ADDRESS", help="Forget one of your addresses (repeatable).")
@click.option("--pitch", metavar="TEXT",
              help='What you bring, in one sentence ("" clears it); thank-you drafts state it, never invent it.')
@click.option("--application", metavar="APP",
              help="Give --pitch to this application only (an id or organisation name); it wins over yours.")
@json_option
@pass_db
def me(app, addresses, removed, pitch, application, as_json):
    """Store or list what crm knows about you: your email addresses and your pitch.

    Mail from one of your ADDRESSes is outbound (`crm mail import` needs at least one); the
    pitch is what thank-you drafts say you bring. Without arguments, lists both.

    Example: crm me sam@home.example --pitch "eight years building schedulers in Rust and Go"
    """
    from crm.store.mail import add_own_addresses, own_addresses, remove_own_addresses
    from crm.store.me import application_pitches, my_pitch, set_application_pitch, set_my_pitch

    if application is not None and pitch is None:
        raise InvalidInput("--application goes with --pitch TEXT")
    changed = bool(addresses or removed or pitch is not None)
    added = add_own_addresses(addresses, app.now_iso) if addresses else []
    gone = remove_own_addresses(removed) if removed else 0
    if addresses or removed:
        click.echo(f"Added {len(added)}, removed {gone}; {len(own_addresses())} address(es) are yours.", err=True)
    if pitch is not None:
        if application is not None:
            from crm.store.applications import describe, resolve_application

            found = resolve_application(application)
            stored = set_application_pitch(found, pitch)
            click.echo(f"{clean(describe(found))}: pitch {'set' if stored else 'cleared'}.", err=True)
        else:
            stored = set_my_pitch(pitch, app.now_iso)
            click.echo(f"Your pitch is {'set' if stored else 'cleared'}.", err=True)
    listed, mine, theirs = own_addresses(), my_pitch(), application_pitches()
    if as_json:
        echo_json({"addresses": listed, "pitch": mine or None, "applications": theirs})
        return
    if changed:
        return
    for address in listed:
        click.echo(clean(address))
    if not listed:
        click.echo("No addresses yet: crm me you@example.com", err=True)
    if mine:
        click.echo(f"pitch  {clean(mine)}")
    else:
        click.echo("No pitch yet: crm me --pitch TEXT", err=True)
    for row in theirs:
        click.echo(f"  #{row['id']} {clean(row['org'])}: {clean(row['position'])}  {clean(row['pitch'])}")
