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

import json
import re
from collections import defaultdict
from datetime import date, timedelta
from operator import itemgetter

from crm.cadence import settings
from crm.cadence.engine import NO_TOUCHES, Application, Contact, Offer, Round, Snapshot, Touch, TouchSummary, touch_order
from crm.cadence.model import INTRO_KINDS, ONE_DAY, Timeline, status_check_since
from crm.store.db import database

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
# Two parts, each in id order: the contacts involved (on an application, an offer made for them,
# an introduction) that are not in the second part; the keep-warm contacts that may come due,
# from the partial index contact_keep_warm (m009; settings.KEEP_WARM_DAYS has no interval for
# `other`), not from a walk over the whole address book. No UNION to sort or deduplicate: the
# parts are disjoint, and the loader merges them in id order. (In the other order SQLite's plan
# costs a third more.)
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
_ON_KEEP_WARM = "(c.role != 'other' OR c.cadence_days IS NOT NULL)"  # contact_keep_warm's condition
# Last touched at least the interval before the horizon (or never, or on a date SQLite cannot
# read: the loader reports those). For a role's interval, whose day bound is one constant
# (SQLite works out `date(:horizon, ...)` once), as text: `"on" < 'D'` is "dated before D",
# without a date function per contact.
_DUE_BY_ROLE = "CASE c.role {} END".format(" ".join(
    f"WHEN '{role}' THEN date(:horizon, '-{days - 1} days')" for role, days in sorted(settings.KEEP_WARM_DAYS.items())))
_MAY_COME_DUE = f"""{_INTERVAL} IS NOT NULL AND (s.last_on IS NULL OR CASE
    WHEN s.last_on < :next AND c.cadence_days IS NULL THEN s.last_on < {_DUE_BY_ROLE}
    ELSE COALESCE(julianday(:horizon) - julianday({_as_of("last_on", _last(_COUNTED))}) >= {_INTERVAL}, 1) END)"""
_CONTACT_COLUMNS = f"""c.id, c.display_name, o.name, c.role, substr(c.created_at, 1, 10), c.cadence_days,
    c.snoozed_until, c.paused,
    {_as_of("last_out_on", _last(f"t.direction = 'out' AND {_COUNTED}"))},
    {_as_of("last_in_on", _last(f"t.direction = 'in' AND {_COUNTED}"))},
    {_as_of("keep_warm_from", _last(f"t.direction = 'out' AND t.kind IN ({_KEEP_WARM})",
                                    settings.UNANSWERED_KEEP_WARM - 1))},
    CASE WHEN c.id IN congratulated THEN
        {_as_of("last_congratulate_on", _last("t.direction = 'out' AND t.kind = 'congratulate'"))} END,
    CASE WHEN c.id IN on_application THEN COALESCE(s.first_connect_on < :next, 0) ELSE 0 END,
    CASE WHEN s.last_on < :next  -- then every offer was first given by as_of: the key alone answers
        THEN (SELECT group_concat(g.offer_id) FROM offer_given g WHERE g.contact_id = c.id)
        ELSE (SELECT group_concat(g.offer_id) FROM offer_given g WHERE g.contact_id = c.id AND g.first_on < :next) END,
    (SELECT group_concat(ci.interest_id) FROM contact_interest ci WHERE ci.contact_id = c.id),
    c.keep_warm_since"""
_CONTACT_JOINS = """LEFT JOIN contact_summary s ON s.contact_id = c.id
    LEFT JOIN organisation o ON o.id = c.organisation_id"""
_CONTACTS = f"""
WITH on_application(id) AS MATERIALIZED (
    SELECT recruiter_id FROM application WHERE recruiter_id IS NOT NULL
    UNION SELECT contact_id FROM round_interviewer
), congratulated(id) AS MATERIALIZED (
    SELECT for_contact_id FROM offer WHERE kind = 'congratulation' AND for_contact_id IS NOT NULL AND "on" <= :horizon
), offered(id) AS MATERIALIZED (
    SELECT for_contact_id FROM offer WHERE for_contact_id IS NOT NULL AND "on" <= :horizon
), {_INTRODUCED_CTE}, involved(id) AS MATERIALIZED (
    SELECT id FROM on_application UNION SELECT id FROM offered UNION SELECT id FROM introduced
){{around_ctes}}
SELECT {_CONTACT_COLUMNS}
FROM {{involved}} JOIN contact c ON c.id = i.id {_CONTACT_JOINS}
WHERE c.created_at < :horizon_next AND NOT COALESCE({_ON_KEEP_WARM} AND {_MAY_COME_DUE}, 0)
UNION ALL
SELECT {_CONTACT_COLUMNS}
FROM {{keep_warm}} {_CONTACT_JOINS}
WHERE {_ON_KEEP_WARM} AND c.created_at < :horizon_next AND {_MAY_COME_DUE}
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

# The touches the status-check rule reads (inbound ones and status checks, `status_check_since`):
# of each person on an application open on as_of, the unlinked ones dated after the
# application's latest round by then; of each such application, those linked to it dated after
# that round. :people and :applications map ids to the day after that round, as JSON objects
# (worked out from the applications and rounds just loaded): two index range scans, one per
# contact and one per application. INDEXED BY: once ANALYZE has seen that most touches have no
# application, the planner would rather scan the whole log than use the application_id index.
# UNION: a touch linked to an application, of a person on it, would come twice.
_STATUS_LOG = f"""
SELECT t.id, t.contact_id, substr(t."on", 1, 10), t.kind, t.direction, t.offer_id, t.application_id, t.declined
FROM json_each(:people) p CROSS JOIN touchpoint t ON t.contact_id = CAST(p.key AS INTEGER)
WHERE t."on" >= p.value AND t."on" < :next AND t.kind NOT IN ({_NOT_A_TOUCH})
  AND (t.direction = 'in' OR t.kind = 'status-check') AND t.application_id IS NULL
UNION
SELECT t.id, t.contact_id, substr(t."on", 1, 10), t.kind, t.direction, t.offer_id, t.application_id, t.declined
FROM json_each(:applications) p CROSS JOIN touchpoint t INDEXED BY touchpoint_application_id
    ON t.application_id = CAST(p.key AS INTEGER)
WHERE t."on" >= p.value AND t."on" < :next AND t.kind NOT IN ({_NOT_A_TOUCH})
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
              "interests": _INTERESTS, "status_log": _STATUS_LOG}  # status_log: scoped by its parameters
    if not around:
        return shared | {
            "contacts": _CONTACTS.format(around_ctes="", keep_warm="contact c INDEXED BY contact_keep_warm",
                                        involved="involved i"),
            "applications": _APPLICATIONS.format(where=""),
            "rounds": _ROUNDS.format(and_where=""),
            "timelines": _TIMELINES.format(and_where=""),
            "intro_log": _INTRO_LOG.format(and_where=""),
        }
    return shared | {
        "contacts": _CONTACTS.format(around_ctes="," + _AROUND, keep_warm="around a JOIN contact c ON c.id = a.id",
                                    involved="(SELECT id FROM involved WHERE id IN around) i"),
        "applications": f"WITH {_AROUND.strip()}" + _APPLICATIONS.format(where=" WHERE a.id IN around_application"),
        "rounds": f"WITH {_AROUND.strip()}" + _ROUNDS.format(and_where=" AND application_id IN around_application"),
        "timelines": f"WITH {_AROUND.strip()}" + _TIMELINES.format(and_where=" AND application_id IN around_application"),
        "intro_log": _INTRO_LOG.replace("WITH ", f"WITH {_AROUND.strip()},\n", 1).format(
            and_where=" AND contact_id IN around"),
    }


_SCOPES = {False: _queries(False), True: _queries(True)}


def load_snapshot(as_of: date, horizon: date | None = None, *, around: int | None = None) -> Snapshot:
    """The engine's input from the bound database (`crm.store.db.database`), as of `as_of`.

    Touches are counted up to `as_of`; rounds, offers and contacts are loaded up to `horizon`
    (default `as_of`), so `crm.cadence.engine.upcoming` can replay the days to the horizon and see
    interviews already scheduled, assuming nothing new is logged meanwhile.

    `around=CONTACT_ID` loads only what that one contact's suggestions depend on (the contact
    and the people on its applications): what `crm show` and `crm draft` need, in milliseconds.
    """
    # The loader reads each table once, in id order: SQLite's own default cache (2 MB) holds all
    # it revisits. The connection's (32 MB, for imports) would keep every page read, and the
    # fresh memory for them costs `crm today` a tenth of its time in page faults.
    conn = database.connection()
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {_LOADER_CACHE}")
    try:
        return _load(as_of, max(horizon or as_of, as_of), around)
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")


_LOADER_CACHE = -2000  # KiB


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
    for row in sorted(rows("contacts"), key=_first):  # the query's two parts, each in id order
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

    since_for_contact, since_for_application = status_check_since(applications, as_of)
    params["people"] = json.dumps({cid: (on + ONE_DAY).isoformat() for cid, on in since_for_contact.items()})
    params["applications"] = json.dumps({aid: (on + ONE_DAY).isoformat() for aid, on in since_for_application.items()})
    touches = sorted(each("status_log", lambda r: touch(r[1:])), key=touch_order)
    intro_touches = sorted(each("intro_log", touch), key=touch_order)
    return Snapshot(as_of, tuple(contacts), applications, offers, tuple(touches), tuple(intro_touches),
                    tuple(skipped))


_RAW = re.compile("[\udc80-\udcff]")
_first = itemgetter(0)


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
