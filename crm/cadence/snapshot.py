"""The cadence engine's database side: its input, loaded as of a date, and the per-contact
controls (snooze, pause, own interval) that `crm snooze/pause/resume/cadence` write.

A handful of aggregate queries, never one per contact: with 100k contacts and 1M touchpoints
the log itself is never brought into Python. Each contact's TouchSummary is computed by SQL
subqueries that walk the covering index touchpoint(contact_id, "on", direction, kind) for that
contact only; single touches are read only for the few people on open applications.
`crm.cadence.engine.from_log` is the plain-Python statement of what this returns, and
tests/test_snapshot.py holds the two equal on random databases.

Dates: a touchpoint or round `on` is 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM[:SS]', so "dated on or
before D" is `"on" < 'D+1'` as text, which the index answers as a range.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

from crm.cadence import settings
from crm.cadence.engine import NO_TOUCHES, Application, Contact, Offer, Round, Snapshot, Touch, TouchSummary, touch_order
from crm.cadence.model import INTRO_KINDS, Timeline
from crm.store.models import database

_NOT_A_TOUCH = settings.NOT_A_TOUCH_SQL
_KEEP_WARM = ", ".join(f"'{kind}'" for kind in sorted(settings.KEEP_WARM_KINDS)) or "''"

# Every query below comes in two scopes: everyone, or `around` one contact (that contact and
# the people on its applications, with those applications only). Parameters: :next is the day
# after as_of, :horizon_next the day after the horizon, :around the contact id.
_AROUND = """
around_application(id) AS MATERIALIZED (
    SELECT id FROM application WHERE recruiter_id = :around
    UNION SELECT r.application_id FROM interview_round r JOIN round_interviewer ri ON ri.round_id = r.id
    WHERE ri.contact_id = :around
    UNION SELECT id FROM application WHERE outcome IN ('offer', 'hired')  -- conversation: rule 14 reads them all
), around(id) AS MATERIALIZED (
    SELECT :around
    UNION SELECT introduce_id FROM offer WHERE for_contact_id = :around AND kind = 'introduction'
        AND introduce_id IS NOT NULL  -- conversation: rule 11 reads both people of an introduction
    UNION SELECT for_contact_id FROM offer WHERE introduce_id = :around AND kind = 'introduction'
        AND for_contact_id IS NOT NULL
    UNION SELECT recruiter_id FROM application WHERE id IN around_application AND recruiter_id IS NOT NULL
    UNION SELECT ri.contact_id FROM round_interviewer ri JOIN interview_round r ON r.id = ri.round_id
    WHERE r.application_id IN around_application
)"""

# conversation (m006): the two people of each introduction offer (rule 11), kept whatever their role.
_INTRODUCED_CTE = """introduced(id) AS MATERIALIZED (
    SELECT for_contact_id FROM offer WHERE kind = 'introduction' AND for_contact_id IS NOT NULL
        AND introduce_id IS NOT NULL AND "on" <= :horizon
    UNION SELECT introduce_id FROM offer WHERE kind = 'introduction' AND for_contact_id IS NOT NULL
        AND introduce_id IS NOT NULL AND "on" <= :horizon
)"""

# Contacts that could ever get a suggestion, with their summaries, read from contact_summary
# and offer_given (kept by triggers, migration m009): one row per contact. Those tables hold the
# log as of now; a contact with a touch dated after as_of (a replay, or a touch logged ahead)
# has its summary computed from the log instead, by subqueries that walk its index entries
# backwards from :next and stop at the first match. Keep-warm-only contacts that cannot come
# due by the horizon are left out (see cadence.from_log): with 20k keep-warm contacts most are.
# The candidates come from the partial index contact_keep_warm (m009; settings.KEEP_WARM_DAYS
# has no interval for `other`), not from a walk over the whole address book.
def _as_of(column: str, fallback: str) -> str:
    """The summary's column when nothing of this contact's is dated after as_of, else `fallback`."""
    return (f"CASE WHEN s.last_on IS NULL THEN NULL WHEN s.last_on < :next THEN substr(s.{column}, 1, 10)"
            f" ELSE ({fallback}) END")


def _last(where: str, offset: int = 0) -> str:
    return (f'SELECT substr(t."on", 1, 10) FROM touchpoint t WHERE t.contact_id = c.id AND t."on" < :next'
            f' AND {where} ORDER BY t."on" DESC LIMIT 1' + (f" OFFSET {offset}" if offset else ""))


_COUNTED = f"t.kind NOT IN ({_NOT_A_TOUCH})"
_INTERVAL = "COALESCE(c.cadence_days, CASE c.role {} END)".format(
    " ".join(f"WHEN '{role}' THEN {days}" for role, days in sorted(settings.KEEP_WARM_DAYS.items()))
)
_CONTACTS = f"""
WITH on_application(id) AS MATERIALIZED (
    SELECT recruiter_id FROM application WHERE recruiter_id IS NOT NULL
    UNION SELECT contact_id FROM round_interviewer
), congratulated(id) AS MATERIALIZED (
    SELECT for_contact_id FROM offer WHERE kind = 'congratulation' AND for_contact_id IS NOT NULL AND "on" <= :horizon
), offered(id) AS MATERIALIZED (
    SELECT for_contact_id FROM offer WHERE for_contact_id IS NOT NULL AND "on" <= :horizon
), {_INTRODUCED_CTE}{{around_ctes}}
SELECT c.id, c.display_name, o.name, c.role, substr(c.created_at, 1, 10), c.cadence_days, c.snoozed_until, c.paused,
    {_as_of("last_out_on", _last(f"t.direction = 'out' AND {_COUNTED}"))},
    {_as_of("last_in_on", _last(f"t.direction = 'in' AND {_COUNTED}"))},
    {_as_of("keep_warm_from", _last(f"t.direction = 'out' AND t.kind IN ({_KEEP_WARM})",
                                    settings.UNANSWERED_KEEP_WARM - 1))},
    CASE WHEN c.id IN congratulated THEN
        {_as_of("last_congratulate_on", _last("t.direction = 'out' AND t.kind = 'congratulate'"))} END,
    CASE WHEN c.id IN on_application THEN COALESCE(s.first_connect_on < :next, 0) ELSE 0 END,
    (SELECT group_concat(g.offer_id) FROM offer_given g WHERE g.contact_id = c.id AND g.first_on < :next),
    (SELECT group_concat(ci.interest_id) FROM contact_interest ci WHERE ci.contact_id = c.id),
    c.keep_warm_since
FROM (SELECT id FROM contact INDEXED BY contact_keep_warm WHERE role != 'other' OR cadence_days IS NOT NULL
      UNION SELECT id FROM on_application UNION SELECT id FROM offered UNION SELECT id FROM introduced) AS candidate
    JOIN contact c ON c.id = candidate.id LEFT JOIN organisation o ON o.id = c.organisation_id
    LEFT JOIN contact_summary s ON s.contact_id = c.id
WHERE {{around_contact}} c.created_at < :horizon_next
  AND (c.id IN on_application OR c.id IN offered OR c.id IN introduced OR (
      {_INTERVAL} IS NOT NULL
      AND COALESCE(julianday(:horizon) - julianday({_as_of("last_on", _last(_COUNTED))}) >= {_INTERVAL}, 1)))
ORDER BY c.id
"""

_INTERESTS = "SELECT id, name FROM interest"

_APPLICATIONS = """
SELECT a.id, o.name, a.position, a.recruiter_id, a.reply_by, a.outcome, a.outcome_on
FROM application a JOIN organisation o ON o.id = a.organisation_id{where} ORDER BY a.id
"""

# A cancelled round (its invite was cancelled) never happened: no thank-you, connect or status check from it.
_ROUNDS = """
SELECT id, application_id, number, substr("on", 1, 10), reply_by, substr("on", 12, 5) FROM interview_round
WHERE "on" < :rounds_next AND cancelled = 0{and_where}
"""

_INTERVIEWERS = "SELECT round_id, contact_id FROM round_interviewer ORDER BY rowid"

_OFFERS = """
SELECT id, kind, title, url, "on", for_contact_id, introduce_id FROM offer WHERE "on" <= :horizon ORDER BY id
"""

_OFFER_INTERESTS = """
SELECT oi.offer_id, i.name FROM offer_interest oi JOIN interest i ON i.id = oi.interest_id
"""

# The touches the status-check rule reads (inbound ones and status checks) of the people on
# applications still open on as_of, then those linked to such an application with anyone else:
# two index look-ups (one query with OR would scan the log). INDEXED BY: once ANALYZE has seen
# that most touches have no application, the planner would rather scan the whole log than use
# the application_id index.
_OPEN_APPLICATIONS = """
WITH{around_ctes} open_application(id) AS MATERIALIZED (
    SELECT id FROM application
    WHERE (outcome IS NULL OR (outcome_on IS NOT NULL AND outcome_on > :as_of)){and_where}
), people(id) AS MATERIALIZED (
    SELECT recruiter_id FROM application WHERE id IN open_application AND recruiter_id IS NOT NULL
    UNION
    SELECT ri.contact_id FROM round_interviewer ri JOIN interview_round r ON r.id = ri.round_id
    WHERE r.application_id IN open_application AND r."on" < :rounds_next
)"""
_PEOPLE_LOG = f"""{{open_applications}}
SELECT contact_id, substr("on", 1, 10), kind, direction, offer_id, application_id, declined FROM touchpoint
WHERE contact_id IN people AND "on" < :next AND kind NOT IN ({_NOT_A_TOUCH})
  AND (direction = 'in' OR kind = 'status-check')
"""
_LINKED_LOG = f"""{{open_applications}}
SELECT t.contact_id, substr(t."on", 1, 10), t.kind, t.direction, t.offer_id, t.application_id, t.declined
FROM open_application oa CROSS JOIN touchpoint t INDEXED BY touchpoint_application_id ON t.application_id = oa.id
WHERE t.contact_id NOT IN people AND t."on" < :next AND t.kind NOT IN ({_NOT_A_TOUCH})
  AND (t.direction = 'in' OR t.kind = 'status-check')
"""

# ---- conversation (m006): timelines and the introduction rule's touches -------------------

_TIMELINES = """
SELECT id, application_id, stated_on, reply_by FROM timeline WHERE stated_on <= :horizon{and_where}
"""

_INTRO_KINDS = ", ".join(f"'{kind}'" for kind in sorted(INTRO_KINDS))
_INTRO_LOG = f"""
WITH {_INTRODUCED_CTE}
SELECT contact_id, substr("on", 1, 10), kind, direction, offer_id, application_id, declined FROM touchpoint
WHERE contact_id IN introduced{{and_where}} AND "on" < :next AND kind NOT IN ({_NOT_A_TOUCH})
  AND (direction = 'in' OR kind IN ({_INTRO_KINDS}))
"""


def _queries(around: bool) -> dict[str, str]:
    """The SQL for one scope: everyone, or around one contact."""
    shared = {"interviewers": _INTERVIEWERS, "offers": _OFFERS, "offer_interests": _OFFER_INTERESTS,
              "interests": _INTERESTS}
    if not around:
        open_applications = _OPEN_APPLICATIONS.format(around_ctes="", and_where="")
        return shared | {
            "contacts": _CONTACTS.format(around_ctes="", around_contact=""),
            "applications": _APPLICATIONS.format(where=""),
            "rounds": _ROUNDS.format(and_where=""),
            "people_log": _PEOPLE_LOG.format(open_applications=open_applications),
            "linked_log": _LINKED_LOG.format(open_applications=open_applications),
            "timelines": _TIMELINES.format(and_where=""),
            "intro_log": _INTRO_LOG.format(and_where=""),
        }
    open_applications = _OPEN_APPLICATIONS.format(
        around_ctes=_AROUND + ",", and_where=" AND id IN around_application"
    )
    return shared | {
        "contacts": _CONTACTS.format(around_ctes="," + _AROUND, around_contact="c.id IN around AND"),
        "applications": f"WITH {_AROUND.strip()}" + _APPLICATIONS.format(where=" WHERE a.id IN around_application"),
        "rounds": f"WITH {_AROUND.strip()}" + _ROUNDS.format(and_where=" AND application_id IN around_application"),
        "people_log": _PEOPLE_LOG.format(open_applications=open_applications),
        "linked_log": _LINKED_LOG.format(open_applications=open_applications),
        "timelines": f"WITH {_AROUND.strip()}" + _TIMELINES.format(and_where=" AND application_id IN around_application"),
        "intro_log": _INTRO_LOG.replace("WITH ", f"WITH {_AROUND.strip()},\n", 1).format(
            and_where=" AND contact_id IN around"),
    }


_SCOPES = {False: _queries(False), True: _queries(True)}


def load_snapshot(as_of: date, horizon: date | None = None, *, around: int | None = None) -> Snapshot:
    """The engine's input from the bound database (`crm.store.models.database`), as of `as_of`.

    Touches are counted up to `as_of`; rounds, offers and contacts are loaded up to `horizon`
    (default `as_of`), so `crm.cadence.engine.upcoming` can replay the days to the horizon and see
    interviews already scheduled, assuming nothing new is logged meanwhile.

    `around=CONTACT_ID` loads only what that one contact's suggestions depend on (the contact
    and the people on its applications): what `crm show` and `crm draft` need, in milliseconds.
    """
    return _load(as_of, max(horizon or as_of, as_of), around)


def _load(as_of: date, horizon: date, around: int | None) -> Snapshot:
    params = {
        "around": around,
        "as_of": as_of.isoformat(),
        "next": (as_of + timedelta(days=1)).isoformat(),
        "horizon": horizon.isoformat(),
        "horizon_next": (horizon + timedelta(days=1)).isoformat(),
        # Rounds a day further: `prepare` (rule 0) reads tomorrow's.
        "rounds_next": (horizon + timedelta(days=1 + settings.PREPARE_DAYS_BEFORE)).isoformat(),
    }

    sql = _SCOPES[around is not None]

    skipped: list[str] = []

    def rows(name: str):
        text = sql[name]
        bound = {k: v for k, v in params.items() if f":{k}" in text}
        try:
            return database.execute_sql(text, bound).fetchall()
        except Exception as exc:  # noqa: BLE001 - only text that is not UTF-8 is retried
            if "decode" not in str(exc).lower():
                raise
        # A hand edit left bytes that are not UTF-8: read them as such, and skip those rows.
        conn = database.connection()
        conn.text_factory = _lenient_text
        try:
            found = database.execute_sql(text, bound).fetchall()
        finally:
            conn.text_factory = str
        kept_rows = [row for row in found if not any(isinstance(v, str) and _RAW.search(v) for v in row)]
        if len(kept_rows) < len(found):
            skipped.append(f"{len(found) - len(kept_rows)} {name} row(s) hold text that is not UTF-8")
        return kept_rows

    def each(name: str, build):
        """build(row) for every row; a row with a value the engine cannot use is reported, skipped."""
        out = []
        for row in rows(name):
            try:
                out.append(build(row))
            except (ValueError, TypeError, OverflowError) as exc:
                skipped.append(f"{name} #{row[0]}: {exc}")
        return out

    day = _Days()
    interest_names = dict(rows("interests"))
    nothing: frozenset = frozenset()
    def contact(row) -> Contact:
        (cid, name, org, role, created_on, cadence_days, snoozed_until, paused, last_out, last_in,
         first_of_last_keep_warm, last_congratulate, has_connect, given, interests, keep_warm_since) = row
        if not isinstance(name, str) or not isinstance(role, str) or not isinstance(created_on, str):
            raise TypeError("a name, role or creation date that is not text")
        if cadence_days is not None and not (
                isinstance(cadence_days, int) and 1 <= cadence_days <= settings.MAX_CADENCE_DAYS):
            raise ValueError(f"cadence {cadence_days!r} is not 1-{settings.MAX_CADENCE_DAYS} days")
        last_outbound_on = day[last_out]
        last_inbound_on = day[last_in]
        if last_outbound_on is None or (last_inbound_on is not None and last_inbound_on > last_outbound_on):
            last_touch_on = last_inbound_on
        else:
            last_touch_on = last_outbound_on
        summary = TouchSummary(
            last_touch_on, last_outbound_on, last_inbound_on, day[first_of_last_keep_warm], day[last_congratulate],
            bool(has_connect), frozenset(map(int, given.split(","))) if given else nothing,
        ) if last_touch_on is not None else NO_TOUCHES
        return Contact(
            cid, name, org, role, day[created_on], cadence_days, day[snoozed_until], bool(paused),
            frozenset(interest_names[int(i)] for i in interests.split(",")) if interests else nothing, summary,
            day[keep_warm_since],
        )

    contacts = []
    for row in rows("contacts"):
        try:
            contacts.append(contact(row))
        except (ValueError, TypeError, OverflowError) as exc:
            skipped.append(f"contact #{row[0]}: {exc}")

    interviewers: dict[int, list[int]] = defaultdict(list)
    for round_id, contact_id in rows("interviewers"):
        interviewers[round_id].append(contact_id)
    rounds: dict[int, list[Round]] = defaultdict(list)
    for rid, application_id, number, on, reply_by, at in each(
            "rounds", lambda r: (r[0], r[1], r[2], day[r[3]], day[r[4]], r[5])):
        rounds[application_id].append(Round(rid, number, on, reply_by, tuple(interviewers[rid]), at or None))
    timelines: dict[int, list[Timeline]] = defaultdict(list)
    for tid, application_id, stated_on, reply_by in each("timelines", lambda r: (r[0], r[1], day[r[2]], day[r[3]])):
        timelines[application_id].append(Timeline(tid, stated_on, reply_by))
    applications = tuple(each("applications", lambda r: Application(
        r[0], r[1], r[2], r[3], day[r[4]], r[5], day[r[6]],
        tuple(sorted(rounds[r[0]], key=lambda x: (x.on, x.number, x.id))),
        tuple(sorted(timelines[r[0]], key=lambda t: (t.stated_on, t.id))))))

    offer_interests: dict[int, set[str]] = defaultdict(set)
    for offer_id, name in rows("offer_interests"):
        offer_interests[offer_id].add(name)
    offers = tuple(each("offers", lambda r: Offer(
        r[0], r[1], r[2], r[3], day[r[4]], r[5], r[6], frozenset(offer_interests[r[0]]))))

    def touch(r) -> Touch:
        return Touch(r[0], day[r[1]], r[2], r[3], r[4], r[5], bool(r[6]))

    touches = sorted((t for log in ("people_log", "linked_log") for t in each(log, touch)), key=touch_order)
    intro_touches = sorted(each("intro_log", touch), key=touch_order)
    return Snapshot(as_of, tuple(contacts), applications, offers, tuple(touches), tuple(intro_touches),
                    tuple(skipped))


_RAW = re.compile("[\udc80-\udcff]")


def _lenient_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


LAST_YEAR = 9000


class _Days(dict):
    """`days[text]`: 'YYYY-MM-DD...' -> date, None -> None; memoised (a log repeats its days)."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, text: str) -> date:
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not a date")
        value = date.fromisoformat(text[:10])
        if value.year > LAST_YEAR:  # the engine adds intervals: keep far from date.max
            raise ValueError(f"{text!r} is out of range")
        self[text] = value
        return value


# ---- the per-contact controls (rule 7, and an own keep-warm interval) ------------------------


def set_snooze(contact_id: int, until: date | None, now: str) -> None:
    """Nothing is suggested for the contact before `until` (None: not snoozed)."""
    _update(contact_id, now, snoozed_until=until)


def set_paused(contact_id: int, paused: bool, now: str) -> None:
    """A paused contact gets no suggestion at all until resumed."""
    _update(contact_id, now, paused=paused)


def set_cadence(contact_id: int, days: int | None, now: str) -> None:
    """The contact's own keep-warm interval in days (None: back to its role's default)."""
    if days is not None and not 1 <= days <= settings.MAX_CADENCE_DAYS:
        from crm.errors import InvalidInput

        raise InvalidInput(f"a cadence is 1 to {settings.MAX_CADENCE_DAYS} days (ten years), not {days}")
    _update(contact_id, now, cadence_days=days)


def set_keep_warm_since(contact_id: int, day: date, now: str) -> None:
    """The contact (re)enters keep-warm on `day` (resumed): rule 10 spreads a due date older than it."""
    _update(contact_id, now, keep_warm_since=day)


def _update(contact_id: int, now: str, **fields) -> None:
    from crm.store.models import Contact as ContactRow

    with database.atomic():
        ContactRow.update(updated_at=now, **fields).where(ContactRow.id == contact_id).execute()
