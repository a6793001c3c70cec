"""Who to nudge, when, and why: the cadence engine.

Pure. A `Snapshot` (`crm.cadence.model`) and a date go in; every suggestion due that day comes
out, ranked, each with one plain sentence saying why. No database, no clock, no click:
`crm.cadence.snapshot` loads the input, the CLI renders the output. The rules, and the why behind
them, are in docs/cadence.md; every number is in `crm.cadence.settings`; the rules themselves are
in `crm.cadence.rules`.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable

from crm.cadence.model import (  # noqa: F401  (the engine's public values, re-exported)
    Touch,
    TouchSummary,
    Contact,
    Round,
    Application,
    Offer,
    Snapshot,
    Suggestion,
    summarise,
    from_log,
    is_open,
    people_on,
    touch_order,
    ONE_DAY,
    NO_TOUCHES,
)
from crm.cadence.rules import KeepWarmDue, Plan, World, candidates, event_candidates, keep_warm


def suggest(snapshot: Snapshot, today: date, plan: Plan | None = None) -> list[Suggestion]:
    """Every suggestion due on `today`, at most one per contact, best first (rule 8). `plan`:
    the snapshot's `crm.cadence.rules.Plan`, when one is at hand (several days of one snapshot share it)."""
    return [_written(found) for found in _ranked(snapshot, today, plan)]


def suggest_first(snapshot: Snapshot, today: date, limit: int, plan: Plan | None = None) -> tuple[list[Suggestion], int]:
    """`suggest(...)[:limit]`, and how many `suggest` would give: only the reasons shown are written."""
    ranked = _ranked(snapshot, today, plan)
    return [_written(found) for found in ranked[:max(limit, 0)]], len(ranked)


def _ranked(snapshot: Snapshot, today: date, plan: Plan | None) -> list[Suggestion | KeepWarmDue]:
    return sorted(_best(snapshot, today, plan), key=_rank)


def _rank(found: Suggestion | KeepWarmDue) -> tuple:
    return found.rank()


def _written(found: Suggestion | KeepWarmDue) -> Suggestion:
    return found if type(found) is Suggestion else found.suggestion()


def _best(snapshot: Snapshot, today: date, plan: Plan | None) -> Iterable[Suggestion | KeepWarmDue]:
    """The best candidate of each contact on `today` (a keep-warm one with its reason still to
    write: `_written`), in no order."""
    if today < snapshot.as_of:
        raise ValueError(f"the snapshot is as of {snapshot.as_of}; it cannot answer for {today}")
    best: dict[int, Suggestion | KeepWarmDue] = {}
    for candidate in candidates(World(snapshot, today, plan)):
        current = best.get(candidate.contact.id)
        if current is None or candidate.rank() < current.rank():
            best[candidate.contact.id] = candidate
    return best.values()


def upcoming(snapshot: Snapshot, start: date, days: int) -> list[tuple[date, Suggestion]]:
    """Replay `start` .. `start + days - 1` assuming nothing new is logged: each suggestion once,
    on the first day it comes up (an overdue one on `start`), in day then rank order.

    What `suggest` gives day after day, without asking every day about every keep-warm contact
    again: once a contact's keep-warm suggestion is planned, the next days give it again (a
    contact due stays due) until the day's value offers change, so it is passed over unless
    another rule has something for that contact that day."""
    first_seen: dict[tuple, tuple[date, Suggestion]] = {}
    plan = Plan(snapshot)
    planned: set[int] = set()  # contacts whose keep-warm suggestion, with the day's offers, is in first_seen
    offers: frozenset[int] | None = None
    for offset in range(max(days, 0)):
        day = start + timedelta(days=offset)
        if day < snapshot.as_of:
            raise ValueError(f"the snapshot is as of {snapshot.as_of}; it cannot answer for {day}")
        world = World(snapshot, day, plan)
        if world.value_offers() != offers:
            offers = world.value_offers()
            planned.clear()  # another offer may fit now
        best: dict[int, Suggestion | KeepWarmDue] = {}  # as `_best`, for every contact not passed over
        for candidate in event_candidates(world):
            current = best.get(candidate.contact.id)
            if current is None or candidate.rank() < current.rank():
                best[candidate.contact.id] = candidate
        for candidate in keep_warm(world, planned.difference(best)):
            current = best.get(candidate.contact.id)
            if current is None or candidate.rank() < current.rank():
                best[candidate.contact.id] = candidate
        # One suggestion per contact a day, so each key once: the day's order does not matter.
        for contact_id, found in best.items():
            if type(found) is KeepWarmDue:
                planned.add(contact_id)
            key = found.key
            if key not in first_seen:
                first_seen[key] = (day, _written(found))
    return sorted(first_seen.values(), key=lambda pair: (pair[0], pair[1].rank()))


def next_for(snapshot: Snapshot, contact_id: int, start: date, days: int) -> tuple[date, Suggestion] | None:
    """The first suggestion for one contact from `start` on, within `days` days, assuming nothing
    new is logged (`crm show`'s "next"); None if nothing comes up."""
    plan = Plan(snapshot)
    for offset in range(max(days, 0)):
        day = start + timedelta(days=offset)
        for found in _best(snapshot, day, plan):
            if found.contact.id == contact_id:
                return day, _written(found)
    return None
