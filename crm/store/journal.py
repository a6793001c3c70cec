"""The merge journal: every join of two records of one person, with what it takes to undo it.

A join is written by `crm merge` (a contact absorbed into another) or by an import that added a
card's values to an existing contact (a card absorbed). Each entry keeps the kept contact's card
just before and just after the join, the absorbed record's card and row, and the rows it brought
(touchpoints, application and interview roles, offers). `unmerge` is a three-way undo: a field of
the kept contact goes back only if it still holds what the join put there, so later edits stay.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from crm import shapes
from crm.errors import InvalidInput, NotFound
from crm.formats.card import Birthday, Card, Typed
from crm.store.models import Contact, database
from crm.text import interest_key, method_key

_LISTS = ("emails", "phones", "urls", "socials")
_MEDIUM = {"emails": "email", "phones": "phone", "urls": "url", "socials": "social"}
_SCALARS = tuple(f.name for f in fields(Card) if f.name not in _LISTS + ("categories", "extra"))
_ROW = ("role", "cadence_days", "snoozed_until", "paused", "created_at")


_FIELDS = tuple(f.name for f in fields(Card))


def card_to_json(card: Card) -> dict:
    """`dataclasses.asdict(card)`, written out: an import journals every card it changes, and
    asdict's generic deep copy was most of that."""
    data: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(card, name)
        if name in _LISTS:
            value = [{"value": t.value, "kind": t.kind, "label": t.label, "service": t.service} for t in value]
        elif name == "birthday":
            value = None if value is None else {"month": value.month, "day": value.day, "year": value.year}
        elif isinstance(value, list):
            value = list(value)
        data[name] = value
    return data


def card_from_json(data: dict) -> Card:
    values = dict(data)
    for name in _LISTS:
        values[name] = [Typed(**t) for t in values.get(name, [])]
    if values.get("birthday"):
        values["birthday"] = Birthday(**values["birthday"])
    return Card(**values)


@dataclass(frozen=True)
class Brought:
    """The rows an absorbed contact brought to the kept one (ids), to hand back on unmerge."""

    touchpoints: tuple[int, ...] = ()
    recruiter_of: tuple[int, ...] = ()  # application ids
    rounds: tuple[tuple[int, bool], ...] = ()  # (round id, the kept contact was in it already)
    offers_for: tuple[int, ...] = ()
    offers_introducing: tuple[int, ...] = ()
    interest_notes: tuple[tuple[str, str], ...] = ()  # (interest name, note)


def brought_by(absorbed_id: int, kept_id: int) -> Brought:
    """What `absorbed_id` holds that a merge into `kept_id` moves (read before the merge)."""
    conn = database.connection()

    def ids(sql: str) -> tuple[int, ...]:
        return tuple(i for (i,) in conn.execute(sql, (absorbed_id,)))

    kept_rounds = {r for (r,) in conn.execute("SELECT round_id FROM round_interviewer WHERE contact_id = ?", (kept_id,))}
    return Brought(
        touchpoints=ids("SELECT id FROM touchpoint WHERE contact_id = ?"),
        recruiter_of=ids("SELECT id FROM application WHERE recruiter_id = ?"),
        rounds=tuple((r, r in kept_rounds) for r in ids("SELECT round_id FROM round_interviewer WHERE contact_id = ?")),
        offers_for=ids("SELECT id FROM offer WHERE for_contact_id = ?"),
        offers_introducing=ids("SELECT id FROM offer WHERE introduce_id = ?"),
        interest_notes=tuple(conn.execute(
            "SELECT i.name, ci.note FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id"
            " WHERE ci.contact_id = ? AND ci.note != ''", (absorbed_id,))),
    )


def rows_as_dicts(cursor) -> list[dict]:
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def record(*, at: str, kept_id: int, before: Card, after: Card, absorbed: Card, reason: str, evidence: str,
           source: str, absorbed_id: int | None = None, absorbed_row: dict | None = None,
           kept_role: tuple[str, str] | None = None, brought: Brought = Brought(),
           dropped_touchpoints: list[dict] = ()) -> int:
    """Write one journal entry (inside the caller's transaction); returns its id.
    `dropped_touchpoints`: whole rows the join deleted (a mail message both had), put back on undo."""
    undo = {
        "before": card_to_json(before),
        "after": card_to_json(after),
        "absorbed": card_to_json(absorbed),
        "absorbed_row": absorbed_row,
        "kept_role": list(kept_role) if kept_role else None,  # (before, after)
        "brought": asdict(brought),
        "dropped_touchpoints": list(dropped_touchpoints),
    }
    return database.connection().execute(
        "INSERT INTO merge_journal (at, source, kept_id, kept_name, absorbed_id, absorbed_name, reason, evidence, undo)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, source, kept_id, after.display_name, absorbed_id, absorbed.display_name, reason, evidence,
         json.dumps(undo, ensure_ascii=False, default=str)),
    ).lastrowid


def add_touchpoint(entry_id: int, touchpoint_id: int) -> None:
    """The join's card brought this touchpoint (an import's LinkedIn connection): unmerge moves it."""
    conn = database.connection()
    undo = json.loads(conn.execute("SELECT undo FROM merge_journal WHERE id = ?", (entry_id,)).fetchone()[0])
    undo["brought"]["touchpoints"].append(touchpoint_id)
    conn.execute("UPDATE merge_journal SET undo = ? WHERE id = ?", (json.dumps(undo, ensure_ascii=False), entry_id))


def journal_rows() -> list[shapes.MergeEntry]:
    """The `crm merges --json` records, oldest first."""
    rows = database.connection().execute(
        "SELECT id, at, source, kept_id, kept_name, absorbed_id, absorbed_name, reason, evidence, undone_at"
        " FROM merge_journal ORDER BY id"
    )
    return [
        {"id": i, "date": at, "source": source, "kept": {"id": kept_id, "name": kept_name},
         "absorbed": {"id": absorbed_id, "name": absorbed_name}, "reason": reason, "evidence": evidence or None,
         "undone_at": undone_at}
        for i, at, source, kept_id, kept_name, absorbed_id, absorbed_name, reason, evidence, undone_at in rows
    ]


def _keys(card: Card, name: str) -> set[str]:
    return {method_key(_MEDIUM[name], t.value) for t in getattr(card, name)}


def undo_card(current: Card, before: Card, after: Card) -> Card:
    """`current` without what the join brought: each field the join changed goes back to its
    value before the join, unless it was changed again since; values the join added go."""
    restored = Card(**{f.name: getattr(current, f.name) for f in fields(Card)})
    for name in _SCALARS:
        if getattr(before, name) != getattr(after, name) and getattr(current, name) == getattr(after, name):
            setattr(restored, name, getattr(before, name))
    for name in _LISTS:
        added = _keys(after, name) - _keys(before, name)
        medium = _MEDIUM[name]
        setattr(restored, name, [t for t in getattr(current, name) if method_key(medium, t.value) not in added])
    added_tags = {interest_key(c) for c in after.categories} - {interest_key(c) for c in before.categories}
    restored.categories = [c for c in current.categories if interest_key(c) not in added_tags]
    added_lines = set(after.extra) - set(before.extra)
    restored.extra = [line for line in current.extra if line not in added_lines]
    return restored


def unmerge(entry_id: int, now: str, region: str | None = None) -> tuple[int, int]:
    """Undo journal entry `entry_id` in one transaction: the kept contact loses what the join
    brought, and the absorbed record is a contact again with its fields, methods, interests,
    touchpoints and application roles. Returns (kept id, restored id)."""
    from crm.store.contacts import apply_card, contact_to_card, new_uid

    with database.atomic():
        conn = database.connection()
        row = conn.execute("SELECT kept_id, absorbed_id, undo, undone_at FROM merge_journal WHERE id = ?",
                           (entry_id,)).fetchone()
        if row is None:
            raise NotFound(f"no merge has id {entry_id}; see `crm merges`")
        kept_id, absorbed_id, undo_text, undone_at = row
        if undone_at:
            raise InvalidInput(f"merge #{entry_id} was already undone on {undone_at[:10]}")
        kept = Contact.get_or_none(Contact.id == kept_id)
        if kept is None:
            raise InvalidInput(f"merge #{entry_id} cannot be undone: the kept contact #{kept_id} was removed")
        undo: dict[str, Any] = json.loads(undo_text)
        before, after = card_from_json(undo["before"]), card_from_json(undo["after"])
        absorbed = card_from_json(undo["absorbed"])
        apply_card(kept, undo_card(contact_to_card(kept), before, after), now, region)
        if undo["kept_role"] and kept.role == undo["kept_role"][1]:
            kept.role = undo["kept_role"][0]
            kept.save()
        free = absorbed_id is not None and Contact.get_or_none(Contact.id == absorbed_id) is None
        row_values = undo["absorbed_row"] or {"created_at": now}
        new_id = conn.execute(
            "INSERT INTO contact (id, display_name, name_key, created_at, updated_at) VALUES (?, '', '', ?, ?)",
            (absorbed_id if free else None, row_values["created_at"], now),
        ).lastrowid
        if not absorbed.uid or conn.execute("SELECT 1 FROM contact WHERE uid = ?", (absorbed.uid,)).fetchone():
            absorbed.uid = new_uid()
        restored = Contact.get_by_id(new_id)
        apply_card(restored, absorbed, now, region)
        for column in _ROW[:4]:
            if column in row_values:
                conn.execute(f"UPDATE contact SET {column} = ? WHERE id = ?", (row_values[column], new_id))
        brought = undo["brought"]
        moves = (("touchpoint", "contact_id", "touchpoints"), ("application", "recruiter_id", "recruiter_of"),
                 ("offer", "for_contact_id", "offers_for"), ("offer", "introduce_id", "offers_introducing"))
        for table, column, key in moves:
            for rid in brought[key]:
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ? AND {column} = ?", (new_id, rid, kept_id))
        for row in undo.get("dropped_touchpoints", []):
            values = {**row, "contact_id": new_id}
            if conn.execute("SELECT 1 FROM touchpoint WHERE id = ?", (values["id"],)).fetchone():
                values.pop("id")
            columns = ", ".join(f'"{c}"' for c in values)
            conn.execute(f"INSERT INTO touchpoint ({columns}) VALUES ({', '.join('?' * len(values))})",
                         tuple(values.values()))
        for round_id, kept_was_there in brought["rounds"]:
            conn.execute("INSERT OR IGNORE INTO round_interviewer (round_id, contact_id) VALUES (?, ?)",
                         (round_id, new_id))
            if not kept_was_there:
                conn.execute("DELETE FROM round_interviewer WHERE round_id = ? AND contact_id = ?", (round_id, kept_id))
        for name, note in brought["interest_notes"]:
            conn.execute(
                "UPDATE contact_interest SET note = ? WHERE contact_id = ?"
                " AND interest_id IN (SELECT id FROM interest WHERE name_key = ?)", (note, new_id, interest_key(name)))
        conn.execute("UPDATE merge_journal SET undone_at = ? WHERE id = ?", (now, entry_id))
    return kept_id, new_id
