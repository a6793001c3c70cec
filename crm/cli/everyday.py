"""Commands for the everyday loop around `crm today`: draft (a message for a suggestion),
proofread (typos in what you wrote) and review (the week in numbers)."""
from __future__ import annotations

import os
import sys

import click

from crm.cli.base import cli, echo_json, json_option, on_option, parse_on, pass_db, positive, sender_option
from crm.errors import FormatError, InvalidInput
from crm.render import clean, table

# Kept here as a literal (not imported) so `crm --help` never imports the library modules;
# tests/test_drafts.py holds it equal to crm.cadence.settings.ACTIONS.
DRAFT_ACTIONS = ("thank-you", "feedback-request", "courtesy-note", "withdrawal", "status-check", "connect",
                 "introduction", "intro-consent", "congratulate", "value-offer", "check-in")


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
@click.option("--via", metavar="CHANNEL",
              help="The channel you will send it by; handwritten: a short card with their postal address under it"
                   " [default: the channel of the last touch you logged to them].")
@click.option("--check", is_flag=True, help="Check the draft for typos (CRM_LANG: en, es, de, fr, pt); exit 1 if any.")
@click.option("--list-templates", is_flag=True, help="Show each action's template file and whether it is yours.")
@json_option
@pass_db
def draft(app, contact, action, on, sender, via, check, list_templates, as_json):
    """Draft a short, polite message for the touch `crm today` suggests for CONTACT.

    Without --action, drafts the suggestion due for CONTACT on --on (and fails when there is
    none; a `prepare` suggestion prints the briefing, `crm brief`); with --action, drafts that
    action from what the database knows: their latest application, the offer that fits them
    best, the interests you share. A thank-you adds the notes you logged on the application to
    them after the round, and your pitch (`crm me --pitch`). The draft goes to stdout; why it
    was suggested, to stderr. Templates can be overridden: see --list-templates.

    Example: crm draft "bjorn lindqvist" --on 2026-03-06 --from "Sam Doe" --check
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
    if via is not None:
        from crm.store.touchpoints import CHANNELS, choose

        via = choose(via, CHANNELS, "channel")
    lang = check_language() if check else None
    day = parse_on(app, on)
    from crm.store.contacts import resolve_contact
    from crm.views.drafts import draft_for_contact, log_command

    found = resolve_contact(contact)
    drafted = draft_for_contact(found, action, day, sender=sender, user_dir=user_dir, via=via)
    suggestion, action, facts, text = drafted.suggestion, drafted.action, drafted.facts, drafted.text
    if action == "prepare":  # for you, not a message: the briefing is its draft
        _print_brief(suggestion.application.id, day, as_json)
        click.echo(f"-- prepare for {clean(found.display_name)} (#{found.id}): {clean(suggestion.reason)}", err=True)
        return
    address, template = drafted.address, drafted.template
    flags = proofread_draft(text, lang, sender) if check else []
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
            "handwritten": facts.handwritten,
            "address": list((facts.full_name, *facts.postal_address)) if facts.postal_address else None,
            "check": [f.to_json() for f in flags] if check else None,
        })
    else:
        click.echo(clean(text, keep_newlines=True))
        if address:
            click.echo("\n" + clean(address, keep_newlines=True))
        why = f": {suggestion.reason}" if suggestion is not None else ""
        click.echo(f"-- {action} for {clean(found.display_name)} (#{found.id}){clean(why)}", err=True)
        if facts.handwritten and not facts.postal_address:
            click.echo("Note: no postal address on their card (vCard ADR); add it and import the card again.", err=True)
        if action == "connect":
            from crm.views.drafts import LINKEDIN_NOTE_LIMIT

            if len(text) > LINKEDIN_NOTE_LIMIT:
                click.echo(f"Note: {len(text)} characters; LinkedIn allows {LINKEDIN_NOTE_LIMIT} in a connection note.",
                           err=True)
        click.echo(f"-- once sent: {log_command(found.id, action, facts, day if day != app.today else None)}", err=True)
    if check:
        _report_flags(flags, "draft", as_json)


def check_language() -> str:
    """The spell checker's language from CRM_LANG (en, es, de, fr, pt; default en)."""
    from crm.views.proofread import language

    return language(os.environ.get("CRM_LANG"))


def proofread_draft(text: str, lang: str, sender: str | None) -> list:
    from crm.views.proofread import personal_dictionary, proofread

    return proofread(text, lang, personal_dictionary([sender] if sender else []))


def _report_flags(flags: list, name: str, as_json: bool) -> None:
    """Each flagged word on stderr (the JSON already lists them), then exit 1 if there are any."""
    from crm.views.proofread import format_flags

    if not flags:
        if not as_json:
            click.echo("Checked: no typos found.", err=True)
        return
    if not as_json:
        click.echo(clean(format_flags(flags, name), keep_newlines=True), err=True)
        click.echo(f"{len(flags)} word{'s' if len(flags) != 1 else ''} flagged.", err=True)
    sys.exit(1)


def _print_brief(application_id: int, day, as_json: bool) -> None:
    from crm.views.brief import format_brief, load_brief

    brief = load_brief(application_id, day)
    if as_json:
        echo_json(brief)
    else:
        click.echo(clean(format_brief(brief), keep_newlines=True))


@cli.command()
@click.argument("source", metavar="FILE|-")
@click.option("--from", "sender", metavar="NAME", envvar="CRM_NAME", help="A name that is not a typo [env: CRM_NAME].")
@json_option
@pass_db
def proofread(app, source, sender, as_json):
    """Check a text you wrote (or edited from a draft) for typos; exit 1 if any word is flagged.

    The dictionary is CRM_LANG's (en, es, de, fr, pt; default en), plus your contacts' names,
    organisations, titles and interests and your applications' positions. `-` reads stdin.

    Example: crm draft bjorn > note.txt && $EDITOR note.txt && crm proofread note.txt
    """
    lang = check_language()
    name = "<stdin>" if source == "-" else source
    try:
        if source == "-":
            text = sys.stdin.buffer.read().decode("utf-8")
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise FormatError(f"cannot read {name}: {reason}") from None
    flags = proofread_draft(text, lang, sender)
    if as_json:
        echo_json([f.to_json() for f in flags])
    _report_flags(flags, name, as_json)


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
