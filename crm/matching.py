"""Likely duplicates (blocking + rapidfuzz scoring) and merging two contacts into one.

Finding duplicates never compares all pairs: each contact gets a few blocking keys (phonetic
codes of its name tokens, paired; its phone numbers; its email local part), and only contacts
sharing a key are scored. Scores combine name similarity (token-order insensitive, accents and
case folded) with supporting evidence: the same organisation, email domain or phone.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Iterable

from crm.models import database
from crm.text import fold

DEFAULT_THRESHOLD = 85
MAX_BLOCK = 60  # a block bigger than this is too common a key to say anything (e.g. "J500 S530")
FREE_MAIL = frozenset(
    "gmail.com googlemail.com yahoo.com yahoo.co.uk hotmail.com outlook.com live.com msn.com icloud.com "
    "me.com mac.com aol.com gmx.de gmx.net web.de proton.me protonmail.com mail.ru yandex.ru".split()
)

_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556", "aeiouyhw")
_WORD = re.compile(r"[a-z0-9]+")


def phonetic(token: str) -> str:
    """American Soundex (first letter + three digits) of an already-folded token."""
    token = "".join(ch for ch in token if "a" <= ch <= "z")
    if not token:
        return ""
    first = token[0]
    digits = []
    last = first.translate(_SOUNDEX)
    for ch in token[1:]:
        code = ch.translate(_SOUNDEX)
        if ch in "hw":
            continue
        if code and code != last:
            digits.append(code)
        last = code
    return (first + "".join(digits) + "000")[:4]


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    key: str  # folded display name
    org: str  # folded organisation name, or ""
    emails: frozenset[str]
    phones: frozenset[str]


@dataclass(frozen=True)
class DuplicatePair:
    a: Person
    b: Person
    score: int
    evidence: tuple[str, ...]

    def as_json(self) -> dict:
        return {
            "a": {"id": self.a.id, "name": self.a.name},
            "b": {"id": self.b.id, "name": self.b.name},
            "score": self.score,
            "evidence": list(self.evidence),
        }


def blocking_keys(person: Person) -> set[str]:
    tokens = [t for t in _WORD.findall(person.key) if len(t) > 1][:4]
    codes = sorted({phonetic(t) for t in tokens})
    keys = {f"n:{a}:{b}" for a, b in combinations(codes, 2)}
    if len(codes) == 1:
        keys.add(f"n:{codes[0]}")
    for token in tokens:  # a typo that changes one token's code still leaves the other's
        if person.org:
            keys.add(f"o:{phonetic(token)}:{person.org}")
    for email in person.emails:
        local, _, domain = email.partition("@")
        keys.add(f"l:{local}")
        if domain not in FREE_MAIL:
            for token in tokens:
                keys.add(f"d:{phonetic(token)}:{domain}")
    for phone in person.phones:
        keys.add(f"p:{phone}")
    return keys


def score_pair(a: Person, b: Person) -> tuple[int, tuple[str, ...]]:
    from rapidfuzz import fuzz

    name_score = fuzz.token_sort_ratio(a.key, b.key)
    evidence = [f"names {round(name_score)}% alike"]
    score = name_score
    shared_emails = a.emails & b.emails
    shared_phones = a.phones & b.phones
    if shared_emails:
        evidence.append("same email " + ", ".join(sorted(shared_emails)))
        score = 100
    if shared_phones:
        evidence.append("same phone (ending " + ", ".join(sorted(p[-4:] for p in shared_phones)) + ")")
        score += 10
    if a.org and a.org == b.org:
        evidence.append(f"same organisation ({a.org})")
        score += 5
    domains = {e.partition("@")[2] for e in a.emails} & {e.partition("@")[2] for e in b.emails}
    domains -= FREE_MAIL
    if domains and not shared_emails:
        evidence.append("same email domain " + ", ".join(sorted(domains)))
        score += 5
    if name_score < 60 and not (shared_emails or shared_phones):
        score = min(score, 59)  # organisation or domain alone never makes two people one
    return min(100, round(score)), tuple(evidence)


def load_people() -> list[Person]:
    conn = database.connection()
    emails: dict[int, set[str]] = defaultdict(set)
    phones: dict[int, set[str]] = defaultdict(set)
    for cid, medium, norm in conn.execute(
        "SELECT contact_id, medium, norm FROM contact_method WHERE medium IN ('email', 'phone')"
    ):
        if medium == "email":
            emails[cid].add(norm)
        elif len(norm) >= 7:
            phones[cid].add(norm)
    return [
        Person(cid, name, key, org_key or "", frozenset(emails.get(cid, ())), frozenset(phones.get(cid, ())))
        for cid, name, key, org_key in conn.execute(
            "SELECT c.id, c.display_name, c.name_key, o.name_key FROM contact c"
            " LEFT JOIN organisation o ON o.id = c.organisation_id ORDER BY c.id"
        )
    ]


def find_duplicates(people: Iterable[Person], threshold: int = DEFAULT_THRESHOLD) -> list[DuplicatePair]:
    """Likely duplicate pairs, best first (score, then ids), each pair once."""
    people = list(people)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, person in enumerate(people):
        for key in blocking_keys(person):
            blocks[key].append(i)
    seen: set[tuple[int, int]] = set()
    pairs: list[DuplicatePair] = []
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for i, j in combinations(members, 2):
            if (i, j) in seen:
                continue
            seen.add((i, j))
            score, evidence = score_pair(people[i], people[j])
            if score >= threshold:
                pairs.append(DuplicatePair(people[i], people[j], score, evidence))
    pairs.sort(key=lambda p: (-p.score, p.a.id, p.b.id))
    return pairs


# ---- merging ------------------------------------------------------------------------------


def merge_contacts(keep_id: int, other_id: int, now: str) -> None:
    """Merge OTHER into KEEP in one transaction, then delete OTHER.

    KEEP's fields win; empty ones are filled from OTHER. Emails, phones, URLs, profiles,
    interests and unmapped vCard properties are united; notes are appended; touchpoints,
    interview rounds, applications and offers that pointed at OTHER point at KEEP.
    """
    from crm.card import merge_cards
    from crm.contacts import apply_card, contact_to_card
    from crm.errors import InvalidInput
    from crm.models import Contact

    if keep_id == other_id:
        raise InvalidInput("cannot merge a contact into itself")
    with database.atomic():
        keep = Contact.get_by_id(keep_id)
        other = Contact.get_by_id(other_id)
        a, b = contact_to_card(keep), contact_to_card(other)
        merged = merge_cards(a, b, other_wins=False)  # OTHER's UID, if taken, is free once OTHER is gone
        conn = database.connection()
        # Interest notes from OTHER survive for the interests KEEP lacked.
        other_notes = dict(conn.execute(
            "SELECT i.name, ci.note FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id"
            " WHERE ci.contact_id = ?", (other_id,)).fetchall())
        for table, column in (("touchpoint", "contact_id"), ("application", "recruiter_id"),
                              ("offer", "for_contact_id"), ("offer", "introduce_id")):
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (keep_id, other_id))
        # An offer for OTHER that introduced KEEP would now introduce KEEP to themselves.
        conn.execute("UPDATE offer SET introduce_id = NULL WHERE for_contact_id = ? AND introduce_id = ?",
                     (keep_id, keep_id))
        conn.execute(
            "INSERT OR IGNORE INTO round_interviewer (round_id, contact_id)"
            " SELECT round_id, ? FROM round_interviewer WHERE contact_id = ?", (keep_id, other_id))
        if keep.role == "other" and other.role != "other":
            keep.role = other.role
        for field_name in ("cadence_days", "snoozed_until"):
            if getattr(keep, field_name) is None and getattr(other, field_name) is not None:
                setattr(keep, field_name, getattr(other, field_name))
        other.delete_instance()
        apply_card(keep, merged, now)
        for name, note in other_notes.items():
            if note:
                conn.execute(
                    "UPDATE contact_interest SET note = ? WHERE contact_id = ? AND note = ''"
                    " AND interest_id = (SELECT id FROM interest WHERE name = ?)", (note, keep_id, name))
