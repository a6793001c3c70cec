"""When two records are one person: the join rules shared by the importer and the CardDAV sync.

A join needs evidence that names one person, never a resemblance:

1. the same vCard UID;
2. the same email address or phone number, AND names that agree: equal after folding (case,
   accents, word order), or one a nickname or initial form of the other ("Bill"/"William",
   "J. Park"/"John Park"); a record whose name is only a stand-in (its email or number) agrees
   with any name;
3. the same LinkedIn (or other `/in/`) profile URL;
4. the same folded name at the same organisation (and no other UID on record).

Names whose words differ in their digits ("Person0 Test", "Person1 Test") never agree. A shared
address with names that do not agree (a family mailbox, an `info@`) is no join: both records
stay, and `crm dupes` shows the pair with that evidence.

Pure functions of folded text: no database, no I/O.
"""
from __future__ import annotations

import re

from crm.values import value

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")

# Short forms of given names, each group one name. Small on purpose: a missing pair only means
# `crm dupes` lists the two records instead of the import joining them.
_NICKNAME_GROUPS = (
    "william will bill billy liam", "robert rob bob bobby robbie bert", "richard rick rich dick ricky",
    "james jim jimmy jamie", "john jon jack johnny", "jonathan jon jonny nathan",
    "elizabeth liz beth eliza lizzie betty libby", "katherine kate kathy katie kat",
    "catherine cathy cat kate katie", "margaret maggie meg peggy greta", "michael mike mick mikey",
    "thomas tom tommy", "christopher chris kit", "christine chris chrissy tina",
    "alexander alex sasha xander sandy", "alexandra alex sasha sandra lexi", "daniel dan danny",
    "david dave davy", "edward ed eddie ted ned", "joseph joe joey jo", "joshua josh", "matthew matt",
    "nicholas nick nicky", "patrick pat paddy", "patricia pat patty tricia", "samuel sam sammy",
    "samantha sam sammy", "stephen steve stevie", "steven steve stevie", "anthony tony",
    "andrew andy drew", "benjamin ben benny", "charles charlie chuck", "susan sue susie",
    "deborah deb debbie", "jennifer jen jenny", "rebecca becky becca", "victoria vicky tori",
    "jessica jess jessie", "kenneth ken kenny", "timothy tim timmy", "gregory greg", "peter pete",
    "frederick fred freddie", "henry harry hank", "lawrence larry", "gerald gerry", "ronald ron ronnie",
    "donald don donnie", "douglas doug", "jacob jake", "zachary zach zack", "nathaniel nate nathan",
    "abigail abby", "amanda mandy", "barbara barb", "cynthia cindy", "eleanor ellie nora",
    "isabella izzy bella isabel", "jacqueline jackie", "josephine jo josie", "joanna jo",
    "judith judy", "kimberly kim", "leonard leo len", "philip phil", "raymond ray",
    "sebastian seb", "theodore theo ted", "valerie val", "vincent vince", "walter walt",
)
NICKNAMES: dict[str, frozenset[str]] = {}
for _group in _NICKNAME_GROUPS:
    _names = _group.split()
    for _name in _names:
        NICKNAMES[_name] = NICKNAMES.get(_name, frozenset({_name})) | frozenset(_names)


@value
class Join:
    """A decision to join a record to a contact, and why (`reason` is one of REASONS)."""

    contact_id: int
    reason: str
    evidence: str  # the value that proves it: the UID, the address, the number, the profile

    def describe(self) -> str:
        return f"{REASONS[self.reason]} ({self.evidence})" if self.evidence else REASONS[self.reason]


REASONS = {
    "uid": "same UID",
    "email": "same email and names agree",
    "phone": "same phone and names agree",
    "profile": "same profile URL",
    "name-at-org": "same name at the same organisation",
    "same-card": "same name, nothing new",
    "merge": "merged by hand",
}


def words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def _given_agree(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:  # an initial: "j" is any name in j
        return a[0] == b[0]
    return b in NICKNAMES.get(a, ())


def names_agree(a: str, b: str) -> bool:
    """True when two folded names can be one person by name rules: equal (any word order), or
    the same family name with given and middle names that are equal, initials or nicknames of
    each other. A missing middle name agrees; different digits never do."""
    if a == b:
        return True
    wa, wb = words(a), words(b)
    if not wa or not wb or _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    if sorted(wa) == sorted(wb):
        return True
    if len(wa) == 1 or len(wb) == 1:  # a one-word name: a given name or a family name of the other
        one, full = (wa, wb) if len(wa) == 1 else (wb, wa)
        return len(one[0]) > 1 and (one[0] == full[-1] or _given_agree(one[0], full[0]))
    if wa[-1] != wb[-1] or not _given_agree(wa[0], wb[0]):
        return False
    middle_a, middle_b = wa[1:-1], wb[1:-1]
    if middle_a and middle_b:
        return len(middle_a) == len(middle_b) and all(_given_agree(x, y) for x, y in zip(middle_a, middle_b))
    return True


def same_name(a: str, b: str) -> bool:
    """The "same name" of rule 4: the same folded words, in any order ("Park Jon" is "Jon Park");
    never a nickname or a near miss ("Jon Park" and "John Park" are two people at one company)."""
    return sorted(a.split()) == sorted(b.split())


def is_a_name(folded: str) -> bool:
    """False for a display name that was only a stand-in (a phone number, an email address)."""
    found = set(re.findall(r"[^\W\d_]+", folded))
    return bool(found) and not {"com", "org", "net"} & found and len(found) < 8 and "@" not in folded


def names_agree_or_stand_in(a: str, b: str) -> bool:
    """Rule 2's name test: a record named only by its address or number agrees with any name."""
    return not is_a_name(a) or not is_a_name(b) or names_agree(a, b)


def pick(candidates: list[tuple[int, str]], name: str) -> int | None:
    """Of the contacts sharing an address or number with a record named `name` (folded), the one
    to join: the one with the same name, else the one whose name agrees; several that agree
    and none the same is no join (the pair goes to `crm dupes`)."""
    same = [cid for cid, other in candidates if other == name or same_name(other, name)]
    if same:
        return same[0]
    agreeing = [cid for cid, other in candidates if names_agree_or_stand_in(other, name)]
    return agreeing[0] if len(agreeing) == 1 else None
