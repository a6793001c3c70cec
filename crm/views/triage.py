"""`crm triage`: the contacts still `other` (not on keep-warm), most promising first, so a user
can give them roles in bulk (`crm edit A B C --role peer`).

Most promising: the most touches (either direction, notes aside), then the latest touch, then
those with a title, then with an organisation; ties by name, then id. One query.
"""
from __future__ import annotations

from crm import shapes
from crm.store.models import database

_TRIAGE = """
SELECT c.id, c.display_name, c.title, o.name,
    (SELECT count(*) FROM touchpoint t WHERE t.contact_id = c.id AND t.kind != 'note') AS touches,
    (SELECT max(substr(t."on", 1, 10)) FROM touchpoint t WHERE t.contact_id = c.id AND t.kind != 'note') AS last_on,
    (SELECT group_concat(i.name, char(31)) FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id
     WHERE ci.contact_id = c.id) AS interests
FROM contact c LEFT JOIN organisation o ON o.id = c.organisation_id
WHERE c.role = 'other' AND c.cadence_days IS NULL
ORDER BY touches DESC, last_on IS NULL, last_on DESC, c.title = '', o.name IS NULL, lower(c.display_name), c.id
"""


def triage_rows(limit: int | None = None) -> list[shapes.TriageRow]:
    """The `crm triage --json` records, most promising first."""
    rows = database.execute_sql(_TRIAGE + ("" if limit is None else f" LIMIT {int(limit)}")).fetchall()
    return [
        {
            "id": cid,
            "name": name,
            "title": title or None,
            "org": org,
            "touches": touches,
            "last_touch": last_on,
            "interests": sorted(interests.split("\x1f"), key=str.casefold) if interests else [],
        }
        for cid, name, title, org, touches, last_on, interests in rows
    ]
