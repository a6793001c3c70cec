"""Commands for syncing with CardDAV address books and CalDAV calendars: remote, sync.

The password is read here, from CRM_REMOTE_PASSWORD_<NAME>, CRM_REMOTE_PASSWORD or a prompt;
it goes to the network client and nowhere else (never the database, never a message).
"""
from __future__ import annotations

import os
import re

import click

from crm.cli.base import cli, echo_json, json_option, on_option, parse_on, pass_db, secret
from crm.errors import InvalidInput
from crm.render import clean

KINDS = ("carddav", "caldav")  # crm.store.remotes.KINDS, kept here so --help needs no import
DEFAULT_NUDGE_DAYS = 14  # crm.sync.nudges.DEFAULT_DAYS


def password_for(name: str, user: str) -> str:
    """The remote's password: its own variable, the shared one, else a prompt (no echo).
    A remote without a user name logs in as nobody and needs none."""
    if not user:
        return ""
    own = "CRM_REMOTE_PASSWORD_" + re.sub(r"[^A-Z0-9]", "_", name.upper())
    return secret((own, "CRM_REMOTE_PASSWORD"), f"Password for {user} on {name}",
                  f"no password for remote {name!r}: set {own} or CRM_REMOTE_PASSWORD")


@cli.group()
def remote():
    """CardDAV address books and CalDAV calendars to sync with.

    Example: crm remote add phone https://dav.example.com/ --kind carddav --user ada
    """


@remote.command(name="add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", type=click.Choice(KINDS), required=True,
              help="carddav: two-way contact sync; caldav: nudges as to-dos.")
@click.option("--user", default="", help="The user name to log in with (the password is never stored).")
@pass_db
def remote_add(app, name, url, kind, user):
    """Add a remote: a server root (found through .well-known) or a collection URL.

    https:// only, except to localhost. The password comes from CRM_REMOTE_PASSWORD_<NAME>,
    CRM_REMOTE_PASSWORD or a prompt at each `crm sync`.

    Example: crm remote add nextcloud https://cloud.example.com/remote.php/dav --kind carddav --user ada
    """
    from crm.net.dav import check_url, safe_url
    from crm.store.remotes import add_remote

    found = add_remote(name, check_url(url), kind, user, app.now_iso)
    click.echo(f"Added remote {clean(found.name)} ({kind}, {clean(safe_url(found.url))}).", err=True)


@remote.command(name="list")
@json_option
@pass_db
def remote_list(app, as_json):
    """List the remotes, with how many items each syncs and when it last did.

    Example: crm remote list --json
    """
    from crm.store.remotes import all_remotes, remote_record

    records = [remote_record(r) for r in all_remotes()]
    if as_json:
        echo_json(records)
        return
    if not records:
        click.echo("No remotes (add one with `crm remote add`).", err=True)
        return
    for record in records:
        user = f" as {record['user']}" if record["user"] else ""
        when = f", last synced {record['synced_at']}" if record["synced_at"] else ", never synced"
        click.echo(clean(f"{record['name']}  {record['kind']}  {record['url']}{user}  "
                         f"{record['items']} items{when}"))


@remote.command(name="rm")
@click.argument("name")
@pass_db
def remote_rm(app, name):
    """Forget a remote and its sync state (nothing is deleted on the server or here).

    Example: crm remote rm phone
    """
    from crm.store.remotes import remove_remote

    gone = remove_remote(name)
    click.echo(f"Removed remote {clean(gone.name)}.", err=True)


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing on either side.")
@click.option("--prune", is_flag=True, help="Delete the contacts whose cards were deleted on the server (asks first).")
@click.option("--yes", "-y", is_flag=True, help="With --prune: do not ask for confirmation.")
@click.option("--days", default=DEFAULT_NUDGE_DAYS, show_default=True, type=click.IntRange(1, 366), metavar="N",
              help="CalDAV: put the suggestions of the next N days on the calendar.")
@on_option("The day the nudges start from, and completions without a date count on [default: today].")
@json_option
@pass_db
def sync(app, names, dry_run, prune, yes, days, on, as_json):
    """Sync contacts with CardDAV remotes and put nudges on CalDAV calendars.

    Two-way: changes on either side travel, a card changed on both is merged field by field
    (the local value wins a clash; the server's goes into the contact's history), a card
    deleted on the server only marks its contact. A nudge ticked on the phone is logged.

    Example: crm sync --dry-run
    """
    from datetime import datetime, timezone

    from crm.cli.everyday import user_template_dir
    from crm.net.dav import DavClient
    from crm.store.remotes import all_remotes, get_remote
    from crm.sync.cards import CardSync, prune_removed
    from crm.sync.nudges import NudgeSync

    day = parse_on(app, on)
    remotes = [get_remote(n) for n in names] if names else all_remotes()
    if not remotes:
        raise InvalidInput("no remotes to sync; add one with `crm remote add NAME URL --kind carddav`")
    reports: dict[str, list] = {"carddav": [], "caldav": []}
    for found in remotes:
        password = password_for(found.name, found.username)
        with DavClient(found.url, found.username, password, ca_file=os.environ.get("CRM_CA_FILE") or None) as client:
            if found.kind == "carddav":
                report = CardSync(found, client, now=app.now_iso, today=day, dry_run=dry_run,
                                  region=app.region).run()
            else:
                stamp = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
                report = NudgeSync(found, client, today=day, now=app.now_iso, stamp=stamp,
                                   user_dir=user_template_dir(), days=days, dry_run=dry_run).run()
        record = report.as_json()
        if prune and found.kind == "carddav" and report.removed_on_server and not dry_run:
            if not yes:
                who = ", ".join(r["name"] for r in report.removed_on_server)
                click.confirm(clean(f"Delete {len(report.removed_on_server)} contact(s) deleted on "
                                    f"{found.name}: {who}?"), abort=True, err=True)
            record["pruned"] = prune_removed(found)
            record["removed_on_server"] = []
        reports[found.kind].append(record)
    if as_json:
        echo_json({"dry_run": dry_run, "contacts": reports["carddav"], "nudges": reports["caldav"]})
        return
    for record in reports["carddav"] + reports["caldav"]:
        click.echo(clean(_summary(record, dry_run)))
        for conflict in record.get("conflicts", ()):
            click.echo(clean(f"  conflict: {conflict['contact']['name']}: {conflict['field']}: kept "
                             f"{conflict['local']!r}, server had {conflict['server']!r}"))
        for gone in record.get("removed_on_server", ()):
            click.echo(clean(f"  removed on server: {gone['name']} (#{gone['id']}, since {gone['since']});"
                             " crm sync --prune deletes it here"))
        for done in record.get("completed", ()):
            click.echo(clean(f"  logged: {done['action']} with {done['contact']['name']} on {done['on']}"))
        for skipped in record.get("skipped", ()):
            click.echo(clean(f"  skipped {skipped['href']}: {skipped['reason']}"))


def _summary(record: dict, dry_run: bool) -> str:
    lead = f"{record['remote']}: " + ("would have " if dry_run else "")
    if "pulled" in record:  # a CardDAV remote's report
        parts = [f"{record['pulled'] + record['created_local']} pulled ({record['created_local']} new)",
                 f"{record['pushed'] + record['created_remote']} pushed ({record['created_remote']} new)",
                 f"{record['merged']} merged", f"{len(record['conflicts'])} conflicts",
                 f"{record['deleted_remote']} deleted on server",
                 f"{len(record['removed_on_server'])} removed on server"]
        if record["pruned"]:
            parts.append(f"{len(record['pruned'])} pruned")
    else:
        parts = [f"{record['added']} nudges added", f"{record['updated']} updated", f"{record['removed']} removed",
                 f"{len(record['completed'])} ticked and logged"]
    return lead + ", ".join(parts) + "."
