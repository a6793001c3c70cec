"""Who is who for an import: the identity keys of every contact, and the join rules applied to
a card (`crm.identity.rules`). Loaded once per file, kept up to date as the file's cards are
stored, so the same person twice in one file is one contact.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Callable

from crm.formats.card import Card, merge_cards
from crm.identity import rules
from crm.identity.rules import Join
from crm.identity.writer import CardKeys, card_keys


class IdentityIndex:
    """Maps from UID, email, phone, profile URL and (name, organisation) to contact id.

    Loaded once per import; cards written during the import are added as they go, so the same
    person twice in one file is one contact. `match` applies the join rules of
    `crm.identity.rules` and says which one joined.
    """

    def __init__(self, conn: sqlite3.Connection, region: str | None = None):
        self.region = region
        self.load: Callable[[int], Card] = _existing_card  # a contact's stored card
        self.by_uid = dict(conn.execute("SELECT uid, id FROM contact WHERE uid IS NOT NULL"))
        self.uid_of = {cid: uid for uid, cid in self.by_uid.items()}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.name_of: dict[int, str] = {}
        for cid, name_key in conn.execute("SELECT id, name_key FROM contact"):
            self.by_name[name_key].append(cid)
            self.name_of[cid] = name_key
        # An address or number may be shared (a family mailbox, a switchboard): all holders kept.
        self.by_email: dict[str, list[int]] = defaultdict(list)
        self.by_phone: dict[str, list[int]] = defaultdict(list)
        self.by_url: dict[str, int] = {}
        for medium, norm, cid in conn.execute(
            "SELECT medium, norm, contact_id FROM contact_method ORDER BY id"
        ):
            if medium == "email":
                _add(self.by_email[norm], cid)
            elif medium == "phone":
                _add(self.by_phone[norm], cid)
            elif "/in/" in norm:  # personal profile URLs identify a person; home pages may be shared
                self.by_url.setdefault(norm, cid)
        self.by_org: dict[str, dict[str, int]] = defaultdict(dict)
        for cid, name_key, org_key_ in conn.execute(
            "SELECT c.id, c.name_key, o.name_key FROM contact c JOIN organisation o ON o.id = c.organisation_id"
        ):
            self.by_org[org_key_].setdefault(_sorted_tokens(name_key), cid)

    def match(self, card: Card, keys: CardKeys | None = None) -> Join | None:
        if card.uid and card.uid in self.by_uid:
            return Join(self.by_uid[card.uid], "uid", card.uid)
        if keys is None:
            keys = card_keys(card, self.region)
        name = keys.name
        for key in keys.emails:
            cid = self._holder(self.by_email.get(key), name)
            if cid is not None:
                return Join(cid, "email", key)
        for key in keys.phones:
            cid = self._holder(self.by_phone.get(key) if len(key) >= 7 else None, name)
            if cid is not None:
                return Join(cid, "phone", key)
        for key in keys.links:
            cid = self.by_url.get(key)
            if cid is not None:
                return Join(cid, "profile", key)
        return self._match_name_at_org(card, name, keys.org) or self._match_same_card(card, name)

    def _holder(self, holders: list[int] | None, name: str) -> int | None:
        if not holders:
            return None
        return rules.pick([(cid, self.name_of.get(cid, "")) for cid in holders], name)

    def _match_same_card(self, card: Card, name: str) -> Join | None:
        """A card with nothing that identifies a person (no UID, email, phone or organisation) is
        still the same contact when a contact of that exact name already holds everything it says:
        re-importing such a card must not create it again."""
        if card.uid or card.emails or card.phones:
            return None
        for cid in self.by_name.get(name, ()):
            existing = self.load(cid)
            if merge_cards(existing, card, other_wins=True) == existing:
                return Join(cid, "same-card", "")
        return None

    def _match_name_at_org(self, card: Card, name: str, org: str) -> Join | None:
        """Rule 4: the same folded name (never a near one) at the same organisation."""
        people = self.by_org.get(org) if card.org else None
        cid = people.get(_sorted_tokens(name)) if people else None
        if cid is None:
            return None
        # Two records whose UIDs differ are two people the source keeps apart (namesakes at one
        # company): a name alone does not join them.
        known = self.uid_of.get(cid)
        if card.uid and known and known != card.uid:
            return None
        return Join(cid, "name-at-org", card.org)

    def remember(self, cid: int, card: Card, keys: CardKeys | None = None) -> None:
        if keys is None:
            keys = card_keys(card, self.region)
        name = keys.name
        if card.uid:
            self.by_uid.setdefault(card.uid, cid)
            self.uid_of.setdefault(cid, card.uid)
        old = self.name_of.get(cid)
        if old is not None and old != name and cid in self.by_name.get(old, ()):
            self.by_name[old].remove(cid)
        _add(self.by_name[name], cid)
        self.name_of[cid] = name
        for key in keys.emails:
            _add(self.by_email[key], cid)
        for key in keys.phones:
            if len(key) >= 7:
                _add(self.by_phone[key], cid)
        for key in keys.links:
            if "/in/" in key:
                self.by_url.setdefault(key, cid)
        if card.org:
            self.by_org[keys.org].setdefault(_sorted_tokens(name), cid)

    def forget(self, cid: int, card: Card, keys: CardKeys) -> None:
        """Undo `remember` of a contact that was new (its rows were rolled back)."""
        if self.by_uid.get(card.uid) == cid:
            del self.by_uid[card.uid]
        self.uid_of.pop(cid, None)
        self.name_of.pop(cid, None)
        for holders in (self.by_name.get(keys.name), *map(self.by_email.get, keys.emails),
                        *map(self.by_phone.get, keys.phones)):
            if holders and cid in holders:
                holders.remove(cid)
        for key in keys.links:
            if self.by_url.get(key) == cid:
                del self.by_url[key]
        people = self.by_org.get(keys.org) if card.org else None
        if people and people.get(_sorted_tokens(keys.name)) == cid:
            del people[_sorted_tokens(keys.name)]


def _add(holders: list[int], cid: int) -> None:
    if cid not in holders:
        holders.append(cid)


def _sorted_tokens(name_key: str) -> str:
    return " ".join(sorted(name_key.split()))


def _existing_card(cid: int) -> Card:
    from crm.store.contacts import iter_cards

    return next(iter_cards([cid]))[1]
