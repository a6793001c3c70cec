"""Likely duplicates (blocking + rapidfuzz scoring) and merging two contacts into one.

Finding duplicates never compares all pairs: each contact gets a few blocking keys (phonetic
codes of its name tokens, paired; its phone numbers; its email local part), and only contacts
sharing a key are scored. Scores combine name similarity (token-order insensitive, accents and
case folded) with supporting evidence: the same organisation, email domain or phone. Pairs that
cannot reach the threshold whatever they share are left out before scoring, a group at a time
(`_reachable`, `least_whole_ratio`): the same pairs as scoring them all, in a fraction of the time.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, permutations
from typing import Iterable

from crm import shapes
from crm.store.models import database

DEFAULT_THRESHOLD = 90
MAX_BLOCK = 60  # a block bigger than this is too common a key to say anything (e.g. "J500 S530")
SUPPORT_FROM = 85  # name similarity from which the same organisation or domain counts for more
SHARED_PHONE_BONUS = 15
OTHER_ORG_PENALTY = 15  # namesakes at two companies, sharing nothing else: 85, below the default 90
OTHER_INITIAL_PENALTY = 20  # "John A. Smith" and "John B. Smith" are two people
OTHER_NUMBER_PENALTY = 30  # "Person0 Test" and "Person1 Test" are two people (crm.identity.rules)
QUICK_REJECT = 60  # below this name similarity, only a shared email or phone makes a candidate
# Mail providers anyone can use: sharing one says nothing about two people. Judged by the name
# before the first dot, so gmail.com, yahoo.co.uk and web.de all count.
FREE_MAIL_NAMES = frozenset(
    "gmail googlemail yahoo ymail hotmail outlook live msn icloud me mac aol gmx web proton protonmail "
    "pm mail yandex fastmail zoho tutanota posteo orange free laposte t-online freenet wp o2 seznam".split()
)


def is_free_mail(domain: str) -> bool:
    return domain.partition(".")[0] in FREE_MAIL_NAMES


def work_domains(emails: Iterable[str]) -> set[str]:
    """The domains of these addresses that are not free-mail providers'."""
    found = set()
    for email in emails:
        domain = email.partition("@")[2]
        if domain.partition(".")[0] not in FREE_MAIL_NAMES:
            found.add(domain)
    return found

_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556", "aeiouyhw")
_WORD = re.compile(r"[a-z0-9]+")
_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=1 << 16)  # an address book repeats its names' words: dupes asks a million times
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

    def as_json(self) -> shapes.DuplicatePair:
        return {
            "a": {"id": self.a.id, "name": self.a.name},
            "b": {"id": self.b.id, "name": self.b.name},
            "score": self.score,
            "evidence": list(self.evidence),
        }


def blocking_keys(person: Person) -> set[str]:
    """The keys a likely duplicate shares with this person, whichever way it differs:

    - `n:` the phonetic codes of two name words, in either order (a reversed name, a changed
      middle name);
    - `o:`/`d:` one word's code, the first letter of another, and the organisation or work email
      domain (a typo that changes one word's code still leaves the other's);
    - `l:` an email's local part, `p:` a phone number (a new job, a private address).
    """
    tokens = [t for t in _WORD.findall(person.key) if len(t) > 1][:4]
    codes = sorted({phonetic(t) for t in tokens})
    keys = {f"n:{a}:{b}" for a, b in combinations(codes, 2)}
    if len(codes) == 1:
        keys.add(f"n:{codes[0]}")
    places = [f"o:{person.org}"] if person.org else []
    places += [f"d:{domain}" for domain in work_domains(person.emails)]
    for place in places:
        for one, other in permutations(tokens[:3], 2):
            keys.add(f"{place}:{phonetic(one)}:{other[0]}")
    for email in person.emails:
        keys.add(f"l:{email.partition('@')[0]}")
    for phone in person.phones:
        keys.add(f"p:{phone}")
    return keys


def name_similarity(a: str, b: str) -> float:
    """0-100 for two folded names, word order ignored. The whole-name ratio is averaged with the
    weakest word-to-word ratio, so one shared family name does not make two given names alike
    ("Søren Andersson" / "Siobhán Andersson" ~77) while a typo still scores high ("Nowak" /
    "Nowac" with the same given name ~87)."""
    from rapidfuzz import fuzz

    whole = fuzz.token_sort_ratio(a, b)
    words_a = sorted(t for t in _WORD.findall(a) if len(t) > 1)
    words_b = sorted(t for t in _WORD.findall(b) if len(t) > 1)
    if len(words_a) != len(words_b) or len(words_a) < 2:
        return whole
    weakest = min(fuzz.ratio(x, y) for x, y in zip(words_a, words_b))
    return (whole + weakest) / 2


def _initials(key: str) -> set[str]:
    """Middle initials: one-letter words after the first ("john a. smith" -> {"a"})."""
    return {t for t in _WORD.findall(key)[1:-1] if len(t) == 1}


def score_pair(a: Person, b: Person, name_score: float | None = None) -> tuple[int, tuple[str, ...]]:
    """0-100 and the evidence. Names decide; shared contact details raise the score, a second
    organisation lowers it; an organisation or email domain only supports names already alike."""
    if name_score is None:
        name_score = name_similarity(a.key, b.key)
    shared_emails = a.emails & b.emails
    shared_phones = a.phones & b.phones
    evidence = [f"names {round(name_score)}% alike"]
    score = name_score
    if shared_emails:
        evidence.append("same email " + ", ".join(sorted(shared_emails)))
        score = 100
    if shared_phones:
        evidence.append("same phone (ending " + ", ".join(sorted(p[-4:] for p in shared_phones)) + ")")
        score += SHARED_PHONE_BONUS
    if name_score >= SUPPORT_FROM:
        if a.org and a.org == b.org:
            evidence.append(f"same organisation ({a.org})")
            score += 5
        domains = {d for d in {e.partition("@")[2] for e in a.emails} & {e.partition("@")[2] for e in b.emails}
                   if not is_free_mail(d)}
        if domains and not shared_emails:
            evidence.append("same email domain " + ", ".join(sorted(domains)))
            score += 5
    initials_a, initials_b = _initials(a.key), _initials(b.key)
    if initials_a and initials_b and not initials_a & initials_b and not (shared_emails or shared_phones):
        evidence.append("different middle initials")
        score -= OTHER_INITIAL_PENALTY
    if _DIGITS.findall(a.key) != _DIGITS.findall(b.key) and not (shared_emails or shared_phones):
        evidence.append("different numbers in the names")
        score -= OTHER_NUMBER_PENALTY
    if a.org and b.org and a.org != b.org and not (shared_emails or shared_phones):
        evidence.append(f"different organisations ({a.org}; {b.org})")
        score -= OTHER_ORG_PENALTY
    return max(0, min(100, round(score))), tuple(evidence)


def load_people() -> list[Person]:
    conn = database.connection()
    held: dict[str, dict[int, set[str]]] = {"email": defaultdict(set), "phone": defaultdict(set)}
    # `+medium`: read the table straight through. Through the (medium, norm) index SQLite reads
    # each row by a jump into the table, 3x slower for the whole book (order matters not: sets).
    # One scan per medium (phone numbers of fewer than 7 digits say nothing): the loop only adds.
    for medium, shortest in (("email", 0), ("phone", 7)):
        by_contact = held[medium]
        for cid, norm in conn.execute(
            "SELECT contact_id, norm FROM contact_method WHERE +medium = ? AND length(norm) >= ?", (medium, shortest)
        ):
            by_contact[cid].add(norm)
    emails, phones = held["email"], held["phone"]
    return [
        Person(cid, name, key, org_key or "", frozenset(emails.get(cid, ())), frozenset(phones.get(cid, ())))
        for cid, name, key, org_key in conn.execute(
            "SELECT c.id, c.display_name, c.name_key, o.name_key FROM contact c"
            " LEFT JOIN organisation o ON o.id = c.organisation_id ORDER BY c.id"
        )
    ]


def find_duplicates(people: Iterable[Person], threshold: int = DEFAULT_THRESHOLD) -> list[DuplicatePair]:
    """Likely duplicate pairs, best first (score, then ids), each pair once: of the contacts
    sharing a blocking key (held by at most MAX_BLOCK contacts), those `score_pair` puts at the
    threshold or above. Pairs whose names are too far apart for anything they share to lift
    them there are left out in batches (`_reachable`), not scored one by one."""
    from rapidfuzz import fuzz

    people = list(people)
    quick = fuzz.token_sort_ratio
    pairs: list[DuplicatePair] = []
    for i, j in _reachable(people, threshold):
        a, b = people[i], people[j]
        if quick(a.key, b.key) < QUICK_REJECT and not (a.emails & b.emails or a.phones & b.phones):
            continue
        score, evidence = score_pair(a, b, name_similarity(a.key, b.key))
        if score >= threshold:
            pairs.append(DuplicatePair(a, b, score, evidence))
    pairs.sort(key=lambda p: (-p.score, p.a.id, p.b.id))
    return pairs


def least_whole_ratio(threshold: int, bonus: int, penalty: int) -> float | None:
    """The least whole-name ratio (`fuzz.token_sort_ratio`) with which `find_duplicates` can
    report two contacts sharing no email or phone, when they can gain at most `bonus` (same
    organisation, same email domain: counted only from SUPPORT_FROM) and surely lose `penalty`
    (different organisations); None when no names can.

    The score is `names + gains - losses`, rounded: it needs names >= threshold - 0.5 + penalty,
    less the bonus once that reaches SUPPORT_FROM. `names` is the whole ratio, or its mean with
    a word ratio of at most 100: the whole ratio is then at least 2 * names - 100. Below
    QUICK_REJECT a pair is not scored at all."""
    names = threshold - 0.5 + penalty
    if names >= SUPPORT_FROM:
        names = max(SUPPORT_FROM, names - bonus)
    if names > 100:
        return None
    return max(QUICK_REJECT, 2 * names - 100)


_RATIO_SLACK = 1e-6  # under the least ratio: room for the float rounding of the score's sums


def _shared_keys(people: list[Person]) -> dict[str, list[int]]:
    """Each blocking key that two contacts or more have -> their indexes, in order."""
    first: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    for i, person in enumerate(people):
        for key in blocking_keys(person):
            j = first.setdefault(key, i)
            if j != i:
                members = shared.get(key)
                if members is None:
                    shared[key] = [j, i]
                else:
                    members.append(i)
    return shared


def _holders(people: list[Person], shared: dict[str, list[int]]) -> dict[str, set[int]]:
    """Each email and phone that two contacts or more have -> their indexes: found in its `l:`
    (local part) or `p:` block, whatever the block's size."""
    held: dict[str, set[int]] = {}
    for key, members in shared.items():
        kind, _, value = key.partition(":")
        if kind == "p":
            held[value] = set(members)
        elif kind == "l":
            for j in members:
                for email in people[j].emails:
                    if email.partition("@")[0] == value:
                        held.setdefault(email, set()).add(j)
    return {value: who for value, who in held.items() if len(who) > 1}


def _grouped(values_of: Iterable[Iterable[str]]) -> dict[str, set[int]]:
    """Each value that two or more of these collections have -> their indexes."""
    held: dict[str, list[int]] = defaultdict(list)
    for i, values in enumerate(values_of):
        for value in values:
            held[value].append(i)
    return {value: set(who) for value, who in held.items() if len(who) > 1}


def _reachable(people: list[Person], threshold: int) -> Iterable[tuple[int, int]]:
    """Every pair (i < j, indexes into `people`) sharing a blocking key held by at most
    MAX_BLOCK contacts that `score_pair` may put at `threshold` or above: all that share an
    email or phone, and of the others those whose whole-name ratio reaches `least_whole_ratio`
    for what their organisations and work email domains can add or take. A pair left out
    scores below the threshold.

    Each contact's later partners are split into those groups by set operations, and a group's
    names are compared in one call of rapidfuzz's `extract`: no Python work per pair but for
    the pairs yielded (at 100k contacts, ~450k pairs share a key and ~7k are yielded)."""
    from rapidfuzz import fuzz, process

    shared = _shared_keys(people)
    by_contact = _holders(people, shared)
    held = set(by_contact)  # the emails and phones that two contacts or more have
    later: dict[int, set[int]] = {}  # i -> every j > i sharing a key of an eligible block
    for members in shared.values():
        if len(members) <= MAX_BLOCK:
            for k in range(len(members) - 1):
                found = later.get(members[k])
                if found is None:
                    later[members[k]] = set(members[k + 1:])
                else:
                    found.update(members[k + 1:])
    del shared
    domains_of = [work_domains(person.emails) for person in people]
    by_domain = _grouped(domains_of)
    by_org = _grouped((person.org,) if person.org else () for person in people)
    without_org = {i for i, person in enumerate(people) if not person.org}
    nobody: frozenset[int] = frozenset()
    # A pair can gain 5 for the same organisation and 5 for the same work domain; it surely
    # loses OTHER_ORG_PENALTY when both have organisations and they differ.
    least = {(bonus, penalty): least_whole_ratio(threshold, bonus, penalty)
             for bonus in (0, 5, 10) for penalty in (0, OTHER_ORG_PENALTY)}
    names = [person.key for person in people]
    extract, quick = process.extract, fuzz.token_sort_ratio
    # Whether two contacts at different organisations can reach the threshold without a shared
    # work domain: when not (the default 90), that largest group is never even formed.
    other_orgs_count = least[0, OTHER_ORG_PENALTY] is not None
    for i, partners in later.items():
        person = people[i]
        sharing: set[int] = set()
        for value in held.intersection(person.emails | person.phones):
            sharing |= by_contact[value] & partners
        if sharing:
            yield from ((i, j) for j in sharing)
            partners -= sharing
        same_domain: set[int] = set()
        for domain in domains_of[i]:
            same_domain |= by_domain.get(domain, nobody) & partners
        # (partners, what the organisations can add, what they take), each split by domain below
        if person.org:
            same_org = partners & by_org.get(person.org, nobody)
            no_org = partners & without_org
            groups = [(same_org, 5, 0), (no_org, 0, 0)]
            if other_orgs_count:
                groups.append((partners - same_org - no_org, 0, OTHER_ORG_PENALTY))
            elif same_domain:
                groups.append((same_domain - same_org - no_org, 0, OTHER_ORG_PENALTY))
        else:
            groups = [(partners, 0, 0)]
        for group, bonus, penalty in groups:
            if not group:
                continue
            with_domain = group & same_domain if same_domain else nobody
            for part, least_ratio in ((with_domain, least[bonus + 5, penalty]), (group - with_domain, least[bonus, penalty])):
                if part and least_ratio is not None:
                    order = list(part)
                    for _name, _ratio, k in extract(names[i], [names[j] for j in order], scorer=quick, processor=None,
                                                    score_cutoff=least_ratio - _RATIO_SLACK, limit=None):
                        yield i, order[k]


# ---- merging ------------------------------------------------------------------------------


def merge_preview(keep_id: int, other_id: int) -> list[str]:
    """What `merge_contacts(keep_id, other_id)` would do, one line each (nothing is written)."""
    from crm.formats.card import merge_cards
    from crm.store.contacts import contact_to_card
    from crm.store.journal import brought_by
    from crm.store.models import Contact

    keep, other = Contact.get_by_id(keep_id), Contact.get_by_id(other_id)
    a, b = contact_to_card(keep), contact_to_card(other)
    merged = merge_cards(a, b, other_wins=False)
    lines = []
    for label, name in (("emails", "emails"), ("phones", "phones"), ("URLs", "urls"), ("profiles", "socials")):
        gained = [t.value for t in getattr(merged, name)[len(getattr(a, name)):]]
        if gained:
            lines.append(f"{keep.display_name} gains {label}: {', '.join(gained)}")
    gained_tags = merged.categories[len(a.categories):]
    if gained_tags:
        lines.append(f"{keep.display_name} gains interests: {', '.join(gained_tags)}")
    for field_name in ("org", "title", "nickname", "note"):
        if getattr(merged, field_name) != getattr(a, field_name):
            lines.append(f"{field_name}: {getattr(a, field_name) or '(empty)'} -> {getattr(merged, field_name)}")
    brought = brought_by(other_id, keep_id)
    moved = [(len(brought.touchpoints), "touchpoint(s)"), (len(brought.recruiter_of), "application(s) as recruiter"),
             (len(brought.rounds), "interview round(s)"),
             (len(brought.offers_for) + len(brought.offers_introducing), "offer(s)")]
    moving = ", ".join(f"{n} {what}" for n, what in moved if n)
    if moving:
        lines.append(f"moves to {keep.display_name}: {moving}")
    lines.append(f"{other.display_name} (#{other.id}) is then removed (`crm unmerge` can undo it)")
    return lines


def merge_contacts(keep_id: int, other_id: int, now: str, region: str | None = None) -> int:
    """Merge OTHER into KEEP in one transaction, then delete OTHER; returns the journal entry's id
    (`crm unmerge` undoes it).

    KEEP's fields win; empty ones are filled from OTHER. Emails, phones, URLs, profiles,
    interests and unmapped vCard properties are united; notes are appended; touchpoints,
    interview rounds, applications and offers that pointed at OTHER point at KEEP.
    """
    from crm.formats.card import merge_cards
    from crm.store.contacts import apply_card, contact_to_card
    from crm.errors import InvalidInput
    from crm.store.journal import brought_by, record, rows_as_dicts
    from crm.store.models import Contact

    if keep_id == other_id:
        raise InvalidInput("cannot merge a contact into itself")
    with database.atomic():
        keep = Contact.get_by_id(keep_id)
        other = Contact.get_by_id(other_id)
        a, b = contact_to_card(keep), contact_to_card(other)
        merged = merge_cards(a, b, other_wins=False)  # OTHER's UID, if taken, is free once OTHER is gone
        conn = database.connection()
        brought = brought_by(other_id, keep_id)
        absorbed_row = {"role": other.role, "cadence_days": other.cadence_days,
                        "snoozed_until": other.snoozed_until, "paused": other.paused, "created_at": other.created_at}
        role_before = keep.role
        # Interest notes from OTHER survive for the interests KEEP lacked.
        other_notes = dict(conn.execute(
            "SELECT i.name, ci.note FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id"
            " WHERE ci.contact_id = ?", (other_id,)).fetchall())
        # One mail message is one touch per person: OTHER's copy of a message KEEP has too goes
        # (kept whole in the journal, so `crm unmerge` gives it back).
        duplicate_messages = (
            "FROM touchpoint WHERE contact_id = ? AND message_key IN"
            " (SELECT message_key FROM touchpoint WHERE contact_id = ? AND message_key IS NOT NULL)")
        dropped = rows_as_dicts(conn.execute(f"SELECT * {duplicate_messages}", (other_id, keep_id)))
        conn.execute(f"DELETE {duplicate_messages}", (other_id, keep_id))
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
        apply_card(keep, merged, now, region)
        entry = record(at=now, kept_id=keep_id, before=a, after=merged, absorbed=b, reason="merge", evidence="",
                       source="merge", absorbed_id=other_id, absorbed_row=absorbed_row,
                       kept_role=(role_before, keep.role), brought=brought, dropped_touchpoints=dropped)
        for name, note in other_notes.items():
            if note:
                conn.execute(
                    "UPDATE contact_interest SET note = ? WHERE contact_id = ? AND note = ''"
                    " AND interest_id = (SELECT id FROM interest WHERE name = ?)", (note, keep_id, name))
    return entry
