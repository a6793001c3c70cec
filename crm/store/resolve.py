"""Finding one record by what a user typed: the one mechanism behind CONTACT and ORG arguments.

A name query is folded (case and accents) and tried in order: the exact folded name, then names
in which every query word starts a word ("ada love" is "Ada Lovelace"; "jo" is not "Björn"),
then, only when nothing else matches, a fuzzy match on words with one clear winner. `resolve_name` is the rule; `NameIndex` says where the names
live (contacts, organisations) and how to describe a candidate in an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from crm.errors import Ambiguous, InvalidInput, NotFound
from crm.store.models import Organisation
from peewee import SQL

from crm.text import fold, org_key

NAME_THRESHOLD = 80  # a fuzzy score below this is never a match
NAME_MARGIN = 8  # the best fuzzy score must beat the next by this much
FUZZY_MIN_WORD = 4  # words shorter than this are never matched by similarity, only exactly or as a prefix
CANDIDATES_SHOWN = 10  # an ambiguity lists this many, then "and N more"


@dataclass(frozen=True)
class NameIndex:
    """Where one kind of record keeps its folded names.

    `exact(key)` -> ids whose folded name is `key`, in id order;
    `containing(word)` -> {id: folded name} for the names with a word starting with `word`
        (a LIKE query on the indexed key, never a scan of every name in Python);
    `names(key)` -> {id: folded name} worth fuzzy-scoring against `key`;
    `describe(ids)` -> {id: "how to show it in an error"};
    `what` -> the record's noun ("contact", "organisation with an application").
    """

    exact: Callable[[str], list[int]]
    names: Callable[[str], dict[int, str]]
    describe: Callable[[Sequence[int]], dict[int, str]]
    what: str
    exact_ambiguity_hint: str = "use an id"
    containing: Callable[[str], dict[int, str]] | None = None
    key: Callable[[str], str] = fold  # how a query becomes a folded name (org_key for organisations)


def did_you_mean(index: NameIndex, ids: Sequence[int]) -> str:
    """Every candidate, or the first CANDIDATES_SHOWN and how many more."""
    shown = list(ids)[:CANDIDATES_SHOWN]
    described = index.describe(shown)
    listed = ", ".join(described[i] for i in shown if i in described)
    more = len(ids) - len(shown)
    return "Did you mean: " + listed + (f", and {more} more" if more else "") + "?"


def like_prefix(word: str) -> tuple[str, str]:
    """LIKE patterns for "a word of the name starts with `word`" (first word, or after a space)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%", "% " + escaped + "%"


def prefix_matches(query_words: Sequence[str], name: str) -> bool:
    """Every query word is the start of some word of `name` (both folded)."""
    name_words = name.split()
    return all(any(w.startswith(q) for w in name_words) for q in query_words)


def word_score(query_words: Sequence[str], name: str) -> float:
    """Fuzzy similarity on words: each query word scores 100 if it starts a word of the name,
    else its best similarity to a word of the name; the worst query word counts. Short words
    never score by similarity ("jo" is not "bjorn", "n" is not "siobhan")."""
    from rapidfuzz import fuzz

    words = name.split()
    long_words = [w for w in words if len(w) >= FUZZY_MIN_WORD]
    worst = 100.0
    for q in query_words:
        if any(w.startswith(q) for w in words):
            continue
        if len(q) < FUZZY_MIN_WORD or not long_words:
            return 0.0
        worst = min(worst, max(fuzz.ratio(q, w) for w in long_words))
    return worst


def resolve_name(text: str, index: NameIndex, *, exact_only: bool = False) -> int:
    """The id of the one record `text` names, or NotFound/Ambiguous listing the candidates.

    Exact (folded) beats prefix (every query word starts a word of the name) beats fuzzy (one
    clear winner by word similarity, tried only when nothing else matches). `exact_only`: for
    commands that change what they find on one word (an outcome), nothing but the exact name."""
    key = index.key(text)
    exact = index.exact(key)
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise Ambiguous(
            f"{len(exact)} {index.what}s are called {text!r}; {index.exact_ambiguity_hint}. "
            + did_you_mean(index, exact)
        )
    query_words = key.split()
    if not query_words:
        raise NotFound(f"no {index.what} matches {text!r}")
    longest = max(query_words, key=len)
    found = index.containing(longest) if index.containing else index.names(key)
    prefixed = sorted(rid for rid, name in found.items() if prefix_matches(query_words, name))
    if exact_only:
        if prefixed:
            raise NotFound(f"no {index.what} is called exactly {text!r}; {index.exact_ambiguity_hint}. "
                           + did_you_mean(index, prefixed))
        raise NotFound(f"no {index.what} is called exactly {text!r}")
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise Ambiguous(f"{text!r} matches more than one {index.what}. " + did_you_mean(index, prefixed))
    ranked = sorted(
        ((score, rid) for rid, name in index.names(key).items() if (score := word_score(query_words, name)) >= 50),
        key=lambda p: (-p[0], p[1]),
    )
    if ranked and ranked[0][0] >= NAME_THRESHOLD and (
        len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= NAME_MARGIN
    ):
        return ranked[0][1]
    if not ranked:
        raise NotFound(f"no {index.what} matches {text!r}")
    close = [rid for score, rid in ranked if score >= ranked[0][0] - 15]
    if ranked[0][0] >= NAME_THRESHOLD:
        raise Ambiguous(f"{text!r} matches more than one {index.what}. " + did_you_mean(index, close))
    raise NotFound(f"no {index.what} matches {text!r}. " + did_you_mean(index, close))


def resolve_org(query: str, *, among=None, what: str = "organisation", exact_only: bool = False) -> Organisation:
    """One organisation for an ORG argument (`among`: a query of organisation ids to limit the
    search to, e.g. those with applications). Names compare by `crm.text.org_key`, so "initech"
    is "Initech, Inc."; an id (`#3` or `3`) picks one directly."""
    text = " ".join(query.split())
    if not text:
        raise InvalidInput(f"an {what} is needed")
    scope = Organisation.select(Organisation.id, Organisation.name_key)
    if among is not None:
        scope = scope.where(Organisation.id.in_(among))

    def describe(ids: Sequence[int]) -> dict[int, str]:
        return dict(Organisation.select(Organisation.id, Organisation.name).where(Organisation.id.in_(list(ids))).tuples())

    if text.lstrip("#").isdecimal() and len(text) < 19:
        found = scope.where(Organisation.id == int(text.lstrip("#"))).first()
        if found is not None:
            return Organisation.get_by_id(found.id)
        if text.startswith("#"):
            raise NotFound(f"no {what} has id {text.lstrip('#')}")

    def containing(word: str) -> dict[int, str]:
        first, inner = like_prefix(word)
        return dict(scope.where(SQL("(name_key LIKE ? ESCAPE '\\' OR name_key LIKE ? ESCAPE '\\')",
                                    (first, inner))).tuples())

    index = NameIndex(
        exact=lambda key: [oid for oid, _key in scope.where(Organisation.name_key == key).order_by(Organisation.id).tuples()][:1],
        names=lambda key: dict(scope.tuples()),
        describe=describe,
        what=what,
        containing=containing,
        key=org_key,
    )
    return Organisation.get_by_id(resolve_name(text, index, exact_only=exact_only))
