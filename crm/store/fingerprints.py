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

from crm.store.bulk import insert_rows
from crm.store.contacts import StoredRows


def contact_state(contact: tuple, methods: Sequence[tuple], extras: Sequence[str], interests: Iterable[str]) -> bytes:
    """The digest of one contact's stored card. `contact`: display_name, given_name,
    family_name, additional_names, name_prefix, name_suffix, nickname, name_key, the
    organisation's name and name_key (None, None without one), department, title, role, notes,
    bday_year, bday_month, bday_day, uid; `methods`: (medium, value, norm, kind, label, service)
    in position order; `extras`: lines in position order; `interests`: names."""
    # marshal version 2: equal values give equal bytes (no back-references to shared objects).
    data = marshal.dumps((tuple(contact), tuple(methods), tuple(extras),
                          tuple(sorted(interests)) if interests else ()), 2)
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


def stored_state(rows: StoredRows) -> Stored:
    norms: dict[str, list[str]] = {"email": [], "phone": [], "url": [], "social": []}
    for medium, _value, norm, *_rest in rows.methods:
        norms.setdefault(medium, []).append(norm)
    contact = rows.contact
    return Stored(contact_state(contact, rows.methods, rows.extras, rows.interests),
                  contact[0], contact[17], contact[7], contact[9] or "", norms)


def on_record(conn: sqlite3.Connection) -> dict[bytes, tuple[int, bytes]]:
    """digest -> (contact id, state) of every fingerprint."""
    return {digest: (cid, state) for cid, digest, state in conn.execute(
        "SELECT contact_id, digest, state FROM card_fingerprint")}


def record(conn: sqlite3.Connection, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
    """Keep (contact id, digest, state) rows, each in place of the contact's last."""
    insert_rows(conn, "INSERT OR REPLACE INTO card_fingerprint (contact_id, digest, state) VALUES (?, ?, ?)", rows)
