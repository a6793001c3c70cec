"""Commands for touches that log themselves: me, mail import, invite import, relog.

The environment is read here and nowhere below: the IMAP password (CRM_IMAP_PASSWORD, else a
prompt), the local time zone (TZ, else the system's), and whether stderr is a terminal (the
progress bar).
"""
from __future__ import annotations

import os
import sys
from datetime import datetime

import click

from crm.cli.base import cli, echo_json, json_option, pass_db, secret
from crm.render import clean, table

TOUCH_KINDS = (
    "thank-you", "status-check", "check-in", "value-offer", "congratulate", "introduction",
    "feedback-request", "connect", "meeting", "call", "message", "note",
)


def local_time():
    """datetime (aware) -> the same moment in the user's time zone: TZ if it names a zone, else the system's."""
    name = os.environ.get("TZ", "").lstrip(":")
    zone = None
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None

    def convert(moment: datetime) -> datetime:
        return moment.astimezone(zone) if zone is not None else moment.astimezone()

    return convert


def own_set() -> set[str]:
    from crm.store.mail import own_addresses
    from crm.text import email_key

    return {email_key(a) for a in own_addresses()}


# ---- crm mail import ----------------------------------------------------------------------------


@cli.group()
def mail():
    """Log touches from your mail: Maildir, mbox, .eml files or an IMAP folder.

    Example: crm mail import ~/Mail/Sent ~/Mail/INBOX --dry-run
    """


class _Bar:
    """A progress bar per source on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.label: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self.label:
            self.close()
            self.label, self.done = label, 0
            self.bar = click.progressbar(length=max(total, 1), label=clean(label)[-40:], file=sys.stderr)
            self.bar.__enter__()
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _password() -> str:
    return secret(("CRM_IMAP_PASSWORD",), "IMAP password",
                  "set CRM_IMAP_PASSWORD (or run in a terminal to be asked for the password)")


@mail.command(name="import")
@click.argument("sources", metavar="SOURCE...", nargs=-1, required=True)
@click.option("--since", metavar="DATE", help="Skip messages dated before this day.")
@click.option("--dry-run", is_flag=True, help="Show what would be logged, with the kind and why; write nothing.")
@json_option
@pass_db
def mail_import(app, sources, since, dry_run, as_json):
    """Log each message with a contact as a touch (at most one per message per contact).

    SOURCE: a Maildir folder, an mbox file, .eml files, or imaps://USER@HOST[:PORT]/FOLDER (the
    password from CRM_IMAP_PASSWORD, else asked; plain imap:// only to localhost). Mail from your
    own addresses (crm me) is outbound to the contacts among its recipients; mail from a contact
    is inbound. Kinds (thank-you, status-check, message): docs/mail.md. Bodies are never stored;
    IMAP folders are read from the last UID seen, mboxes from where the last run stopped.

    Example: crm mail import ~/Mail/Sent ~/Mail/INBOX --since 2026-03-01
    """
    from crm.capture.mail import MailImport, open_sources
    from crm.dates import parse_date

    day = parse_date(since, app.today) if since is not None else None
    importer = MailImport(own=own_set(), local=local_time(), now=app.now_iso, since=day, dry_run=dry_run,
                          progress=_Bar() if sys.stderr.isatty() else None, keep_log=as_json or dry_run)
    opened = open_sources(list(sources), _password)
    try:
        summary = importer.run(opened)
    finally:
        if importer.progress is not None:
            importer.progress.close()
    if as_json:
        echo_json(summary.record(dry_run))
    elif dry_run and summary.logged:
        click.echo(table(
            ["KIND", "CONTACT", "ON", "DIR", "SUBJECT", "WHY"],
            [[t["kind"], f"{t['contact']['name']} (#{t['contact']['id']})", t["on"], t["direction"],
              (t["subject"] or "")[:50], t["why"]] for t in summary.logged],
        ))
    for warning in summary.warnings[:10]:
        click.echo(f"Warning: {clean(warning)}", err=True)
    if len(summary.warnings) > 10 or summary.more_warnings:
        click.echo(f"... {len(summary.warnings) - 10 + summary.more_warnings} more warnings (--json lists them).",
                   err=True)
    for invite in summary.invites:
        click.echo(_invite_line(invite), err=True)
    verb = "would log" if dry_run else "logged"
    click.echo(
        f"Read {summary.messages} message(s) from {len(opened)} source(s): {verb} {summary.new} touch(es),"
        f" {summary.already_logged} already logged, {summary.nobody_known} with nobody you know,"
        f" {summary.unreadable} unreadable" + (f", {summary.before_since} before --since" if day else "") + ".",
        err=True,
    )
    if summary.unknown and not as_json:
        top = sorted(summary.unknown.items(), key=lambda item: (-item[1], item[0]))[:5]
        click.echo("Unknown correspondents, most frequent: " + ", ".join(f"{clean(a)} ({n})" for a, n in top)
                   + (" (--json lists all)." if len(summary.unknown) > 5 else "."), err=True)


def _invite_line(invite: dict) -> str:
    people = ", ".join(f"{p['name']} ({p['as']}{', new' if p['created'] else ''})" for p in invite["people"])
    where = f"round {invite['round']} of application #{invite['application']}" if invite["application"] else "no round"
    text = f"Invite {invite['summary'] or invite['uid']!r}: {invite['action']}, {where}"
    if invite["on"]:
        text += f" on {invite['on']}"
    return clean(text + (f"; {people}" if people else "") + ".")


# ---- crm invite import --------------------------------------------------------------------------


@cli.group()
def invite():
    """Interview invites (.ics) into interview rounds.

    Example: crm invite import ~/Downloads/invite.ics --position "Platform Engineer"
    """


@invite.command(name="import")
@click.argument("files", metavar="FILE.ics...", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=str))
@click.option("--org", metavar="ORG", help="The organisation [default: from the people's organisation or work email].")
@click.option("--position", metavar="TITLE",
              help="The position [default: the organisation's one open application, else the invite's summary].")
@click.option("--reply-by", metavar="DATE", help="When they said they would get back to you (kept on the round).")
@json_option
@pass_db
def invite_import(app, files, org, position, reply_by, as_json):
    """Turn meeting invites into interview rounds; print the application ids.

    The round is on DTSTART's local date-time; the attendees other than you are its interviewers
    (created as contacts if new), an organiser who does not attend its recruiter. An update (same
    UID, higher SEQUENCE) moves the round; a cancel marks it cancelled (no thank-you is due);
    the same invite twice changes nothing. All files are imported in one transaction.

    Example: crm invite import invite.ics --org "Acme Robotics" --position "Platform Engineer"
    """
    from pathlib import Path

    from crm.capture.invites import import_invite
    from crm.dates import parse_date
    from crm.errors import FormatError
    from crm.formats.invite import parse_invites
    from crm.store.models import database

    reply = parse_date(reply_by, app.today) if reply_by is not None else None
    parsed = []
    for name in files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise FormatError(f"{name}: {exc.strerror}") from None
        invites = parse_invites(data, name)
        if not invites:
            raise FormatError(f"{name}: no invite in it (an event with a UID and DTSTART, METHOD REQUEST, CANCEL or PUBLISH)")
        parsed.extend(invites)
    own, local = own_set(), local_time()
    with database.atomic():
        results = [import_invite(i, own=own, local=local, now=app.now_iso, org=org, position=position,
                                 reply_by=reply).record() for i in parsed]
    if as_json:
        echo_json({"invites": results})
    else:
        for application in dict.fromkeys(r["application"] for r in results if r["application"]):
            click.echo(application)
    for result in results:
        click.echo(_invite_line(result), err=True)


# ---- crm relog ----------------------------------------------------------------------------------


@cli.command()
@click.argument("touch_id", metavar="TOUCH_ID")
@click.option("--kind", required=True, metavar="KIND", help=f"The kind it really is: {', '.join(TOUCH_KINDS)}.")
@json_option
@pass_db
def relog(app, touch_id, kind, as_json):
    """Change the kind of a logged touch (one mail import guessed wrong, say).

    Example: crm relog 42 --kind thank-you
    """
    from crm.store.touchpoints import parse_id, set_kind

    record = set_kind(parse_id(touch_id, "a touchpoint id"), kind)
    if as_json:
        echo_json(record)
    click.echo(
        f"#{record['id']} on {record['on']} with {clean(record['contact']['name'])} is now a {record['kind']}.",
        err=True,
    )
