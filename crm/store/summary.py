"""The tables derived from the log: the per-contact touch summary (contact_summary and
offer_given, migration m009: what `crm today` reads) and the review summary (touch_day,
expected_reply and reply_day, m011: what `crm review` reads).

Triggers on touchpoint (and on expected_reply, for reply_day) keep them all in the same
transaction as every write to the log; this module only states, from the log itself, what they
must hold, so `crm check` can compare the two (and a repair can rebuild them). The kinds are the
ones m009 and m011 froze.
"""
from __future__ import annotations

import sqlite3

from crm.store.migrations import EXPECTED_REPLIES_M011 as EXPECTED_REPLIES
from crm.store.migrations import KEEP_WARM_M009 as _KEEP_WARM, NOT_A_TOUCH_M009 as _NOT_A_TOUCH
from crm.store.migrations import REPLY_DAYS_M011 as EXPECTED_REPLY_DAYS
from crm.store.migrations import TOUCH_DAYS_M011 as EXPECTED_TOUCH_DAYS

SUMMARY_COLUMNS = ("contact_id", "last_on", "last_out_on", "last_in_on", "keep_warm_from",
                   "last_congratulate_on", "first_connect_on")

# What contact_summary must hold: one row per contact with a counted touch.
EXPECTED_SUMMARY = f"""
SELECT contact_id, MAX("on"), MAX(CASE WHEN direction = 'out' THEN "on" END),
    MAX(CASE WHEN direction = 'in' THEN "on" END),
    (SELECT t."on" FROM touchpoint t WHERE t.contact_id = l.contact_id AND t.direction = 'out'
        AND t.kind IN {_KEEP_WARM} ORDER BY t."on" DESC LIMIT 1 OFFSET 1),
    MAX(CASE WHEN direction = 'out' AND kind = 'congratulate' THEN "on" END),
    MIN(CASE WHEN kind = 'connect' THEN "on" END)
FROM touchpoint l WHERE kind NOT IN {_NOT_A_TOUCH} GROUP BY contact_id
"""

# What offer_given must hold: when each offer was first given to each contact.
EXPECTED_GIVEN = f"""
SELECT contact_id, offer_id, MIN("on") FROM touchpoint
WHERE offer_id IS NOT NULL AND kind NOT IN {_NOT_A_TOUCH} GROUP BY contact_id, offer_id
"""


def stale_contacts(conn: sqlite3.Connection) -> list[int]:
    """Ids of the contacts whose stored summary (or offers given) disagrees with their log."""
    columns = ", ".join(SUMMARY_COLUMNS)
    rows = conn.execute(f"""
        WITH expected AS ({EXPECTED_SUMMARY}), stored AS (SELECT {columns} FROM contact_summary),
        expected_given AS ({EXPECTED_GIVEN}), stored_given AS (SELECT contact_id, offer_id, first_on FROM offer_given)
        SELECT contact_id FROM (SELECT * FROM expected EXCEPT SELECT * FROM stored)
        UNION SELECT contact_id FROM (SELECT * FROM stored EXCEPT SELECT * FROM expected)
        UNION SELECT contact_id FROM (SELECT * FROM expected_given EXCEPT SELECT * FROM stored_given)
        UNION SELECT contact_id FROM (SELECT * FROM stored_given EXCEPT SELECT * FROM expected_given)
        ORDER BY contact_id""").fetchall()
    return [row[0] for row in rows]


TOUCH_DAY_COLUMNS = ("day", "touches", "outbound", "inbound")
REPLY_COLUMNS = ("touch_id", "contact_id", "out_on", "reply_on", "next_out_on")
REPLY_DAY_COLUMNS = ("day", "asks", "answered")
# From m011, which builds the tables with them: EXPECTED_TOUCH_DAYS, what touch_day must hold
# (one row per day with a counted touch); EXPECTED_REPLIES, what expected_reply must hold (one
# row per outbound touch expecting an answer); EXPECTED_REPLY_DAYS, what reply_day must hold:
# the sums per day of expected_reply (which the log holds to).


def _differ(conn: sqlite3.Connection, expected: str, table: str, columns: tuple[str, ...], key: str) -> list:
    """The `key` of every row that is in `table` or in `expected` but not in both, ascending.
    Each side has its rows once (a primary key): a row found once in both together is a row
    of one side only. One pass over each (the log's side is a window over the whole log)."""
    names = ", ".join(columns)
    rows = conn.execute(f"""
        WITH expected ({names}) AS ({expected})
        SELECT DISTINCT {key} FROM (SELECT {names} FROM expected UNION ALL SELECT {names} FROM {table})
        GROUP BY {names} HAVING count(*) = 1 ORDER BY 1""").fetchall()
    return [row[0] for row in rows]


def stale_touch_days(conn: sqlite3.Connection) -> list[str]:
    """The days whose stored touch counts (touch_day) disagree with the log."""
    return _differ(conn, EXPECTED_TOUCH_DAYS, "touch_day", TOUCH_DAY_COLUMNS, "day")


def stale_replies(conn: sqlite3.Connection) -> list[int]:
    """Ids of the contacts whose stored expected replies disagree with their log."""
    return _differ(conn, EXPECTED_REPLIES, "expected_reply", REPLY_COLUMNS, "contact_id")


def stale_reply_days(conn: sqlite3.Connection) -> list[str]:
    """The days whose stored reply counts (reply_day) disagree with expected_reply."""
    return _differ(conn, EXPECTED_REPLY_DAYS, "reply_day", REPLY_DAY_COLUMNS, "day")


def rebuild(conn: sqlite3.Connection) -> None:
    """Recompute every derived table from the log (the caller holds the transaction). reply_day
    comes last: the triggers on expected_reply keep it only as right as it was."""
    for table, columns, expected in (
        ("contact_summary", SUMMARY_COLUMNS, EXPECTED_SUMMARY),
        ("offer_given", ("contact_id", "offer_id", "first_on"), EXPECTED_GIVEN),
        ("touch_day", TOUCH_DAY_COLUMNS, EXPECTED_TOUCH_DAYS),
        ("expected_reply", REPLY_COLUMNS, EXPECTED_REPLIES),
        ("reply_day", REPLY_DAY_COLUMNS, EXPECTED_REPLY_DAYS),
    ):
        conn.execute(f"DELETE FROM {table}")
        conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) {expected}")
