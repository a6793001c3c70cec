"""Finding one record by what a user typed: the one mechanism behind CONTACT and ORG arguments.

A name query is folded (case and accents) and tried in order: an exact folded name, then a
fuzzy match with one clear winner. `resolve_name` is the rule; `NameIndex` says where the names
live (contacts, organisations) and how to describe a candidate in an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from crm.errors import Ambiguous, InvalidInput, NotFound
from crm.store.models import Organisation
from crm.text import fold

NAME_THRESHOLD = 80  # a fuzzy score below this is never a match
NAME_MARGIN = 8  # the best fuzzy score must beat the next by this much
CANDIDATES_SHOWN = 3


@dataclass(frozen=True)
class NameIndex:
    """Where one kind of record keeps its folded names.

    `exact(key)` -> ids whose folded name is `key`, in id order;
    `names(key)` -> {id: folded name} worth fuzzy-scoring against `key`;
    `describe(ids)` -> {id: "how to show it in an error"};
    `what` -> the record's noun ("contact", "organisation with an application").
    """

    exact: Callable[[str], list[int]]
    names: Callable[[str], dict[int, str]]
    describe: Callable[[Sequence[int]], dict[int, str]]
    what: str
    exact_ambiguity_hint: str = "use an id"


def did_you_mean(index: NameIndex, ids: Sequence[int]) -> str:
    described = index.describe(ids)
    return "Did you mean: " + ", ".join(described[i] for i in ids if i in described) + "?"


def resolve_name(text: str, index: NameIndex) -> int:
    """The id of the one record `text` names, or NotFound/Ambiguous listing the closest."""
    key = fold(text)
    exact = index.exact(key)
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise Ambiguous(
            f"{len(exact)} {index.what}s are called {text!r}; {index.exact_ambiguity_hint}. "
            + did_you_mean(index, exact)
        )
    from rapidfuzz import fuzz, process

    best = process.extract(key, index.names(key), scorer=fuzz.WRatio, limit=5, score_cutoff=50)
    ranked = sorted(((score, rid) for _name, score, rid in best), key=lambda p: (-p[0], p[1]))
    if ranked and ranked[0][0] >= NAME_THRESHOLD and (
        len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= NAME_MARGIN
    ):
        return ranked[0][1]
    if not ranked:
        raise NotFound(f"no {index.what} matches {text!r}")
    close = [rid for score, rid in ranked[:CANDIDATES_SHOWN] if score >= ranked[0][0] - 15]
    if ranked[0][0] >= NAME_THRESHOLD:
        raise Ambiguous(f"{text!r} matches more than one {index.what}. " + did_you_mean(index, close))
    raise NotFound(f"no {index.what} matches {text!r}. " + did_you_mean(index, close))


def resolve_org(query: str, *, among=None, what: str = "organisation") -> Organisation:
    """One organisation for an ORG argument (`among`: a query of organisation ids to limit the
    search to, e.g. those with applications)."""
    text = " ".join(query.split())
    if not text:
        raise InvalidInput(f"an {what} is needed")
    scope = Organisation.select(Organisation.id, Organisation.name_key)
    if among is not None:
        scope = scope.where(Organisation.id.in_(among))

    def describe(ids: Sequence[int]) -> dict[int, str]:
        return dict(Organisation.select(Organisation.id, Organisation.name).where(Organisation.id.in_(list(ids))).tuples())

    index = NameIndex(
        exact=lambda key: [oid for oid, _key in scope.where(Organisation.name_key == key).order_by(Organisation.id).tuples()][:1],
        names=lambda key: dict(scope.tuples()),
        describe=describe,
        what=what,
    )
    return Organisation.get_by_id(resolve_name(text, index))
