"""Contact records as plain values, independent of storage and of any file format.

A `Card` is what a format reader produces and a format writer consumes. The store turns
cards into rows and rows back into cards; vCard/CSV code never sees the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("recruiter", "interviewer", "hiring-manager", "referrer", "mentor", "peer", "other")


@dataclass(frozen=True)
class Birthday:
    """A birthday whose year may be unknown (vCard `--MM-DD`, Apple's 1604 sentinel)."""

    month: int
    day: int
    year: int | None = None

    def iso(self) -> str:
        if self.year is None:
            return f"--{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
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
