"""The weekly review: what your networking added up to, week by week, as of a date.

`review(as_of, weeks)` reads the bound database with a handful of aggregate queries (GROUP BY
and window functions in SQL; the log never comes into Python) and returns the JSON-ready dict
`crm review --json` prints; `format_review` turns it into text. The definitions, and the JSON
shape, are in docs/drafts-and-review.md:

- weeks end on `as_of`: week 1 is the 7 days ending on it, week 2 the 7 before, and so on;
- a touch is any touchpoint except a note (`settings.NOT_A_TOUCH_KINDS`), dated by its day;
- an outbound touch is *answered* when an inbound touch from the same contact follows it in the
  log (ordered by date-time, then entry order), before the next outbound touch to them, at most
  REPLY_WINDOW_DAYS days after it; *waiting* when it is not answered yet but still could be
  (nothing outbound to them since, and `as_of` within those days); else *unanswered*;
- a contact on keep-warm (own cadence, or a role in `settings.KEEP_WARM_DAYS`; not paused) is
  warm when last touched within its interval, cooling within twice it, cold beyond or never.

As of a date: touches, rounds, outcomes and contacts dated after it do not exist yet.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Sequence

from crm import shapes
from crm.cadence import settings
from crm.dates import WEEKDAYS
from crm.store.applications import RESULTS, stage_of
from crm.render import clean
from crm.store.models import database

REPLY_WINDOW_DAYS = 30  # an inbound touch later than this does not answer an outbound one
DEFAULT_WEEKS = 8
MAX_WEEKS = 520
WARMTH = ("warm", "cooling", "cold")
STAGES: tuple[str, ...] = ("applied", "interviewing", *RESULTS)
SPARK_BARS = "▁▂▃▄▅▆▇█"

_NOT_A_TOUCH = settings.NOT_A_TOUCH_SQL
_NO_ANSWER = settings.NO_ANSWER_EXPECTED_SQL
NAMED_IN_TEXT = 5  # contacts named per warmth in the text review (JSON names them all)

# Weeks ago (0: the week ending on as_of) for a 'YYYY-MM-DD' expression.
_AGO = "CAST((julianday(:as_of) - julianday({day})) / 7 AS INTEGER)"

# Touches per week. Scans the covering index touchpoint(contact_id, "on", direction, kind) from
# end to end: left to itself, the planner skip-scans it (one seek per contact), twice as slow
# at 1M touches; the unary + keep "on" from being used for that.
_WEEKLY = f"""
SELECT {_AGO.format(day='substr("on", 1, 10)')} AS ago, count(*), sum(direction = 'out'), sum(direction = 'in')
FROM touchpoint INDEXED BY touchpoint_contact_on
WHERE +"on" >= :start AND +"on" < :next AND kind NOT IN ({_NOT_A_TOUCH})
GROUP BY ago
"""

# Replies. Touches from the window's start only: an inbound touch before it can only answer an
# outbound touch before it. `run` numbers each contact's outbound touches in log order, so an
# outbound touch and the inbound ones after it (until the next outbound) share a run.
_REPLIES = f"""
WITH log AS (
    SELECT contact_id, direction, substr("on", 1, 10) AS day,
        sum(direction = 'out') OVER (PARTITION BY contact_id ORDER BY "on", id ROWS UNBOUNDED PRECEDING) AS run
    FROM touchpoint
    WHERE "on" >= :start AND "on" < :next AND kind NOT IN ({_NOT_A_TOUCH})
      AND NOT (direction = 'out' AND kind IN ({_NO_ANSWER}))  -- a thank-you expects no answer
), runs AS (
    SELECT contact_id, run, max(CASE WHEN direction = 'out' THEN day END) AS out_day,
        min(CASE WHEN direction = 'in' THEN day END) AS first_in
    FROM log WHERE run > 0 GROUP BY contact_id, run
), judged AS (
    SELECT out_day,
        first_in IS NOT NULL AND julianday(first_in) - julianday(out_day) <= :reply_days AS answered,
        run < max(run) OVER (PARTITION BY contact_id) AS followed
    FROM runs
)
SELECT {_AGO.format(day='out_day')} AS ago, sum(answered),
    sum(NOT answered AND NOT followed AND julianday(:as_of) - julianday(out_day) <= :reply_days), count(*)
FROM judged GROUP BY ago
"""

_OFFERS_GIVEN = f"""
SELECT id, substr("on", 1, 10), contact_id, offer_id FROM touchpoint
WHERE offer_id IS NOT NULL AND +"on" >= :start AND +"on" < :next AND +kind NOT IN ({_NOT_A_TOUCH})
ORDER BY "on", id
"""  # the unary + keep the planner on the offer_id index (few rows), not a scan of the log


def _keep_warm_sql() -> str:
    by_role = " ".join(f"WHEN '{role}' THEN {days}" for role, days in sorted(settings.KEEP_WARM_DAYS.items()))
    roles = ", ".join(f"'{role}'" for role in sorted(settings.KEEP_WARM_DAYS)) or "''"
    return f"""
WITH kept AS (
    SELECT c.id, coalesce(c.cadence_days, CASE c.role {by_role} END) AS interval,
        (SELECT substr(t."on", 1, 10) FROM touchpoint t WHERE t.contact_id = c.id AND t."on" < :next
            AND t.kind NOT IN ({_NOT_A_TOUCH}) ORDER BY t."on" DESC LIMIT 1) AS last_on
    FROM contact c
    WHERE NOT c.paused AND c.created_at < :next AND (c.cadence_days IS NOT NULL OR c.role IN ({roles}))
)
SELECT CASE
        WHEN last_on IS NULL THEN 'cold'
        WHEN julianday(:as_of) - julianday(last_on) <= interval THEN 'warm'
        WHEN julianday(:as_of) - julianday(last_on) <= 2 * interval THEN 'cooling'
        ELSE 'cold' END AS warmth,
    group_concat(id)
FROM kept GROUP BY warmth
"""


# An application exists on as_of once it had a round (`crm interview` stamps created_at with
# the real clock, not --on, so the rounds date it), or, with no rounds at all, once created.
# Its stage counts the rounds held and the outcome known by then (an outcome without a date is
# always known).
_APPLICATIONS = """
SELECT a.id, CASE WHEN a.outcome_on IS NULL OR a.outcome_on <= :as_of THEN a.outcome END,
    (SELECT count(*) FROM interview_round r WHERE r.application_id = a.id AND r."on" < :next) AS held,
    EXISTS (SELECT 1 FROM interview_round r WHERE r.application_id = a.id) AS has_rounds
FROM application a
WHERE held > 0 OR (NOT has_rounds AND a.created_at < :next)
ORDER BY a.id
"""


def review(as_of: date, weeks: int = DEFAULT_WEEKS) -> shapes.Review:
    """The `crm review --json` record for the `weeks` weeks ending on `as_of`."""
    start = as_of - timedelta(days=7 * weeks - 1)
    params = {
        "as_of": as_of.isoformat(),
        "start": start.isoformat(),
        "next": (as_of + timedelta(days=1)).isoformat(),
        "reply_days": REPLY_WINDOW_DAYS,
    }

    def rows(sql: str):
        return database.execute_sql(sql, {k: v for k, v in params.items() if f":{k}" in sql}).fetchall()

    counts = {ago: (total, out, inbound) for ago, total, out, inbound in rows(_WEEKLY)}
    replies = {ago: (answered, waiting, expecting) for ago, answered, waiting, expecting in rows(_REPLIES)}
    given = [
        {"touch": touch_id, "on": day, "contact": contact_id, "offer": offer_id}
        for touch_id, day, contact_id, offer_id in rows(_OFFERS_GIVEN)
    ]
    offers_by_week: dict[int, int] = {}
    for item in given:
        ago = (as_of - date.fromisoformat(item["on"])).days // 7
        offers_by_week[ago] = offers_by_week.get(ago, 0) + 1

    week_rows = []
    for ago in range(weeks - 1, -1, -1):
        total, out, inbound = counts.get(ago, (0, 0, 0))
        answered, waiting, expecting = replies.get(ago, (0, 0, 0))
        end = as_of - timedelta(days=7 * ago)
        week_rows.append({
            "start": (end - timedelta(days=6)).isoformat(),
            "end": end.isoformat(),
            "touches": total,
            "outbound": out,
            "inbound": inbound,
            "answered": answered or 0,
            "waiting": waiting or 0,
            "offers_given": offers_by_week.get(ago, 0),
            "expecting_answer": expecting or 0,
        })
    outbound = sum(w["outbound"] for w in week_rows)
    expecting = sum(w["expecting_answer"] for w in week_rows)
    answered = sum(w["answered"] for w in week_rows)
    waiting = sum(w["waiting"] for w in week_rows)

    warmth: dict[str, list[int]] = {name: [] for name in WARMTH}
    for name, ids in rows(_keep_warm_sql()):
        warmth[name] = sorted(int(i) for i in ids.split(",")) if ids else []
    names = _names(i for ids in warmth.values() for i in ids)

    stages: dict[str, list[int]] = {name: [] for name in STAGES}
    for app_id, outcome, held, _has_rounds in rows(_APPLICATIONS):
        stages.setdefault(stage_of(outcome, held), []).append(app_id)

    return {
        "as_of": as_of.isoformat(),
        "start": start.isoformat(),
        "weeks": week_rows,
        "touches": {
            "total": sum(w["touches"] for w in week_rows),
            "outbound": outbound,
            "inbound": sum(w["inbound"] for w in week_rows),
        },
        "replies": {
            "window_days": REPLY_WINDOW_DAYS,
            "outbound": outbound,
            "expecting_answer": expecting,
            "answered": answered,
            "unanswered": expecting - answered - waiting,
            "waiting": waiting,
        },
        "offers_given": {"count": len(given), "touches": given},
        "keep_warm": {
            name: {"count": len(ids), "ids": ids, "contacts": _by_name(ids, names)} for name, ids in warmth.items()
        },
        "applications": {name: {"count": len(ids), "ids": ids} for name, ids in stages.items()},
    }


def _names(ids) -> dict[int, str]:
    from crm.store.applications import contact_names

    return contact_names(ids)


def _by_name(ids: list[int], names: dict[int, str]) -> list[shapes.ContactRef]:
    """The contacts by name (case-insensitive), then id."""
    return sorted(({"id": i, "name": names.get(i, f"#{i}")} for i in ids),
                  key=lambda c: (c["name"].casefold(), c["id"]))


# ---- text ------------------------------------------------------------------------------------


def sparkline(values: Sequence[int]) -> str:
    """One bar per value, scaled to the largest: ▁ for zero (and for all-zero), █ for the maximum."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK_BARS[0] * len(values)
    last = len(SPARK_BARS) - 1
    return "".join(SPARK_BARS[0] if v <= 0 else SPARK_BARS[max(1, round(v * last / top))] for v in values)




def format_review(report: dict) -> str:
    """The review as a few lines of text (what `crm review` prints without --json)."""
    weeks = report["weeks"]
    touches = report["touches"]
    replies = report["replies"]
    counts = [w["touches"] for w in weeks]
    ends_on = WEEKDAYS[date.fromisoformat(report["as_of"]).weekday()]
    label = "1 week" if len(weeks) == 1 else f"{len(weeks)} weeks"
    warmth = report["keep_warm"]
    stages = report["applications"]
    shown = [f"{stages[name]['count']} {name}" for name in STAGES if stages[name]["count"]]
    return "\n".join([
        f"Review of {label}: {report['start']} .. {report['as_of']} (each week ends on a {ends_on})",
        "",
        f"  touches       {sparkline(counts)}  {' '.join(str(c) for c in counts)} per week;"
        f" {touches['outbound']} out, {touches['inbound']} in",
        f"  replies       {replies['answered']} of {replies['expecting_answer']} touches expecting an answer answered;"
        f" {replies['waiting']} still waiting, {replies['unanswered']} unanswered"
        f" ({replies['window_days']}-day window)",
        f"  offers given  {report['offers_given']['count']}",
        "  keep-warm     " + ", ".join(f"{warmth[name]['count']} {name}" for name in WARMTH),
        *[f"    {name:<9} " + ", ".join(clean(c["name"]) for c in warmth[name]["contacts"][:NAMED_IN_TEXT])
          + (f" and {warmth[name]['count'] - NAMED_IN_TEXT} more" if warmth[name]["count"] > NAMED_IN_TEXT else "")
          for name in WARMTH if warmth[name]["count"]],
        "  applications  " + (", ".join(shown) if shown else "none"),
    ])
