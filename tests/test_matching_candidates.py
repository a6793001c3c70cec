"""`crm dupes`' candidate generation against the straightforward ways of finding the same pairs.

`find_duplicates` leaves out, in batches, the pairs that cannot reach the threshold (matching
`_reachable`). Held here against (1) the plain loop it replaced, which scores every pair sharing
an eligible blocking key, and (2) scoring all pairs of the book: it reports exactly the plain
loop's pairs with the same scores and evidence, only pairs the all-pairs scorer reports, and
every one of those that shares a blocking key held by at most MAX_BLOCK contacts (the one
restriction docs/importing.md states).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import combinations
from unittest import mock

from hypothesis import example, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from crm.identity import matching
from crm.identity.matching import (
    OTHER_ORG_PENALTY, QUICK_REJECT, DuplicatePair, Person, blocking_keys, find_duplicates, least_whole_ratio,
    name_similarity, score_pair, work_domains,
)
from crm.text import fold
from fuzzing import examples

# Few words, close to one another, so that blocks fill up and ratios fall on every side of the
# thresholds: typos, accents, initials, reversed names, digits, one-word names.
GIVEN = ["Anna", "Ana", "Anne", "Jon", "John", "Katarzyna", "Katarzina", "Kate", "Maria", "Mario", "Björn", "Bjorn", "J."]
FAMILY = ["Nowak", "Nowac", "Novak", "Smith", "Smyth", "Lee", "Li", "Okafor", "Okafur", "Andersson", "Anderson"]
MIDDLE = ["", "A.", "B.", "Marie", "2"]
ORGS = ["", "", "Acme", "Globex", "Acme Labs"]
LOCALS = ["ana", "jsmith", "info", "k.nowak", "lee"]
DOMAINS = ["acme.example", "globex.example", "gmail.com", "yahoo.co.uk"]
PHONES = ["2079460001", "2079460002", "4860010020"]


@st.composite
def names(draw) -> str:
    given, family, middle = draw(st.sampled_from(GIVEN)), draw(st.sampled_from(FAMILY)), draw(st.sampled_from(MIDDLE))
    words = [w for w in (given, middle, family) if w]
    shape = draw(st.sampled_from(["plain", "plain", "reversed", "one word", "typo"]))
    if shape == "reversed":
        words.reverse()
    elif shape == "one word":
        words = [family]
    elif shape == "typo":
        at = draw(st.integers(0, len(words) - 1))
        word = words[at]
        cut = draw(st.integers(0, len(word)))
        words[at] = word[:cut] + draw(st.sampled_from(["", "e", "kk", "z"])) + word[cut + 1:]
    return " ".join(words)


EMAILS = [f"{local}@{domain}" for local in LOCALS for domain in DOMAINS]


@st.composite
def a_person(draw, pid: int) -> Person:
    name = draw(names())
    emails = frozenset(draw(st.lists(st.sampled_from(EMAILS), max_size=2)))
    phones = frozenset(draw(st.lists(st.sampled_from(PHONES), max_size=1)))
    return Person(pid, name, fold(name), fold(draw(st.sampled_from(ORGS))), emails, phones)


@st.composite
def people_in_a_book(draw) -> list[Person]:
    return [draw(a_person(pid)) for pid in range(1, draw(st.integers(2, 24)) + 1)]


def plain_duplicates(people: list[Person], threshold: int) -> list[DuplicatePair]:
    """The loop `find_duplicates` was before it left pairs out in batches: every pair sharing an
    eligible blocking key, scored one by one."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, person in enumerate(people):
        for key in blocking_keys(person):
            blocks[key].append(i)
    seen: set[tuple[int, int]] = set()
    pairs = []
    for members in blocks.values():
        if len(members) < 2 or len(members) > matching.MAX_BLOCK:
            continue
        for i, j in combinations(members, 2):
            if (i, j) not in seen:
                seen.add((i, j))
                pair = scored(people[i], people[j], threshold)
                if pair:
                    pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a.id, p.b.id))
    return pairs


def scored(a: Person, b: Person, threshold: int) -> DuplicatePair | None:
    if fuzz.token_sort_ratio(a.key, b.key) < QUICK_REJECT and not (a.emails & b.emails or a.phones & b.phones):
        return None
    score, evidence = score_pair(a, b, name_similarity(a.key, b.key))
    return DuplicatePair(a, b, score, evidence) if score >= threshold else None


def all_pairs(people: list[Person], threshold: int) -> dict[tuple[int, int], DuplicatePair]:
    found = {}
    for a, b in combinations(people, 2):
        pair = scored(a, b, threshold)
        if pair:
            found[a.id, b.id] = pair
    return found


def eligible_keys(people: list[Person]) -> dict[int, set[str]]:
    """Each contact's blocking keys that at most MAX_BLOCK contacts have, by id."""
    holders: dict[str, int] = defaultdict(int)
    for person in people:
        for key in blocking_keys(person):
            holders[key] += 1
    return {p.id: {key for key in blocking_keys(p) if holders[key] <= matching.MAX_BLOCK} for p in people}


THRESHOLDS = st.one_of(st.sampled_from([0, 60, 70, 80, 84, 85, 86, 89, 90, 91, 95, 100]), st.integers(0, 100))


@settings(max_examples=examples(60), deadline=None)
@given(people_in_a_book(), THRESHOLDS, st.sampled_from([2, 3, 5, 60]))
@example([Person(1, "Ada Lovelace", "ada lovelace", "acme", frozenset({"ada@acme.example"}), frozenset()),
          Person(2, "Ada Lovelace", "ada lovelace", "globex", frozenset({"a@acme.example"}), frozenset())], 90, 60)
def test_the_fast_path_reports_what_scoring_every_candidate_does(people, threshold, max_block):
    with mock.patch.object(matching, "MAX_BLOCK", max_block):
        fast = find_duplicates(people, threshold)
        assert fast == plain_duplicates(people, threshold)
        everything = all_pairs(people, threshold)
        for pair in fast:
            assert everything[pair.a.id, pair.b.id] == pair  # the same score and evidence
        reported = {(p.a.id, p.b.id) for p in fast}
        keys = eligible_keys(people)
        for (a_id, b_id), pair in everything.items():
            if (a_id, b_id) not in reported:
                assert not keys[a_id] & keys[b_id], pair


@settings(max_examples=examples(300), deadline=None)
@given(a_person(1), a_person(2), THRESHOLDS)
def test_no_pair_under_its_least_whole_ratio_is_reported(a, b, threshold):
    b = replace(b, emails=b.emails - a.emails, phones=b.phones - a.phones)  # those sharing one are always scored
    bonus = 5 * bool(a.org and a.org == b.org) + 5 * bool(work_domains(a.emails) & work_domains(b.emails))
    penalty = OTHER_ORG_PENALTY if a.org and b.org and a.org != b.org else 0
    least = least_whole_ratio(threshold, bonus, penalty)
    whole = fuzz.token_sort_ratio(a.key, b.key)
    reported = whole >= QUICK_REJECT and score_pair(a, b)[0] >= threshold
    if least is None or whole < least - matching._RATIO_SLACK:
        assert not reported


def test_least_whole_ratio_at_the_default_threshold():
    assert least_whole_ratio(90, 10, 0) == 70  # names 85% alike, +5 +5
    assert least_whole_ratio(90, 0, 0) == 79  # names 89.5% alike, nothing to add
    assert least_whole_ratio(90, 0, OTHER_ORG_PENALTY) is None  # namesakes at two companies: 85
    assert least_whole_ratio(90, 5, OTHER_ORG_PENALTY) == 99  # ... unless they share a work domain
    assert least_whole_ratio(85, 0, OTHER_ORG_PENALTY) == 99  # --threshold 85 lists the namesakes
    assert least_whole_ratio(0, 0, 0) == QUICK_REJECT


def test_namesakes_at_other_companies_are_not_scored_at_90_but_are_at_85():
    people = [Person(i, "Ada Lovelace", "ada lovelace", f"company {i}", frozenset(), frozenset()) for i in range(1, 31)]
    assert list(matching._reachable(people, 90)) == []
    assert len(list(matching._reachable(people, 85))) == 30 * 29 // 2
    assert len(find_duplicates(people, 85)) == 30 * 29 // 2 and find_duplicates(people, 90) == []
