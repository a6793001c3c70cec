"""Fingerprints of imported cards (table card_fingerprint, migration m012): how an unchanged
re-import skips reading the cards it has seen.

A row says: the card whose bytes (with the code that reads and joins them, and the phone region)
have `digest` was found, when imported, to join contact `contact_id` by its UID, to change
nothing, and to add nothing to the import's identity keys, while the contact's stored rows had
the digest `state` (`contact_state`). As long as they still have it, importing that card again
does the same: nothing. A cache: no write elsewhere needs to know of it, since any change to the
contact's rows changes its state, and a row that no longer fits is not used. One row a contact
(the last such card), keyed by the contact: a new contact's row is appended, not put somewhere
in an index of random digests.
"""
from __future__ import annotations

import hashlib
import marshal
import sqlite3
from dataclasses import dataclass
from typing import Iterable, Sequence

BATCH = 500  # ids or digests per query


def contact_state(contact: tuple, methods: Sequence[tuple], extras: Sequence[str], interests: Iterable[str]) -> bytes:
    """The digest of one contact's stored card. `contact`: display_name, given_name,
    family_name, additional_names, name_prefix, name_suffix, nickname, name_key, the
    organisation's name and name_key (None, None without one), department, title, role, notes,
    bday_year, bday_month, bday_day, uid; `methods`: (medium, value, norm, kind, label, service)
    in position order; `extras`: lines in position order; `interests`: names."""
    # marshal version 2: equal values give equal bytes (no back-references to shared objects).
    data = marshal.dumps((tuple(contact), tuple(methods), tuple(extras), tuple(sorted(interests))), 2)
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True)
class Stored:
    """A contact's state, and the keys its rows hold (for the identity index)."""

    state: bytes
    display_name: str
    uid: str | None
    name_key: str
    org_key: str  # "" without an organisation
    norms: dict[str, list[str]]  # medium -> the norms of its methods, in order


def _batches(items: Sequence, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def stored_states(conn: sqlite3.Connection, contact_ids: Sequence[int]) -> dict[int, Stored]:
    found: dict[int, Stored] = {}
    for chunk in _batches(sorted(set(contact_ids))):
        marks = ",".join("?" * len(chunk))
        contacts = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT c.id, c.display_name, c.given_name, c.family_name, c.additional_names, c.name_prefix,"
                " c.name_suffix, c.nickname, c.name_key, o.name, o.name_key, c.department, c.title, c.role,"
                " c.notes, c.bday_year, c.bday_month, c.bday_day, c.uid FROM contact c"
                f" LEFT JOIN organisation o ON o.id = c.organisation_id WHERE c.id IN ({marks})",
                chunk,
            )
        }
        methods: dict[int, list[tuple]] = {cid: [] for cid in chunk}
        for cid, *method in conn.execute(
            "SELECT contact_id, medium, value, norm, kind, label, service FROM contact_method"
            f" WHERE contact_id IN ({marks}) ORDER BY contact_id, position, id",
            chunk,
        ):
            methods[cid].append(tuple(method))
        extras: dict[int, list[str]] = {cid: [] for cid in chunk}
        for cid, line in conn.execute(
            f"SELECT contact_id, line FROM extra_property WHERE contact_id IN ({marks})"
            " ORDER BY contact_id, position, id",
            chunk,
        ):
            extras[cid].append(line)
        interests: dict[int, list[str]] = {cid: [] for cid in chunk}
        for cid, name in conn.execute(
            "SELECT ci.contact_id, i.name FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id"
            f" WHERE ci.contact_id IN ({marks})",
            chunk,
        ):
            interests[cid].append(name)
        for cid, contact in contacts.items():
            norms: dict[str, list[str]] = {"email": [], "phone": [], "url": [], "social": []}
            for medium, _value, norm, *_rest in methods[cid]:
                norms.setdefault(medium, []).append(norm)
            found[cid] = Stored(contact_state(contact, methods[cid], extras[cid], interests[cid]),
                                contact[0], contact[17], contact[7], contact[9] or "", norms)
    return found


def on_record(conn: sqlite3.Connection) -> dict[bytes, tuple[int, bytes]]:
    """digest -> (contact id, state) of every fingerprint."""
    return {digest: (cid, state) for cid, digest, state in conn.execute(
        "SELECT contact_id, digest, state FROM card_fingerprint")}


def record(conn: sqlite3.Connection, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
    """Keep (contact id, digest, state) rows, each in place of the contact's last."""
    if rows:
        conn.executemany("INSERT OR REPLACE INTO card_fingerprint (contact_id, digest, state) VALUES (?, ?, ?)", rows)
