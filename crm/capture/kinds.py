"""Which kind a message you sent is: the rules docs/mail.md states, and the reason for each.

- `thank-you`: to someone who interviewed you, on the day of that round or the next day.
- `status-check`: to the recruiter of an application still open that day, once its timeline
  has passed: after the reply-by date they gave (the latest round's, else the application's if
  not older than that round), or, with no timeline, from STATUS_CHECK_NO_TIMELINE_DAYS after the
  latest round (the day `crm today` would suggest the check).
- `message`: everything else, and everything you receive.
Cancelled rounds count for nothing. The rules read the rounds as they are when the import
starts (and again after an invite in the mail changed them).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from crm.cadence import settings
from crm.dates import day_and_month
from crm.store.models import database

@dataclass(frozen=True)
class Verdict:
    kind: str
    why: str
    application_id: int | None = None


@dataclass(frozen=True)
class _Round:
    on: date
    number: int
    reply_by: date | None


@dataclass(frozen=True)
class _Application:
    id: int
    org: str
    position: str
    reply_by: date | None
    outcome_on: date | None  # None: no outcome yet
    rounds: tuple[_Round, ...]  # oldest first


class KindRules:
    def __init__(self, interviewed: dict[int, list[tuple[_Round, _Application]]],
                 recruiting: dict[int, list[_Application]]):
        self._interviewed = interviewed
        self._recruiting = recruiting

    @classmethod
    def load(cls) -> KindRules:
        day = _day
        applications: dict[int, dict] = {}
        for app_id, org, position, reply_by, outcome, outcome_on, recruiter_id in database.execute_sql(
            "SELECT a.id, o.name, a.position, a.reply_by, a.outcome, a.outcome_on, a.recruiter_id"
            " FROM application a JOIN organisation o ON o.id = a.organisation_id"
        ):
            applications[app_id] = {
                "row": (app_id, org, position, day(reply_by), (day(outcome_on) or date.min) if outcome else None),
                "recruiter": recruiter_id, "rounds": [],
            }
        people: dict[int, list[int]] = defaultdict(list)
        for round_id, contact_id in database.execute_sql("SELECT round_id, contact_id FROM round_interviewer"):
            people[round_id].append(contact_id)
        for round_id, app_id, number, on, reply_by in database.execute_sql(
            'SELECT id, application_id, number, "on", reply_by FROM interview_round WHERE cancelled = 0'
            ' ORDER BY "on", number'
        ):
            applications[app_id]["rounds"].append((_Round(day(on), number, day(reply_by)), people[round_id]))
        interviewed: dict[int, list[tuple[_Round, _Application]]] = defaultdict(list)
        recruiting: dict[int, list[_Application]] = defaultdict(list)
        for entry in applications.values():
            application = _Application(*entry["row"], tuple(r for r, _ in entry["rounds"]))
            for round_, contact_ids in entry["rounds"]:
                for contact_id in contact_ids:
                    interviewed[contact_id].append((round_, application))
            if entry["recruiter"] is not None:
                recruiting[entry["recruiter"]].append(application)
        return cls(dict(interviewed), dict(recruiting))

    def outbound(self, contact_id: int, on: date) -> Verdict:
        """The kind of a message you sent to this contact on this (local) day, and why."""
        for round_, application in self._interviewed.get(contact_id, ()):
            if round_.on <= on <= round_.on + timedelta(days=1):
                when = "that day" if on == round_.on else "the day after"
                return Verdict(
                    "thank-you",
                    f"sent {when} they interviewed you at {application.org} (round {round_.number}, {_words(round_.on)})",
                    application.id,
                )
        for application in self._recruiting.get(contact_id, ()):
            if application.outcome_on is not None and application.outcome_on <= on:
                continue  # decided by then: nothing to check on
            held = [r for r in application.rounds if r.on <= on]
            if not held:
                continue
            latest = held[-1]
            timeline = latest.reply_by or (
                application.reply_by if application.reply_by is not None and application.reply_by >= latest.on else None
            )
            if timeline is not None and on > timeline:
                return Verdict(
                    "status-check",
                    f"to the recruiter for {application.position} at {application.org} after the reply-by date"
                    f" ({_words(timeline)}) passed",
                    application.id,
                )
            quiet_from = latest.on + timedelta(days=settings.STATUS_CHECK_NO_TIMELINE_DAYS)
            if timeline is None and on >= quiet_from:
                return Verdict(
                    "status-check",
                    f"to the recruiter for {application.position} at {application.org},"
                    f" {settings.STATUS_CHECK_NO_TIMELINE_DAYS}+ days after the interview on {_words(latest.on)}"
                    " with no timeline given",
                    application.id,
                )
        return Verdict("message", "sent by you; no interview that day or the day before, no timeline passed")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _words(day: date) -> str:
    """'5 Mar 2026': always with the year (a mailbox spans years)."""
    return day_and_month(day, date.min, short=True)
