"""Commands for the log, interview processes, value offers and the network around you:
log, history, unlog, interview, outcome, applications, offer add/list, intros, org.

KIND, CHANNEL and RESULT are checked by the library (one clear line naming the choices and the
likely one), not by click.Choice, whose usage errors take three lines.
"""
from __future__ import annotations

import click

from crm.cli.base import cli, echo_json, json_option, parse_on, pass_db
from crm.render import clean, table

# Kept here as literals (not imported) so `crm --help` never imports the library modules.
TOUCH_KINDS = (
    "thank-you", "status-check", "check-in", "value-offer", "congratulate", "introduction",
    "feedback-request", "connect", "meeting", "call", "message", "note",
    "intro-consent", "courtesy-note", "withdrawal",
)
CHANNELS = ("email", "linkedin", "phone", "video", "in-person", "handwritten", "other")
RESULTS = ("offer", "hired", "rejected", "withdrawn", "closed")
OFFER_KINDS = ("article", "introduction", "congratulation", "event", "resource")


def _completer(choices: tuple[str, ...]):
    def complete(ctx, param, incomplete):
        return [c for c in choices if c.startswith(incomplete.lower())]

    return complete


def _when(app, value: str | None, default: str) -> str:
    from crm.dates import parse_when

    return default if value is None else parse_when(value, app.today)


def parse_day(when: str):
    from datetime import date

    return date.fromisoformat(when[:10])


def _reply_by(app, value: str | None):
    from crm.dates import parse_date

    return None if value is None else parse_date(value, app.today)


# ---- the log ----------------------------------------------------------------------------------


@cli.command()
@click.argument("contact")
@click.argument("kind", metavar="KIND", shell_complete=_completer(TOUCH_KINDS))
@click.option("--via", metavar="CHANNEL", shell_complete=_completer(CHANNELS),
              help=f"How: {', '.join(CHANNELS)}.")
@click.option("--inbound", is_flag=True,
              help="They reached you (a reply, a call from them) [default: you reached out].")
@click.option("--on", metavar="WHEN",
              help="Date or date-time (YYYY-MM-DD, YYYY-MM-DDTHH:MM, yesterday, -3d) [default: now].")
@click.option("--note", metavar="TEXT", default="", help="What was said or sent.")
@click.option("--offer", "offer_id", metavar="OFFER_ID",
              help="The offer this touch gives them (marks it given to them).")
@click.option("--application", metavar="APP", help="The application it is about (id or organisation name).")
@click.option("--reply-by", metavar="DATE",
              help="The timeline they stated in it (\"we will decide by ...\"); kept on the application"
                   " (--application, else the contact's one open application).")
@click.option("--declined", is_flag=True, help="With --inbound: they said no (to an introduction; --offer names which).")
@json_option
@pass_db
def log(app, contact, kind, via, inbound, on, note, offer_id, application, reply_by, declined, as_json):
    """Log a touch with a contact and print its id.

    KIND: thank-you, status-check, check-in, value-offer, congratulate, introduction,
    feedback-request, connect, meeting, call, message, note, intro-consent, courtesy-note,
    withdrawal. A back-dated entry (--on) counts from its own date everywhere.

    Example: crm log priya message --inbound --on 2026-03-25 --reply-by 2026-04-08 --note "decision by 8 Apr"
    """
    from crm.store.contacts import resolve_contact
    from crm.store.touchpoints import CHANNELS as channels, KINDS, choose, log_touch, resolve_offer

    kind = choose(kind, KINDS, "kind")
    via = choose(via, channels, "channel") if via is not None else None
    when = _when(app, on, app.now.strftime("%Y-%m-%dT%H:%M"))
    found = resolve_contact(contact)
    offer = resolve_offer(offer_id) if offer_id is not None else None
    if application is not None:
        from crm.store.applications import resolve_application

        application = resolve_application(application)
    reply = _reply_by(app, reply_by)
    if reply is not None:
        from crm.store.applications import open_application_of, record_timeline
        from crm.store.models import database

        timeline_of = application or open_application_of(found)
        with database.atomic():  # the touch and the timeline it states, together
            touch = log_touch(found, kind, when, now=app.now_iso, via=via, inbound=inbound, note=note,
                              offer=offer, application=application, declined=declined)
            record_timeline(timeline_of, parse_day(when), reply, now=app.now_iso, contact=found, touch_id=touch.id)
    else:
        touch = log_touch(found, kind, when, now=app.now_iso, via=via, inbound=inbound, note=note, offer=offer,
                          application=application, declined=declined)
    if as_json:
        echo_json({"id": touch.id})
    else:
        click.echo(touch.id)
    direction = "from" if inbound else "with"
    click.echo(f"Logged {kind} {direction} {clean(found.display_name)} (#{found.id}) on {when}.", err=True)
    if reply is not None:
        click.echo(f"Timeline: {clean(timeline_of.organisation.name)} reply by {reply.isoformat()}"
                   f" (application #{timeline_of.id}); no status check before then.", err=True)


@cli.command()
@click.argument("contact")
@json_option
@pass_db
def history(app, contact, as_json):
    """Show a contact's log, oldest first.

    Example: crm history ada --json
    """
    from crm.store.contacts import resolve_contact
    from crm.store.touchpoints import history as touch_history

    found = resolve_contact(contact)
    touches = touch_history(found.id)
    if as_json:
        echo_json(touches)
        return
    if not touches:
        click.echo(f"No touches with {clean(found.display_name)} yet.", err=True)
        return
    click.echo(
        table(
            ["ID", "ON", "KIND", "VIA", "DIR", "REF", "NOTE"],
            [
                [t["id"], t["on"], t["kind"], t["via"] or "", t["direction"],
                 " ".join(r for r in (f"offer #{t['offer']}" if t["offer"] else "",
                                      f"app #{t['application']}" if t["application"] else "") if r),
                 t["note"] or ""]
                for t in touches
            ],
        )
    )


@cli.command()
@click.argument("touch_id", metavar="TOUCH_ID")
@pass_db
def unlog(app, touch_id):
    """Remove a mistaken entry from the log.

    Example: crm unlog 42
    """
    from crm.store.touchpoints import parse_id, unlog as remove

    number = parse_id(touch_id, "a touchpoint id")
    removed = remove(number)
    click.echo(
        f"Removed #{removed['id']}: {removed['kind']} on {removed['on']} with "
        f"{clean(removed['contact']['name'])} (#{removed['contact']['id']}).",
        err=True,
    )


# ---- interview processes ------------------------------------------------------------------------


@cli.command()
@click.argument("contacts", metavar="CONTACT...", nargs=-1, required=True)
@click.option("--org", required=True, metavar="ORG", help="The organisation (created if new).")
@click.option("--position", required=True, metavar="TITLE", help="The position applied for.")
@click.option("--on", metavar="WHEN", help="Date or date-time of the round [default: today].")
@click.option("--reply-by", metavar="DATE", help="When they said they would get back to you.")
@click.option("--recruiter", metavar="CONTACT", help="The recruiter running the process.")
@json_option
@pass_db
def interview(app, contacts, org, position, on, reply_by, recruiter, as_json):
    """Record an interview round with one or more interviewers; print the application id.

    The first round for ORG + TITLE creates the application; later rounds reuse it. Interviewers
    with no role become interviewers (and get ORG if they have no organisation); the recruiter
    with no role becomes a recruiter. A round on the same --on as an earlier one is that round.

    Example: crm interview bjorn elodie --org "Acme Robotics" --position "Platform Engineer" --on 2026-03-05T10:00
    """
    from crm.store.applications import record_interview
    from crm.store.contacts import resolve_contact

    when = _when(app, on, app.today.isoformat())
    reply = _reply_by(app, reply_by)
    people = [resolve_contact(c) for c in contacts]
    recruiter_contact = resolve_contact(recruiter) if recruiter is not None else None
    recorded = record_interview(people, org, position, when, now=app.now_iso, reply_by=reply,
                                recruiter=recruiter_contact)
    if as_json:
        echo_json({"application": recorded.application_id, "round": recorded.round_number})
    else:
        click.echo(recorded.application_id)
    made = "new application" if recorded.created_application else "application"
    click.echo(f"Round {recorded.round_number} of {made} #{recorded.application_id} on {when}.", err=True)
    if when[:10] > app.today.isoformat():
        click.echo(f"The day before, `crm today` suggests preparing: crm brief {recorded.application_id}", err=True)
    elif reply_by is None:
        # After the round: "ask about the next steps" has an answer to record.
        click.echo("Did they say when you will hear back? Record it: crm log CONTACT KIND --reply-by DATE", err=True)


@cli.command()
@click.argument("org", metavar="ORG")
@click.argument("result", metavar="RESULT", required=False, shell_complete=_completer(RESULTS))
@click.option("--application", "application_id", metavar="ID", help="The application to change, by id"
              " (also a closed one); ORG may then be left out.")
@click.option("--on", metavar="DATE", help="When you heard [default: today].")
@click.option("--note", metavar="TEXT", default="", help="What they said.")
@pass_db
def outcome(app, org, result, application_id, on, note):
    """Record how an application ended: offer, hired, rejected, withdrawn or closed.

    ORG is the organisation's name, exact after folding case, accents and legal forms ("acme
    robotics inc" is "Acme Robotics"), and the outcome goes to its one open application. A near
    name is never enough, and a closed application changes only when picked by id (ORG as
    `#ID`, or --application ID).

    Example: crm outcome "acme robotics" rejected --on 2026-03-16 --note "went with an internal candidate"
    """
    from crm.errors import InvalidInput
    from crm.store.applications import RESULTS as results, describe, open_application_at, resolve_application, set_outcome
    from crm.store.touchpoints import choose
    from crm.text import org_key

    if application_id is not None and result is None:
        org, result = None, org  # crm outcome --application 3 hired
    if result is None:
        raise InvalidInput("a result is needed: " + ", ".join(results))
    result = choose(result, results, "result")
    day = parse_on(app, on)
    if application_id is not None:
        if not application_id.lstrip("#").isdecimal():
            raise InvalidInput(f"--application takes an application id (see `crm applications`), not {application_id!r}")
        found = resolve_application(application_id)
        if org is not None and not org.lstrip("#").isdecimal() and org_key(org) != org_key(found.organisation.name):
            raise InvalidInput(f"application #{found.id} is at {found.organisation.name}, not {org!r}")
    elif org.lstrip("#").isdecimal():
        found = resolve_application(org)
    else:
        found = open_application_at(org)
    set_outcome(found, result, day, note)
    click.echo(f"{clean(describe(found))}: {result} on {day.isoformat()}.", err=True)


@cli.command()
@click.option("--open", "open_only", is_flag=True, help="Only applications still open (no outcome, or an offer).")
@json_option
@pass_db
def applications(app, open_only, as_json):
    """List applications with their stage, rounds, people and dates.

    Stage: applied (no rounds yet), interviewing (rounds, no outcome), or the outcome.

    Example: crm applications --open
    """
    from crm.store.applications import application_rows, contact_names

    rows = application_rows(open_only=open_only)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No applications.", err=True)
        return
    names = contact_names(
        [i for r in rows for rnd in r["rounds"] for i in rnd["interviewers"]]
        + [r["recruiter"] for r in rows if r["recruiter"]]
    )

    def people(row: dict) -> str:
        seen = dict.fromkeys(i for rnd in row["rounds"] for i in rnd["interviewers"])
        listed = [names.get(i, f"#{i}") for i in seen]
        if row["recruiter"]:
            listed.append(f"{names.get(row['recruiter'], '#' + str(row['recruiter']))} (recruiter)")
        return ", ".join(listed)

    def dates(row: dict) -> str:
        if row["outcome"]:
            return f"{row['outcome']} {row['outcome_on']}"
        last = row["rounds"][-1]["on"] if row["rounds"] else ""
        return f"last {last}" + (f", reply by {row['reply_by']}" if row["reply_by"] else "")

    click.echo(
        table(
            ["ID", "ORG", "POSITION", "STAGE", "ROUNDS", "PEOPLE", "DATES"],
            [[r["id"], r["org"], r["position"], r["stage"], len(r["rounds"]), people(r), dates(r)] for r in rows],
        )
    )


# ---- value offers ------------------------------------------------------------------------------


@cli.group()
def offer():
    """Things of value you can give: articles, introductions, congratulations, events, resources.

    Example: crm offer add article "Rust async in practice" --url https://example.com/a --interest rust
    """


@offer.command(name="add")
@click.argument("kind", metavar="KIND", shell_complete=_completer(OFFER_KINDS))
@click.argument("title")
@click.option("--url", default="", metavar="URL", help="Where it is.")
@click.option("--interest", "interests", multiple=True, metavar="I", help="An interest it fits (repeatable).")
@click.option("--for", "for_contact", metavar="CONTACT",
              help="Meant for this one contact [default: anyone sharing an interest].")
@click.option("--introduce", metavar="CONTACT", help="For an introduction: the person you would introduce them to.")
@click.option("--on", metavar="DATE", help="When you found it or can offer it [default: today].")
@json_option
@pass_db
def offer_add(app, kind, title, url, interests, for_contact, introduce, on, as_json):
    """Add a value offer and print its id.

    KIND: article, introduction, congratulation, event, resource. Without --for, it fits anyone
    sharing one of its interests; give it with `crm log CONTACT value-offer --offer ID`.

    Example: crm offer add introduction "Meet Omar (chess, climbing)" --for "Chiamaka Okafor" --introduce "Omar Haddad"
    """
    from crm.store.contacts import resolve_contact
    from crm.store.offers import KINDS, add_offer
    from crm.store.touchpoints import choose

    kind = choose(kind, KINDS, "offer kind")
    day = parse_on(app, on)
    meant_for = resolve_contact(for_contact) if for_contact is not None else None
    other = resolve_contact(introduce) if introduce is not None else None
    created = add_offer(kind, title, on=day, now=app.moment(day), url=url, interests=interests,
                        for_contact=meant_for, introduce=other)
    if as_json:
        echo_json({"id": created.id})
    else:
        click.echo(created.id)
    if meant_for is None and not interests:
        click.echo("Note: a general offer with no --interest fits nobody in particular.", err=True)


@offer.command(name="list")
@click.option("--lapsed", is_flag=True, help="Only offers gone stale by --on (a congratulation after 30 days,"
                                             " an article after 180): no longer suggested.")
@click.option("--on", metavar="DATE", help="The day --lapsed is judged on [default: today].")
@json_option
@pass_db
def offer_list(app, lapsed, on, as_json):
    """List offers and to whom each has been given.

    Example: crm offer list --lapsed --on 2026-06-01 --json
    """
    from datetime import date, timedelta

    from crm.cadence.settings import OFFER_LAPSE_DAYS
    from crm.store.applications import contact_names
    from crm.store.offers import offer_rows

    day = parse_on(app, on)
    rows = offer_rows()
    for row in rows:
        days = OFFER_LAPSE_DAYS.get(row["kind"])
        row["lapses_on"] = (date.fromisoformat(row["on"][:10]) + timedelta(days=days)).isoformat() if days else None
    if lapsed:
        rows = [r for r in rows if r["lapses_on"] is not None and r["lapses_on"] <= day.isoformat()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No lapsed offers." if lapsed else "No offers.", err=True)
        return
    names = contact_names([r["for"] for r in rows if r["for"]] + [r["introduce"] for r in rows if r["introduce"]])

    def fits(row: dict) -> str:
        if row["for"]:
            text = names.get(row["for"], f"#{row['for']}")
            if row["introduce"]:
                text += f" -> {names.get(row['introduce'], '#' + str(row['introduce']))}"
            return text
        return ", ".join(row["interests"]) or "-"

    click.echo(
        table(
            ["ID", "ON", "KIND", "TITLE", "FOR / INTERESTS", "GIVEN TO"],
            [[r["id"], r["on"], r["kind"], r["title"], fits(r), ", ".join(g["name"] for g in r["given_to"])]
             for r in rows],
        )
    )


# ---- the network -------------------------------------------------------------------------------


@cli.command()
@click.option("--limit", default=20, show_default=True, metavar="N", type=click.IntRange(min=1),
              help="Show at most N pairs.")
@json_option
@pass_db
def intros(app, limit, as_json):
    """Suggest introductions: pairs who share interests and have no known link yet.

    A known link: the same organisation, the same application, or an introduction already
    naming both. Best first: most shared interests, then the rarest.

    Example: crm intros --limit 5
    """
    from crm.store.graph import intro_candidates, intro_rows

    rows = intro_rows(intro_candidates(limit))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No introductions to suggest.", err=True)
        return

    def who(person: dict) -> str:
        return f"{person['name']} (#{person['id']}{', ' + person['org'] if person['org'] else ''})"

    click.echo(table(["A", "B", "SHARED INTERESTS"], [[who(r["a"]), who(r["b"]), ", ".join(r["shared_interests"])]
                                                      for r in rows]))
    first = rows[0]
    click.echo(
        f'\nOffer one with: crm offer add introduction "..." --for {first["a"]["id"]} --introduce {first["b"]["id"]}',
        err=True,
    )


@cli.command()
@click.argument("org", metavar="ORG")
@json_option
@pass_db
def org(app, org, as_json):
    """Show who you know at an organisation, in what role, and when you last spoke.

    ORG is matched like a contact name: exact (case, accents and legal forms ignored), else
    every word a word's start, else a clear best match.

    Example: crm org "acme robotics"
    """
    from crm.store.graph import org_view
    from crm.store.resolve import resolve_org

    view = org_view(resolve_org(org))
    if as_json:
        echo_json(view)
        return
    click.echo(f"{clean(view['name'])}  (org #{view['id']})")
    if view["people"]:
        rows = []
        for p in view["people"]:
            spoke = max(filter(None, (p["last_touch"], p["last_interview"])), default="")
            rows.append([p["id"], p["name"] + ("" if p["works_here"] else " (elsewhere)"), p["title"] or "",
                         p["role"], spoke[:10]])
        click.echo(table(["ID", "NAME", "TITLE", "ROLE", "LAST SPOKE"], rows))
    else:
        click.echo("Nobody you know works here yet.")
    for a in view["applications"]:
        click.echo(f"application #{a['id']}: {clean(a['position'])} ({a['stage']})")
