"""The per-contact touch summary (tables contact_summary and offer_given, migration m009).

Triggers on touchpoint keep both tables in the same transaction as every write to the log; this
module only states, from the log itself, what they must hold, so `crm check` can compare the two
(and a repair can rebuild them). The kinds are the ones m009 froze.
"""
from __future__ import annotations

import sqlite3

from crm.store.migrations import KEEP_WARM_M009 as _KEEP_WARM, NOT_A_TOUCH_M009 as _NOT_A_TOUCH

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


def rebuild(conn: sqlite3.Connection) -> None:
    """Recompute both tables from the log (the caller holds the transaction)."""
    conn.execute("DELETE FROM contact_summary")
    conn.execute(f"INSERT INTO contact_summary ({', '.join(SUMMARY_COLUMNS)}) {EXPECTED_SUMMARY}")
    conn.execute("DELETE FROM offer_given")
    conn.execute(f"INSERT INTO offer_given (contact_id, offer_id, first_on) {EXPECTED_GIVEN}")
