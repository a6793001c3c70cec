"""Contact records as plain values, independent of storage and of any file format.

A `Card` is what a format reader produces and a format writer consumes. The store turns
cards into rows and rows back into cards; vCard/CSV code never sees the database.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, fields, replace

from crm.text import nfc
from crm.values import value

ROLES = ("recruiter", "interviewer", "hiring-manager", "referrer", "mentor", "peer", "other")


@value
class Birthday:
    """A birthday whose year may be unknown (vCard `--MM-DD`, Apple's 1604 sentinel)."""

    month: int
    day: int
    year: int | None = None

    def iso(self) -> str:
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@value
class Typed:
    """A typed value: an email, a phone number, a URL or a social profile.

    `kind` is the vCard TYPE, lower-cased and comma-joined ("work", "cell,pref"), or "".
    `label` is a free-form label (Apple X-ABLabel, with `_$!<...>!$_` unwrapped), or "".
    For social profiles, `service` names the network ("linkedin", "twitter", "xmpp"...).
    """

    value: str
    kind: str = ""
    label: str = ""
    service: str = ""


@dataclass
class Card:
    """One contact as read from (or written to) a file."""

    display_name: str = ""
    given_name: str = ""
    family_name: str = ""
    additional_names: str = ""
    name_prefix: str = ""
    name_suffix: str = ""
    nickname: str = ""
    org: str = ""
    department: str = ""
    title: str = ""
    role: str = ""  # one of ROLES, or "" when unknown
    note: str = ""
    birthday: Birthday | None = None
    uid: str = ""
    emails: list[Typed] = field(default_factory=list)
    phones: list[Typed] = field(default_factory=list)
    urls: list[Typed] = field(default_factory=list)
    socials: list[Typed] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    # Unmapped properties, each one unfolded content line exactly as it should be written
    # back on export (e.g. "ADR;TYPE=work:;;1 Main St;Springfield;;;"), so export loses nothing.
    extra: list[str] = field(default_factory=list)

    def nfc(self) -> "Card":
        """This card with every text in Unicode NFC (itself when it already is)."""
        if _all_nfc(self):
            return self
        changed = {}
        for f in fields(self):
            value = getattr(self, f.name)
            fixed = _nfc_value(value)
            if fixed is not value:
                changed[f.name] = fixed
        return replace(self, **changed) if changed else self


def _all_nfc(card: Card) -> bool:
    """True when every text of the card is already NFC, tested on all of them at once: a LF
    composes with nothing on either side, so the texts joined by LFs are NFC exactly when
    each of them is."""
    texts = [card.display_name, card.given_name, card.family_name, card.additional_names, card.name_prefix,
             card.name_suffix, card.nickname, card.org, card.department, card.title, card.role, card.note,
             card.uid, *card.categories, *card.extra]
    for typed in (*card.emails, *card.phones, *card.urls, *card.socials):
        texts += (typed.value, typed.kind, typed.label, typed.service)
    joined = "\n".join(texts)
    return joined.isascii() or unicodedata.is_normalized("NFC", joined)


def _nfc_value(value):
    if isinstance(value, str):
        fixed = nfc(value)
        return value if fixed == value else fixed
    if isinstance(value, Typed):
        parts = [_nfc_value(getattr(value, name)) for name in ("value", "kind", "label", "service")]
        if all(a is getattr(value, n) for a, n in zip(parts, ("value", "kind", "label", "service"))):
            return value
        return Typed(*parts)
    if isinstance(value, list):
        items = [_nfc_value(item) for item in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    return value


# ---- combining two records of one person ------------------------------------------------------

_SCALARS = ("display_name", "given_name", "family_name", "additional_names", "name_prefix", "name_suffix",
            "nickname", "org", "department", "title", "role", "birthday")
# Unmapped vCard properties a person has one of: a newer one replaces the older.
SINGLE_VALUED = frozenset({"PHOTO", "LOGO", "REV", "GEO", "TZ", "GENDER", "ANNIVERSARY", "KIND", "SOUND", "KEY"})


NO_NAME = "(no name)"


def _fallback_name(card: Card) -> bool:
    """True when the card's display name is only a stand-in (its email, phone or organisation)."""
    stand_ins = {t.value for t in card.emails + card.phones} | {card.org, NO_NAME}
    return card.display_name in stand_ins and not (card.given_name or card.family_name)


def _prop_name(line: str) -> str:
    head = line.split(":", 1)[0].split(";", 1)[0]
    return head.rsplit(".", 1)[-1].upper()


def _union(first: list[Typed], second: list[Typed], medium: str) -> list[Typed]:
    from crm.text import method_key

    seen = {method_key(medium, t.value) for t in first}
    merged = list(first)
    for typed in second:
        key = method_key(medium, typed.value)
        if key not in seen:
            merged.append(typed)
            seen.add(key)
    return merged


def merge_cards(base: Card, other: Card, *, other_wins: bool) -> Card:
    """One person from two records of them.

    Names, organisation, title, role and birthday: `other`'s non-empty values replace `base`'s
    when `other_wins` (a newer file brings them), else only fill `base`'s empty ones (merging a
    duplicate into the contact you keep). Emails, phones, URLs, profiles and interests are
    united, `base`'s first; notes are appended when new; `base`'s UID is kept when it has one.
    Unmapped vCard properties are united, except that with `other_wins` a single-valued one
    (PHOTO, REV...) from `other` replaces `base`'s.
    """
    merged = replace(base)
    for name in _SCALARS:
        value = getattr(other, name)
        if name == "display_name" and base.display_name and _fallback_name(other):
            continue  # "0123 456" standing in for a missing name never replaces a real one
        if value and (other_wins or not getattr(base, name)):
            setattr(merged, name, value)
    merged.uid = base.uid or other.uid
    if other.note and other.note not in base.note:
        merged.note = f"{base.note}\n\n{other.note}" if base.note else other.note
    merged.emails = _union(base.emails, other.emails, "email")
    merged.phones = _union(base.phones, other.phones, "phone")
    merged.urls = _union(base.urls, other.urls, "url")
    merged.socials = _union(base.socials, other.socials, "social")
    from crm.text import interest_key

    known = {interest_key(c) for c in base.categories}
    merged.categories = base.categories + [c for c in other.categories if interest_key(c) not in known]
    fresh = [line for line in other.extra if line not in base.extra]
    replaced = {_prop_name(line) for line in fresh} & SINGLE_VALUED if other_wins else set()
    kept = [line for line in base.extra if _prop_name(line) not in replaced]
    merged.extra = kept + [line for line in other.extra if line not in kept]
    return merged
