"""The weekly review: what your networking added up to, week by week, as of a date.

`review(as_of, weeks)` reads the bound database with a handful of queries, over the tables that
triggers keep from the log (per-day counts, each outbound touch's reply: migration m011; each
contact's last touch: m009) rather than the log itself, and returns the JSON-ready dict `crm
review --json` prints; `format_review` turns it into text. The definitions, and the JSON
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

from collections import Counter
from datetime import date, timedelta
from typing import Sequence

from crm import shapes
from crm.cadence import settings
from crm.dates import WEEKDAYS
from crm.store.applications import RESULTS, stage_of
from crm.render import clean
from crm.store.models import Contact, database

REPLY_WINDOW_DAYS = 30  # an inbound touch later than this does not answer an outbound one (frozen in m011)
DEFAULT_WEEKS = 8
MAX_WEEKS = 520
WARMTH = ("warm", "cooling", "cold")
STAGES: tuple[str, ...] = ("applied", "interviewing", *RESULTS)
SPARK_BARS = "▁▂▃▄▅▆▇█"

_NOT_A_TOUCH = settings.NOT_A_TOUCH_SQL
_NAME = Contact.display_name  # a name that is not text comes out as text, as the model reads it
NAMED_IN_TEXT = 5  # contacts named per warmth in the text review (JSON names them all)

# Weeks ago (0: the week ending on as_of) for a 'YYYY-MM-DD' expression.
_AGO = "CAST((julianday(:as_of) - julianday({day})) / 7 AS INTEGER)"

# Touches per week, from the day counts of touch_day (migration m011, kept by triggers on
# touchpoint): one row per day of the window, not the touches themselves.
_WEEKLY = f"""
SELECT {_AGO.format(day='day')} AS ago, sum(touches), sum(outbound), sum(inbound)
FROM touch_day WHERE day >= :start AND day < :next
GROUP BY ago
"""

# Replies, from m011's tables. expected_reply has one row per outbound touch expecting an
# answer, with the day of its reply (the first touch of the contact's reply log after it, when
# inbound) and of the next such outbound touch, whenever they came: here a reply or a next touch
# dated after as_of does not exist yet. A touch more than REPLY_WINDOW_DAYS before as_of is
# answered exactly when its reply came within the window, and cannot be waiting: reply_day
# counts those per day, so only the last REPLY_WINDOW_DAYS + 1 days are read touch by touch
# (from the covering index on out_on, grouped by day in index order).
_REPLIES = f"""
WITH judged AS (
    SELECT out_on,
        CASE WHEN reply_on < :next THEN julianday(reply_on) - julianday(out_on) <= :reply_days ELSE 0 END AS answered,
        coalesce(next_out_on < :next, 0) AS followed
    FROM expected_reply WHERE out_on >= :recent AND out_on < :next
), days (out_on, answered, open, expecting) AS (
    SELECT day, answered, 0, asks FROM reply_day WHERE day >= :start AND day < :recent
    UNION ALL
    SELECT out_on, sum(answered), sum(NOT answered AND NOT followed), count(*) FROM judged GROUP BY out_on
)
SELECT {_AGO.format(day='out_on')} AS ago, sum(answered),
    sum(CASE WHEN julianday(:as_of) - julianday(out_on) <= :reply_days THEN open ELSE 0 END), sum(expecting)
FROM days GROUP BY ago
"""

# The offers given in the window, from the partial index touchpoint_offer_on (m011: only the
# touches that carry an offer, by date), in log order.
_OFFERS_GIVEN = f"""
SELECT id, substr("on", 1, 10), contact_id, offer_id FROM touchpoint INDEXED BY touchpoint_offer_on
WHERE offer_id IS NOT NULL AND "on" >= :start AND "on" < :next AND kind NOT IN ({_NOT_A_TOUCH})
ORDER BY "on", id
"""


def _keep_warm_sql() -> str:
    """Each keep-warm contact's id, name and warmth. The candidates come from the partial index
    contact_keep_warm (m009; `other` has no interval), their last touch from contact_summary
    (m009) when it is dated on or before as_of, else from the log."""
    by_role = " ".join(f"WHEN '{role}' THEN {days}" for role, days in sorted(settings.KEEP_WARM_DAYS.items()))
    roles = ", ".join(f"'{role}'" for role in sorted(settings.KEEP_WARM_DAYS)) or "''"
    return f"""
WITH kept AS (
    SELECT c.id, c.display_name, coalesce(c.cadence_days, CASE c.role {by_role} END) AS interval,
        CASE WHEN s.last_on IS NULL THEN NULL WHEN s.last_on < :next THEN substr(s.last_on, 1, 10) ELSE
            (SELECT substr(t."on", 1, 10) FROM touchpoint t WHERE t.contact_id = c.id AND t."on" < :next
                AND t.kind NOT IN ({_NOT_A_TOUCH}) ORDER BY t."on" DESC LIMIT 1) END AS last_on
    FROM contact c INDEXED BY contact_keep_warm LEFT JOIN contact_summary s ON s.contact_id = c.id
    WHERE (c.role != 'other' OR c.cadence_days IS NOT NULL)
      AND NOT c.paused AND c.created_at < :next AND (c.cadence_days IS NOT NULL OR c.role IN ({roles}))
)
SELECT id, display_name, CASE
        WHEN last_on IS NULL THEN 'cold'
        WHEN julianday(:as_of) - julianday(last_on) <= interval THEN 'warm'
        WHEN julianday(:as_of) - julianday(last_on) <= 2 * interval THEN 'cooling'
        ELSE 'cold' END
FROM kept ORDER BY id
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
        # The first day whose outbound touches may still be waiting, or be answered after as_of.
        "recent": max(start, as_of - timedelta(days=REPLY_WINDOW_DAYS)).isoformat(),
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
    for day, count in Counter(item["on"] for item in given).items():
        ago = (as_of - date.fromisoformat(day)).days // 7
        offers_by_week[ago] = offers_by_week.get(ago, 0) + count

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
    names: dict[str, list[str]] = {name: [] for name in WARMTH}
    for contact_id, name, warm in rows(_keep_warm_sql()):  # by id
        warmth[warm].append(contact_id)
        names[warm].append(name if name.__class__ is str else _NAME.python_value(name))

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
            name: {"count": len(ids), "ids": ids, "contacts": _by_name(ids, names[name])} for name, ids in warmth.items()
        },
        "applications": {name: {"count": len(ids), "ids": ids} for name, ids in stages.items()},
    }


def _by_name(ids: list[int], names: list[str]) -> list[shapes.ContactRef]:
    """The contacts (`ids` and their `names`) by name (case-insensitive), then id."""
    return [{"id": i, "name": name} for _key, i, name in sorted(zip(map(str.casefold, names), ids, names))]


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
