"""The fields crm owns on a card, their fingerprint, and the three-way merge of a card changed
on both sides. Pure: cards in, cards out.

Multi-valued fields (emails, phones, URLs, profiles, interests) merge as sets against the last
synced card: what either side added is kept, what one side removed (and the other left as it
was) goes. A single field changed on both sides to different values keeps the local value; the
server's is returned as a `FieldConflict` for the caller to record in the contact's history.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Callable

from crm.formats.card import Card
from crm.text import fold, method_key

SINGLE_FIELDS = ("display_name", "given_name", "family_name", "additional_names", "name_prefix", "name_suffix",
                 "nickname", "org", "department", "title", "role", "note", "birthday")
MULTI_FIELDS = {"emails": "email", "phones": "phone", "urls": "url", "socials": "social"}
FIELD_LABELS = {"display_name": "name", "given_name": "given name", "family_name": "family name",
                "additional_names": "middle names", "name_prefix": "name prefix", "name_suffix": "name suffix",
                "org": "organisation", "note": "note", "birthday": "birthday"}


@dataclass(frozen=True)
class FieldConflict:
    field: str
    local: str
    server: str


def _show(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "iso"):
        return value.iso()
    return str(value)


def fingerprint(card: Card) -> str:
    """A digest of the fields crm maps: equal for cards that say the same there (categories
    compared folded, as a set). Built from tuples: every sync fingerprints every contact."""
    parts: list = [_show(getattr(card, name)) for name in SINGLE_FIELDS]
    parts += [tuple((t.value, t.kind, t.label, t.service) for t in getattr(card, name)) for name in MULTI_FIELDS]
    parts.append(tuple(sorted({fold(c) for c in card.categories if c.strip()})))
    return hashlib.sha1(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _merge_list(base: list, local: list, server: list, key: Callable) -> list:
    base_keys = {key(x) for x in base}
    local_keys = {key(x) for x in local}
    server_keys = {key(x) for x in server}
    merged = [x for x in local if key(x) in server_keys or key(x) not in base_keys]
    merged += [x for x in server if key(x) not in local_keys and key(x) not in base_keys]
    seen: set = set()
    unique = []
    for item in merged:
        if key(item) not in seen:
            seen.add(key(item))
            unique.append(item)
    return unique


def merge3(base: Card, local: Card, server: Card) -> tuple[Card, list[FieldConflict]]:
    """One card from a local and a server version that both changed since `base` (an empty
    Card when there is none: a first sync joining two records of one person)."""
    merged = replace(local)
    conflicts: list[FieldConflict] = []
    for name in SINGLE_FIELDS:
        was, mine, theirs = _show(getattr(base, name)), _show(getattr(local, name)), _show(getattr(server, name))
        if mine == theirs or theirs == was or (name == "role" and not theirs):
            continue  # same on both sides, or the server left it alone (or has none of our role)
        if mine == was or not mine:
            setattr(merged, name, getattr(server, name))  # only the server changed it, or we had nothing
            continue
        if theirs:  # both changed it: ours stays, theirs goes to the history
            conflicts.append(FieldConflict(FIELD_LABELS.get(name, name), mine, theirs))
    for name, medium in MULTI_FIELDS.items():
        setattr(merged, name, _merge_list(getattr(base, name), getattr(local, name), getattr(server, name),
                                          lambda t, medium=medium: method_key(medium, t.value)))
    merged.categories = _merge_list(base.categories, local.categories, server.categories, fold)
    merged.uid = local.uid
    return merged, conflicts


def take_server(local: Card, server: Card) -> Card:
    """Local unchanged since the last sync: the server's fields win whole (our role and UID stay
    when the server's card has none of its own)."""
    return replace(server, uid=local.uid, role=server.role or local.role, extra=server.extra)

