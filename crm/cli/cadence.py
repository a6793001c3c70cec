"""Commands around the cadence engine: today, snooze, pause, resume, cadence, calendar.

`crm today` is the command people run every morning: its path imports the engine and the
snapshot loader only (no vobject, no rapidfuzz unless a CONTACT name needs fuzzy matching).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from crm.cli.base import bulk_objects, cli, echo_json, json_option, on_option, parse_on, pass_db, sender_option
from crm.errors import InvalidInput
from crm.render import clean

# Literals, not imported from crm.cadence.settings, so `crm --help` stays cheap; a test checks they agree.
DEFAULT_LIMIT = 10
DEFAULT_CALENDAR_DAYS = 14
MAX_CALENDAR_DAYS = 366
EMPTY_DATABASE_HINT = (
    "No contacts yet. Start with `crm import contacts.vcf` (vCard, or a LinkedIn/Google/Outlook CSV),"
    " `crm add \"Ada Lovelace\" --role recruiter`, or try `crm --db demo.db demo` for a sample job search."
)


@cli.command()
@on_option("Evaluate the world as of this date: later touches and events are ignored [default: today].")
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, metavar="N", type=click.IntRange(min=0),
              help="Show at most N suggestions (0: only say how many are due).")
@click.option("--drafts", is_flag=True, help="Show a message draft under each suggestion (JSON: a \"draft\" key).")
@sender_option
@json_option
@pass_db
def today(app, on, limit, drafts, sender, as_json):
    """Who to nudge today, why, and with what: the suggestions due, best first.

    Briefings before tomorrow's interviews (prepare), thank-yous, feedback requests, status
    checks, connects, congratulations, value offers and check-ins, at most one per contact,
    never needy (docs/cadence.md has every rule).

    Example: crm today --on 2026-03-09 --limit 5 --drafts
    """
    from crm.cadence.engine import suggest_first
    from crm.cadence.snapshot import load_snapshot

    day = parse_on(app, on)
    with bulk_objects():
        snapshot = load_snapshot(day)
        shown, due = suggest_first(snapshot, day, limit)
    _warn_skipped(snapshot)
    texts = _drafts(shown, day, sender) if drafts else {}
    if as_json:
        echo_json([{**s.to_json(), **({"draft": texts[s.key]} if drafts else {})} for s in shown])
        return
    if not due:
        from crm.store.models import Contact

        if Contact.select().exists():
            click.echo(f"Nothing due on {day.isoformat()}.", err=True)
        else:
            click.echo(EMPTY_DATABASE_HINT, err=True)
        return
    from crm.render import pad, width

    rows = [(s, clean(s.contact.name + (f" ({s.contact.org})" if s.contact.org else "")),
             f"[{_lateness(s.overdue_days)}]") for s in shown]
    who_width = max((width(who) for _s, who, _late in rows), default=0)  # --limit 0: no rows
    late_width = max((len(late) for _s, _who, late in rows), default=0)
    for s, who, late in rows:
        click.echo(f"{s.action:<16}  {pad(who, who_width)}  {late:<{late_width}}  {clean(s.reason)}")
        if drafts:
            click.echo("\n".join("    " + line for line in clean(texts[s.key], keep_newlines=True).split("\n")))
            click.echo()
    more = due - len(shown)
    if more:
        click.echo(f"{more} more due (crm today --limit {due} shows all).")


def _drafts(shown, day, sender) -> dict:
    from crm.cli.everyday import user_template_dir
    from crm.views.drafts import suggestion_drafts

    return suggestion_drafts(shown, day, sender=sender, user_dir=user_template_dir())


def _lateness(days: int) -> str:
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} overdue"


@cli.command()
@click.argument("contact")
@click.option("--until", metavar="DATE", help="Suggest nothing for them before this date.")
@click.option("--days", type=int, metavar="N", help="Suggest nothing for N days, counted from --on.")
@on_option("The day --days counts from [default: today].")
@pass_db
def snooze(app, contact, until, days, on):
    """Suggest nothing for a contact until a date (their suggestions come back on that day).

    Example: crm snooze "ada lovelace" --days 14
    """
    from datetime import timedelta

    from crm.store.contacts import resolve_contact
    from crm.dates import parse_date
    from crm.cadence.snapshot import set_snooze

    if (until is None) == (days is None):
        raise InvalidInput("give either --until DATE or --days N")
    start = parse_on(app, on)
    if days is not None:
        if days <= 0:
            raise InvalidInput(f"--days must be a positive number, not {days}")
        end = start + timedelta(days=days)
    else:
        end = parse_date(until, app.today)
    found = resolve_contact(contact)
    set_snooze(found.id, end, app.now_iso)
    click.echo(f"Snoozed {clean(found.display_name)} (#{found.id}): nothing suggested before {end.isoformat()}.",
               err=True)


@cli.command()
@click.argument("contact")
@pass_db
def pause(app, contact):
    """Never suggest anything for a contact, until `crm resume`.

    Example: crm pause "ada lovelace"
    """
    _set_paused(app, contact, True)


@cli.command()
@click.argument("contact")
@on_option("The day they come back; a keep-warm touch overdue by then is spread from it [default: today].")
@pass_db
def resume(app, contact, on):
    """Undo `crm pause` (and any snooze): the contact gets suggestions again.

    Example: crm resume "ada lovelace"
    """
    _set_paused(app, contact, False, parse_on(app, on))


def _set_paused(app, contact: str, paused: bool, on=None) -> None:
    from crm.store.contacts import resolve_contact
    from crm.cadence.snapshot import set_keep_warm_since, set_paused, set_snooze

    found = resolve_contact(contact)
    set_paused(found.id, paused, app.now_iso)
    if paused:
        click.echo(f"Paused {clean(found.display_name)} (#{found.id}): no suggestions until `crm resume`.", err=True)
    else:
        set_snooze(found.id, None, app.now_iso)
        set_keep_warm_since(found.id, on or app.today, app.now_iso)  # rule 10: no wall after a pause
        click.echo(f"Resumed {clean(found.display_name)} (#{found.id}).", err=True)


@cli.command()
@click.argument("contact")
@click.argument("days", type=int, required=False)
@click.option("--clear", is_flag=True, help="Drop the contact's own interval: back to its role's default.")
@on_option("The day the next suggested touch is looked for from [default: today].")
@json_option
@pass_db
def cadence(app, contact, days, clear, on, as_json):
    """Set how often to keep in touch with a contact, in days (without DAYS: show it).

    A contact with its own interval is on keep-warm whatever its role.

    Example: crm cadence "ada lovelace" 30
    """
    from crm.cadence.snapshot import set_cadence
    from crm.store.contacts import resolve_contact

    if days is not None and clear:
        raise InvalidInput("give DAYS or --clear, not both")
    if days is not None and days <= 0:
        raise InvalidInput(f"DAYS must be a positive number, not {days}")
    found = resolve_contact(contact)
    name = f"{clean(found.display_name)} (#{found.id})"
    if days is not None or clear:
        set_cadence(found.id, days, app.now_iso)
        found.cadence_days = days
    from crm.views.profile import keep_warm_state, next_touch

    state = keep_warm_state(found)
    interval, source = state["interval_days"], state["source"]
    upcoming_touch = next_touch(found, parse_on(app, on))
    if as_json:
        echo_json({
            "contact": {"id": found.id, "name": found.display_name},
            "role": found.role,
            **{key: state[key] for key in ("cadence_days", "interval_days", "source", "paused", "snoozed_until")},
            "next": upcoming_touch,
        })
        return
    if source == "own":
        text = f"{name}: keep in touch every {interval} days (own interval)."
    elif source == "role":
        text = f"{name}: keep in touch every {interval} days ({found.role} default)."
    else:
        text = f"{name}: not on keep-warm (role {found.role}); set an interval with `crm cadence CONTACT DAYS`."
    click.echo(text)
    if days is not None or clear:
        return
    if state["paused"]:
        click.echo("  paused: nothing is suggested until `crm resume`.")
    if state["snoozed_until"]:
        click.echo(f"  snoozed: nothing is suggested before {state['snoozed_until']}.")
    if upcoming_touch is not None:
        click.echo(f"  next: {clean(upcoming_touch['summary'])}")


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write to FILE (atomically, readable by you only) [default: standard output].")
@click.option("--days", default=DEFAULT_CALENDAR_DAYS, show_default=True, metavar="N",
              type=click.IntRange(min=1, max=MAX_CALENDAR_DAYS), help="How many days ahead, from --on.")
@on_option("The first day [default: today].")
@pass_db
def calendar(app, output, days, on):
    """Write the coming suggestions as an iCalendar file (one all-day event each).

    Each suggestion appears on the first day it comes up, assuming nothing new is logged;
    importing a newer file updates the events instead of adding copies.

    Example: crm calendar -o ~/follow-ups.ics --days 30
    """
    from datetime import timedelta

    from crm.cadence.engine import upcoming
    from crm.views.calendar import calendar_bytes
    from crm.cadence.snapshot import load_snapshot

    start = parse_on(app, on)
    with bulk_objects():
        snapshot = load_snapshot(start, start + timedelta(days=days - 1))
        plan = upcoming(snapshot, start, days)
    _warn_skipped(snapshot)
    data = calendar_bytes(plan, app.now.astimezone())
    if output is None or str(output) == "-":
        text = data.decode("utf-8")
        if sys.stdout.isatty():  # shown rather than piped: escape what a terminal would act on
            text = clean(text.replace("\r\n", "\n"), keep_newlines=True)
        click.echo(text, nl=False)
        return
    from crm.files import atomic_write
    from crm.store.backup import check_export_target

    check_export_target(output, app.db_path)
    atomic_write(output, [data])
    click.echo(f"Wrote {len(plan)} suggestion{'s' if len(plan) != 1 else ''} over {days} days to {output}.",
               err=True)


def _warn_skipped(snapshot) -> None:
    """Rows the engine could not use: said once, on stderr, so the rest still works."""
    if snapshot.skipped:
        click.echo(f"Warning: skipped {len(snapshot.skipped)} record(s) with values crm cannot use "
                   f"(first: {clean(snapshot.skipped[0])}); run crm check.", err=True)
