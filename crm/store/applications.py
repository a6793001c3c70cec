"""Interview processes: applications, their rounds, the people in them, and how they ended.

An application is an organisation + a position. `crm interview` creates it on the first round
and reuses it for later rounds; `crm outcome` closes it. Functions here take rows and explicit
dates, never print, and write what belongs together in one transaction.

Stage of an application (what `crm applications` shows):
    applied       no rounds and no outcome yet
    interviewing  at least one round, no outcome yet
    offer, hired, rejected, withdrawn, closed   the outcome, once recorded
An application is *open* while it has no outcome or its outcome is `offer` (you still have
to answer it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from peewee import fn

from crm import shapes
from crm.errors import Ambiguous, InvalidInput, NotFound
from crm.store.models import (
    Application,
    Contact,
    InterviewRound,
    Organisation,
    RoundInterviewer,
    Timeline,
    database,
    id_batches,
)
from crm.store.contacts import known_since
from crm.store.resolve import resolve_org
from crm.text import fold
from crm.store.touchpoints import choose, parse_id

RESULTS = ("offer", "hired", "rejected", "withdrawn", "closed")
OPEN_OUTCOMES = (None, "offer")


def stage_of(outcome: str | None, round_count: int) -> str:
    if outcome:
        return outcome
    return "interviewing" if round_count else "applied"


def is_open(application: Application) -> bool:
    return application.outcome in OPEN_OUTCOMES


def describe(application: Application) -> str:
    return f"#{application.id} {application.organisation.name}: {application.position}"


# ---- recording -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRound:
    application_id: int
    round_number: int
    created_application: bool
    role_changes: tuple[tuple[int, str], ...]  # (contact id, new role)


def find_or_create_org(name: str) -> Organisation:
    """The organisation with this name (`crm.text.org_key`: case, accents and legal forms
    ignored), created if new: the same rule as `crm add --org` and the importer."""
    from crm.store.contacts import get_or_create_org

    organisation = get_or_create_org(name)
    if organisation is None:
        raise InvalidInput("an organisation needs a name")
    return organisation


def record_interview(
    interviewers: Sequence[Contact],
    org: str,
    position: str,
    on: str,
    *,
    now: str,
    reply_by: date | None = None,
    recruiter: Contact | None = None,
) -> RecordedRound:
    """Record an interview round, all in one transaction.

    The application for ORG + POSITION is the newest open one with that position (compared
    case- and accent-insensitively); if there is none, a new one is created. A round on the
    very same `on` as an existing round of that application is that round (interviewers are
    added to it), so re-running a command or recording interviewers one by one is harmless.
    Interviewers whose role is `other` become `interviewer`, and those with no organisation
    get ORG; a recruiter whose role is `other` becomes `recruiter` (their organisation is left
    alone: recruiters are often agency staff).
    """
    position = " ".join(position.split())
    if not position:
        raise InvalidInput("an application needs a position (--position)")
    if not interviewers:
        raise InvalidInput("an interview round needs at least one interviewer")
    role_changes: list[tuple[int, str]] = []
    with database.atomic():
        organisation = find_or_create_org(org)
        application = _open_application(organisation, position)
        created = application is None
        if created:
            application = Application.create(
                organisation=organisation, position=position, recruiter=recruiter, reply_by=reply_by,
                created_at=now,
            )
        else:
            if recruiter is not None:
                application.recruiter = recruiter
            if reply_by is not None:
                application.reply_by = reply_by
            application.save()
        round_ = (
            InterviewRound.select()
            .where((InterviewRound.application == application) & (InterviewRound.on == on))
            .first()
        )
        if round_ is None:
            last = (
                InterviewRound.select(fn.MAX(InterviewRound.number))
                .where(InterviewRound.application == application)
                .scalar()
            )
            round_ = InterviewRound.create(application=application, number=(last or 0) + 1, on=on, reply_by=reply_by)
        elif reply_by is not None:
            round_.reply_by = reply_by
            round_.save()
        if reply_by is not None:
            record_timeline(application, date.fromisoformat(on[:10]), reply_by, now=now)
        # The recruiter first: someone who is both (a recruiter's screening call) stays a recruiter.
        if recruiter is not None and _promote(recruiter.id, "recruiter", None, now):
            role_changes.append((recruiter.id, "recruiter"))
        known_since([person.id for person in interviewers] + ([recruiter.id] if recruiter else []), on)
        for person_id in dict.fromkeys(person.id for person in interviewers):
            RoundInterviewer.insert(round=round_, contact=person_id).on_conflict_ignore().execute()
            if _promote(person_id, "interviewer", organisation, now):
                role_changes.append((person_id, "interviewer"))
    return RecordedRound(application.id, round_.number, created, tuple(role_changes))


def _promote(contact_id: int, role: str, organisation: Organisation | None, now: str) -> bool:
    """Give the contact `role` if they have none ('other'), and `organisation` if they have none.

    Conditional UPDATEs rather than saving a row object: a contact named twice (recruiter and
    interviewer) must not have one change overwritten by a stale copy. True if the role changed.
    """
    changed = (
        Contact.update(role=role, updated_at=now)
        .where((Contact.id == contact_id) & (Contact.role == "other"))
        .execute()
    )
    if organisation is not None:
        Contact.update(organisation=organisation, updated_at=now).where(
            (Contact.id == contact_id) & Contact.organisation.is_null()
        ).execute()
    return bool(changed)


def _open_application(organisation: Organisation, position: str) -> Application | None:
    key = fold(position)
    for application in (
        Application.select().where(Application.organisation == organisation).order_by(Application.id.desc())
    ):
        if fold(application.position) == key:
            return application if is_open(application) else None
    return None


def set_outcome(application: Application, result: str, on: date, note: str = "") -> Application:
    """Record how an application ended (a later outcome replaces an earlier one: offer, then hired)."""
    application.outcome = choose(result, RESULTS, "result")
    application.outcome_on = on
    application.outcome_note = note.strip()
    with database.atomic():
        application.save()
    return application


# ---- timelines (m006) -----------------------------------------------------------------------


def record_timeline(application: Application, stated_on: date, reply_by: date, *, now: str,
                    contact: Contact | None = None, touch_id: int | None = None) -> Timeline:
    """Keep a timeline they stated ("we will reply by `reply_by`", said on `stated_on`); the
    latest stated governs the status check, and the application's reply-by follows the newest."""
    if reply_by < stated_on:
        raise InvalidInput(f"--reply-by {reply_by.isoformat()} is before the day it was said ({stated_on.isoformat()})")
    with database.atomic():
        timeline = Timeline.create(application=application, stated_on=stated_on, reply_by=reply_by,
                                   contact=contact, touchpoint=touch_id, created_at=now)
        latest = (Timeline.select(Timeline.reply_by).where(Timeline.application == application)
                  .order_by(Timeline.stated_on.desc(), Timeline.id.desc()).first())
        Application.update(reply_by=latest.reply_by).where(Application.id == application.id).execute()
    return timeline


def open_application_of(contact: Contact) -> Application:
    """The one open application a contact is on (recruiter or interviewer), for `crm log --reply-by`."""
    ids = {row["id"] for row in applications_of(contact.id) if row["stage"] in ("applied", "interviewing", "offer")}
    if len(ids) == 1:
        return Application.get_by_id(ids.pop())
    if not ids:
        raise NotFound(f"{contact.display_name} is on no open application; name one with --application")
    listed = ", ".join(f"#{i}" for i in sorted(ids))
    raise Ambiguous(f"{contact.display_name} is on {len(ids)} open applications ({listed}); name one with --application")


# ---- finding one application ---------------------------------------------------------------


def resolve_application(query: str, *, exact_only: bool = False) -> Application:
    """An application by id, or by its organisation's name (matched like a contact; with
    `exact_only`, the name must be the organisation's after folding).

    When the organisation has several applications, the single open one wins; otherwise the
    ids are listed.
    """
    text = query.strip()
    if not text:
        raise InvalidInput("an application is needed (an id or an organisation name)")
    if text.lstrip("#").isdecimal():  # not isdigit(): "³" is a digit int() refuses
        number = parse_id(text, "an application id")
        application = Application.get_or_none(Application.id == number)
        if application is None:
            raise NotFound(f"no application has id {number}; see `crm applications`")
        return application
    organisation = _organisation_with_applications(text, exact_only)
    applications = _applications_at(organisation)
    open_ones = [a for a in applications if is_open(a)]
    pick = open_ones or applications
    if len(pick) == 1:
        return pick[0]
    listed = ", ".join(f"{a.position} (#{a.id})" for a in pick)
    adjective = "open " if open_ones else ""
    raise Ambiguous(f"{organisation.name} has {len(pick)} {adjective}applications; use an id: {listed}")


def _organisation_with_applications(text: str, exact_only: bool) -> Organisation:
    with_applications = Application.select(Application.organisation).distinct()
    return resolve_org(text, among=with_applications, what="organisation with an application", exact_only=exact_only)


def _applications_at(organisation: Organisation) -> list[Application]:
    return list(
        Application.select(Application, Organisation)
        .join(Organisation)
        .where(Application.organisation == organisation)
        .order_by(Application.id)
    )


def open_application_at(org: str) -> Application:
    """The one open application at the organisation named exactly `org` (folded), for a command
    that changes it (`crm outcome`): a near name is never enough, and a closed application is
    never picked by name (NotFound names the closed ones and how to pick one by id)."""
    organisation = _organisation_with_applications(org.strip(), exact_only=True)
    applications = _applications_at(organisation)
    open_ones = [a for a in applications if is_open(a)]
    if len(open_ones) == 1:
        return open_ones[0]
    if open_ones:
        listed = ", ".join(f"{a.position} (#{a.id})" for a in open_ones)
        raise Ambiguous(f"{organisation.name} has {len(open_ones)} open applications; use --application ID: {listed}")
    closed = ", ".join(f"#{a.id} {a.position} ({a.outcome})" for a in applications)
    raise NotFound(f"{organisation.name} has no open application (closed: {closed});"
                   " to change one, use --application ID")


# ---- listing --------------------------------------------------------------------------------


def application_rows(*, open_only: bool = False, ids: Iterable[int] | None = None) -> list[shapes.ApplicationRow]:
    """The `crm applications --json` records, oldest application first, in a fixed number of queries."""
    conn = database.connection()
    where, params = [], []
    if open_only:
        where.append("(a.outcome IS NULL OR a.outcome = 'offer')")
    if ids is not None:
        id_list = list(ids)
        if not id_list:
            return []
        where.append(f"a.id IN ({','.join('?' * len(id_list))})")
        params += id_list
    rows = conn.execute(
        "SELECT a.id, o.name, a.position, a.recruiter_id, a.reply_by, a.outcome, a.outcome_on, a.outcome_note,"
        " a.created_at FROM application a JOIN organisation o ON o.id = a.organisation_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.id",
        params,
    ).fetchall()
    if not rows:
        return []
    wanted = [row[0] for row in rows]
    marks = ",".join("?" * len(wanted))
    rounds: dict[int, list[dict]] = {app_id: [] for app_id in wanted}
    by_round: dict[int, dict] = {}
    for round_id, app_id, number, on, reply_by, cancelled in conn.execute(
        f'SELECT id, application_id, number, "on", reply_by, cancelled FROM interview_round'
        f' WHERE application_id IN ({marks}) ORDER BY application_id, number',
        wanted,
    ):
        record = {"number": number, "on": on, "reply_by": reply_by, "interviewers": [], "cancelled": bool(cancelled)}
        rounds[app_id].append(record)
        by_round[round_id] = record
    for round_id, contact_id in conn.execute(
        "SELECT ri.round_id, ri.contact_id FROM round_interviewer ri JOIN interview_round r ON r.id = ri.round_id"
        f" WHERE r.application_id IN ({marks}) ORDER BY ri.round_id, ri.contact_id",
        wanted,
    ):
        by_round[round_id]["interviewers"].append(contact_id)
    timelines: dict[int, list[dict]] = {app_id: [] for app_id in wanted}
    for app_id, stated_on, reply_by, contact_id in conn.execute(
        f"SELECT application_id, stated_on, reply_by, contact_id FROM timeline WHERE application_id IN ({marks})"
        " ORDER BY application_id, stated_on, id",
        wanted,
    ):
        timelines[app_id].append({"stated_on": stated_on, "reply_by": reply_by, "contact": contact_id})
    return [
        {
            "id": app_id,
            "org": org,
            "position": position,
            "stage": stage_of(outcome, len(rounds[app_id])),
            "rounds": rounds[app_id],
            "recruiter": recruiter_id,
            "reply_by": reply_by,
            "outcome": outcome,
            "outcome_on": outcome_on,
            "outcome_note": outcome_note or None,
            "timelines": timelines[app_id],
        }
        for app_id, org, position, recruiter_id, reply_by, outcome, outcome_on, outcome_note, _created in rows
    ]


def applications_of(contact_id: int) -> list[shapes.ContactApplication]:
    """The applications a contact took part in, with how: as recruiter and/or in which rounds."""
    conn = database.connection()
    part: dict[int, dict] = {}
    for (app_id,) in conn.execute("SELECT id FROM application WHERE recruiter_id = ?", (contact_id,)):
        part.setdefault(app_id, {"recruiter": False, "rounds": []})["recruiter"] = True
    for app_id, number in conn.execute(
        "SELECT r.application_id, r.number FROM round_interviewer ri JOIN interview_round r ON r.id = ri.round_id"
        " WHERE ri.contact_id = ? ORDER BY r.application_id, r.number",
        (contact_id,),
    ):
        part.setdefault(app_id, {"recruiter": False, "rounds": []})["rounds"].append(number)
    records = []
    for row in application_rows(ids=sorted(part)):
        how = part[row["id"]]
        records.append({
            "id": row["id"],
            "org": row["org"],
            "position": row["position"],
            "stage": row["stage"],
            "as": (["recruiter"] if how["recruiter"] else []) + (["interviewer"] if how["rounds"] else []),
            "rounds": how["rounds"],
        })
    return records


def contact_names(ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    for chunk in id_batches(wanted):
        names.update(Contact.select(Contact.id, Contact.display_name).where(Contact.id.in_(chunk)).tuples())
    return names
