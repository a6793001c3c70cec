"""Commands for the everyday loop around `crm today`: draft (a message for a suggestion) and
review (the week in numbers)."""
from __future__ import annotations

import os
from typing import Callable

import click

from crm.cli.base import cli, echo_json, json_option, on_option, parse_on, pass_db, positive
from crm.errors import InvalidInput
from crm.render import clean, table

# Kept here as a literal (not imported) so `crm --help` never imports the library modules;
# tests/test_drafts.py holds it equal to crm.cadence.settings.ACTIONS.
DRAFT_ACTIONS = ("thank-you", "feedback-request", "status-check", "connect", "congratulate", "value-offer", "check-in")


def sender_option(func: Callable) -> Callable:
    """`--from NAME` (env CRM_NAME): the name a draft is signed with. Shared with `crm today --drafts`."""
    return click.option(
        "--from", "sender", metavar="NAME", envvar="CRM_NAME",
        help="Sign drafts with this name [env: CRM_NAME; default: no signature line].",
    )(func)


def user_template_dir():
    """The folder whose <action>.txt files override the shipped templates (reads the environment)."""
    from crm.views.drafts import template_dir

    return template_dir(os.environ)


def _complete_action(ctx, param, incomplete):
    return [a for a in DRAFT_ACTIONS if a.startswith(incomplete.lower())]


@cli.command()
@click.argument("contact", required=False)
@click.option("--action", metavar="ACTION", shell_complete=_complete_action,
              help=f"Draft this instead of the suggested one: {', '.join(DRAFT_ACTIONS)}.")
@on_option("Draft as of this date (YYYY-MM-DD, today, yesterday, -Nd) [default: today].")
@sender_option
@click.option("--list-templates", is_flag=True, help="Show each action's template file and whether it is yours.")
@json_option
@pass_db
def draft(app, contact, action, on, sender, list_templates, as_json):
    """Draft a short, polite message for the touch `crm today` suggests for CONTACT.

    Without --action, drafts the suggestion due for CONTACT on --on (and fails when there is
    none); with --action, drafts that action from what the database knows: their latest
    application, the offer that fits them best, the interests you share. The draft goes to
    stdout; why it was suggested, to stderr. Templates can be overridden: see --list-templates.

    Example: crm draft "bjorn lindqvist" --on 2026-03-06 --from "Sam Doe"
    """
    from crm.views.drafts import list_templates as templates

    user_dir = user_template_dir()
    if list_templates:
        _show_templates(templates(user_dir), user_dir, as_json)
        return
    if contact is None:
        raise InvalidInput("a contact is needed (an id, an email address or a name), or --list-templates")
    if action is not None:
        from crm.store.touchpoints import choose

        action = choose(action, DRAFT_ACTIONS, "action")
    day = parse_on(app, on)
    from crm.store.contacts import resolve_contact
    from crm.views.drafts import draft_for_contact, find_template, log_command

    found = resolve_contact(contact)
    drafted = draft_for_contact(found, action, day, sender=sender, user_dir=user_dir)
    suggestion, action, facts, text = drafted.suggestion, drafted.action, drafted.facts, drafted.text
    template = find_template(action, user_dir)
    if as_json:
        echo_json({
            "contact": {"id": found.id, "name": found.display_name},
            "action": action,
            "on": day.isoformat(),
            "suggested": suggestion is not None,
            "reason": suggestion.reason if suggestion is not None else None,
            "template": str(template.path),
            "overridden": template.overridden,
            "text": text,
        })
        return
    click.echo(clean(text, keep_newlines=True))
    why = f": {suggestion.reason}" if suggestion is not None else ""
    click.echo(f"-- {action} for {clean(found.display_name)} (#{found.id}){clean(why)}", err=True)
    if action == "connect":
        from crm.views.drafts import LINKEDIN_NOTE_LIMIT

        if len(text) > LINKEDIN_NOTE_LIMIT:
            click.echo(f"Note: {len(text)} characters; LinkedIn allows {LINKEDIN_NOTE_LIMIT} in a connection note.",
                       err=True)
    click.echo(f"-- once sent: {log_command(found.id, action, facts, day if day != app.today else None)}", err=True)


def _show_templates(found, user_dir, as_json) -> None:
    if as_json:
        echo_json({
            "directory": str(user_dir),
            "templates": [{"action": t.action, "file": str(t.path), "overridden": t.overridden} for t in found],
        })
        return
    click.echo(table(["ACTION", "OVERRIDDEN", "FILE"], [[t.action, "yes" if t.overridden else "no", str(t.path)]
                                                       for t in found]))
    click.echo(f"\nTo override one, put <action>.txt in {clean(str(user_dir))}", err=True)


@cli.command()
@click.option("--weeks", default=8, show_default=True, metavar="N", type=int, help="How many weeks to look back.")
@on_option("The last day of the last week (YYYY-MM-DD, today, yesterday, -Nd) [default: today].")
@json_option
@pass_db
def review(app, weeks, on, as_json):
    """Review your last weeks in numbers: touches, replies, offers given, who is going cold, applications.

    Weeks end on --on (the last one is the 7 days ending that day); nothing dated after it counts.

    Example: crm review --weeks 4 --on 2026-03-29 --json
    """
    from crm.views.review import MAX_WEEKS, format_review, review as weekly_review

    positive("--weeks", weeks)
    if weeks > MAX_WEEKS:
        raise InvalidInput(f"--weeks goes up to {MAX_WEEKS} (ten years), not {weeks}")
    day = parse_on(app, on)
    report = weekly_review(day, weeks)
    if as_json:
        echo_json(report)
    else:
        click.echo(format_review(report))
