"""Commands over single contacts: add, list, show, edit, tag, untag, rm."""
from __future__ import annotations

from typing import Callable

import click

from crm.formats.card import ROLES
from crm.cli.base import cli, echo_json, echo_streamed, json_option, on_option, paged, parse_on, pass_db
from crm.errors import InvalidInput
from crm.render import clean, table


def contact_options(func: Callable) -> Callable:
    """The field options shared by `add` and `edit`."""
    options = [
        click.option("--email", "emails", multiple=True, metavar="E", help="Email address (repeatable)."),
        click.option("--phone", "phones", multiple=True, metavar="P", help="Phone number (repeatable)."),
        click.option("--org", metavar="ORG", help="Organisation."),
        click.option("--title", metavar="T", help="Job title."),
        click.option("--role", type=click.Choice(ROLES, case_sensitive=False), help="Their role in your search."),
        click.option("--interest", "interests", multiple=True, metavar="I", help="Interest tag (repeatable)."),
        click.option("--url", "urls", multiple=True, metavar="URL", help="Web or profile URL (repeatable)."),
        click.option("--note", metavar="TEXT", help="Free-form note."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _changes(name, emails, phones, org, title, role, interests, urls, note):
    from crm.store.contacts import ContactChanges

    return ContactChanges(
        name=name, emails=list(emails), phones=list(phones), urls=list(urls), interests=list(interests),
        org=org, title=title, role=role, note=note,
    )


@cli.command()
@click.argument("name")
@contact_options
@on_option("Date the contact was added (used to spread first keep-warm dates) [default: today].")
@json_option
@pass_db
def add(app, name, emails, phones, org, title, role, interests, urls, note, on, as_json):
    """Add a contact and print its id.

    Example: crm add "Ada Lovelace" --email ada@example.com --org Acme --role recruiter --interest chess
    """
    from crm.store.contacts import card_from_changes, create_contact, namesakes

    card = card_from_changes(_changes(name, emails, phones, org, title, role, interests, urls, note), region=app.region)
    contact = create_contact(card, app.moment(parse_on(app, on)), app.region)
    others = namesakes(contact)
    if others:  # two people may share a name: added, but say so, with both ids
        listed = ", ".join(f"#{i}" for i in others)
        click.echo(f"Warning: {clean(contact.display_name)} (#{contact.id}) has the same name as {listed};"
                   f" look them up by id or email.", err=True)
    if as_json:
        echo_json({"id": contact.id, "namesakes": others})
    else:
        click.echo(contact.id)


@cli.command(name="list")
@click.option("--role", type=click.Choice(ROLES, case_sensitive=False), help="Only contacts with this role.")
@click.option("--interest", metavar="I", help="Only contacts tagged with this interest.")
@click.option("--org", metavar="O", help="Only contacts at this organisation.")
@json_option
@pass_db
def list_(app, role, interest, org, as_json):
    """List contacts, optionally filtered.

    On a terminal the table goes through a pager (see `crm --no-pager`).

    Example: crm list --role recruiter --json
    """
    from crm.render import json_records, table_lines
    from crm.store.contacts import iter_contact_json, iter_contact_rows

    if as_json:
        echo_streamed(json_records(iter_contact_json(role=role, interest=interest, org=org)))
        return
    rows = iter_contact_rows(role=role, interest=interest, org=org)
    import sys

    lines = table_lines(
        ["ID", "NAME", "ORG", "ROLE", "EMAIL", "INTERESTS"],
        ([r["id"], r["name"], r["org"] or "", r["role"], (r["emails"] or [""])[0], ", ".join(r["interests"])]
         for r in rows),
        # On a terminal the first screen comes at once, its columns sized by the first rows;
        # into a file or a pipe the columns fit every row, as they always did.
        sample=1000 if sys.stdout.isatty() else None,
    )
    first = next(lines, None)
    if first is None:
        click.echo("No contacts.", err=True)
        return
    with paged(app) as write:
        write(first)
        for line in lines:
            write(line)


@cli.command()
@click.argument("contact")
@on_option("Show the contact as of this date (its next suggested touch counts from it) [default: today].")
@json_option
@pass_db
def show(app, contact, on, as_json):
    """Show one contact and everything around it.

    CONTACT is an id, an email address, or a name: exact, else every word a word's start, else
    one clear fuzzy match (accent-insensitive).

    Example: crm show "ada lovelace"
    """
    from crm.store.contacts import resolve_contact
    from crm.views.profile import contact_profile, format_profile

    found = resolve_contact(contact)
    profile = contact_profile(found, parse_on(app, on))
    if as_json:
        echo_json(profile)
    else:
        click.echo(format_profile(profile))


@cli.command()
@click.argument("contacts", metavar="CONTACT...", nargs=-1, required=True)
@click.option("--name", metavar="NAME", help="New display name (one contact only).")
@contact_options
@on_option("The day a role set here puts them on keep-warm (rule 10 spreads from it) [default: today].")
@pass_db
def edit(app, contacts, name, emails, phones, org, title, role, interests, urls, note, on):
    """Change contacts: set fields, add emails, phones, URLs and interests (the same to each).

    Several contacts at once set roles in bulk (`crm triage` lists the ones still `other`).

    Example: crm edit ada bjorn 7 --role peer
    """
    from crm.store.contacts import edit_contact, resolve_contact
    from crm.store.models import database

    if name is not None and len(contacts) > 1:
        raise InvalidInput("--name renames one contact; give only one CONTACT")
    found = list({c.id: c for c in (resolve_contact(text) for text in contacts)}.values())
    with database.atomic():  # all of them or none
        for each in found:
            edit_contact(each, _changes(name, emails, phones, org, title, role, interests, urls, note), app.now_iso,
                         app.region, since=parse_on(app, on))
    for each in found:
        click.echo(f"Updated {clean(each.display_name)} (#{each.id}).", err=True)


@cli.command()
@click.option("--limit", default=50, show_default=True, metavar="N", type=click.IntRange(min=1),
              help="Show at most N contacts.")
@json_option
@pass_db
def triage(app, limit, as_json):
    """List contacts still without a role (`other`), most promising first, to set roles in bulk.

    Most promising: most touches, then the latest, then those with a title and an organisation.

    Example: crm triage --limit 20
    """
    from crm.views.triage import triage_rows

    rows = triage_rows(limit)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("Every contact has a role.", err=True)
        return
    click.echo(table(["ID", "NAME", "TITLE", "ORG", "TOUCHES", "LAST"],
                     [[r["id"], r["name"], r["title"] or "", r["org"] or "", r["touches"], r["last_touch"] or ""]
                      for r in rows]))
    click.echo(f"\nSet roles with: crm edit {' '.join(str(r['id']) for r in rows[:3])} --role peer", err=True)


@cli.command()
@click.argument("contact")
@click.argument("interests", nargs=-1, required=True)
@click.option("--note", metavar="TEXT", default="", help='Where you learned it ("mentioned chess at the interview").')
@pass_db
def tag(app, contact, interests, note):
    """Tag a contact with interests.

    Example: crm tag ada chess "machine learning" --note "mentioned at the interview"
    """
    from crm.store.contacts import resolve_contact, tag_contact

    found = resolve_contact(contact)
    added = tag_contact(found, interests, note)
    click.echo(
        f"Tagged {clean(found.display_name)}: {clean(', '.join(added)) if added else 'nothing new'}.", err=True
    )


@cli.command()
@click.argument("contact")
@click.argument("interests", nargs=-1, required=True)
@pass_db
def untag(app, contact, interests):
    """Remove interest tags from a contact.

    Example: crm untag ada chess
    """
    from crm.store.contacts import resolve_contact, untag_contact

    found = resolve_contact(contact)
    removed = untag_contact(found, interests)
    click.echo(f"Removed {removed} tag(s) from {clean(found.display_name)}.", err=True)


@cli.command()
@click.argument("contact")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_db
def rm(app, contact, yes):
    """Delete a contact and its history.

    Example: crm rm 42 --yes
    """
    from crm.store.contacts import delete_contact, resolve_contact

    found = resolve_contact(contact)
    label = f"{found.display_name} (#{found.id})"
    if not yes:
        click.confirm(f"Delete {clean(label)} and all of its history?", abort=True, err=True)
    delete_contact(found)
    click.echo(f"Deleted {clean(label)}.", err=True)
