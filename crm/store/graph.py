"""The network around you: organisations, and who could be introduced to whom.

Introductions. Two contacts are a candidate pair when they share an interest and have no
*known link*: they work at the same organisation, took part in the same application (as its
recruiter or an interviewer in any of its rounds), or an introduction already names both (an
offer `--for` one `--introduce` the other, or a touch logged to one with an introduction offer
naming the other). Pairs rank by the number of shared interests, then by how rare those
interests are (sharing a niche beats sharing what everybody has), then by ids.

Pairs come from grouping contacts by interest, never from comparing all contacts: groups are
taken rarest interest first until PAIR_BUDGET candidate pairs are made, so a catch-all
category held by thousands (an imported "myContacts") costs nothing, yet still counts among
the shared interests of the pairs rarer interests made.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Iterable

from crm import shapes
from crm.errors import InvalidInput
from crm.store.models import Organisation, database, id_batches
from crm.text import fold

PAIR_BUDGET = 200_000  # candidate pairs considered at most, whatever the size of the network
DEFAULT_INTRO_LIMIT = 20


# ---- organisations --------------------------------------------------------------------------


def org_view(organisation: Organisation) -> shapes.OrgView:
    """The `crm org --json` record: who you know there, in what role, when you last spoke.

    People are the contacts whose organisation it is, plus the recruiters and interviewers of
    its applications who work elsewhere (`works_here` false: an agency recruiter, say).
    `last_touch` is the newest touchpoint either way; `last_interview` the newest round they
    interviewed you in.
    """
    from crm.store.applications import application_rows

    conn = database.connection()
    people: dict[int, dict] = {}
    for contact_id, name, title, role in conn.execute(
        "SELECT id, display_name, title, role FROM contact WHERE organisation_id = ?", (organisation.id,)
    ):
        people[contact_id] = {"id": contact_id, "name": name, "title": title or None, "role": role,
                              "works_here": True, "last_touch": None, "last_interview": None}
    involved = conn.execute(
        "SELECT a.recruiter_id FROM application a WHERE a.organisation_id = ? AND a.recruiter_id IS NOT NULL"
        " UNION SELECT ri.contact_id FROM round_interviewer ri JOIN interview_round r ON r.id = ri.round_id"
        " JOIN application a ON a.id = r.application_id WHERE a.organisation_id = ?",
        (organisation.id, organisation.id),
    ).fetchall()
    outsiders = [contact_id for (contact_id,) in involved if contact_id not in people]
    if outsiders:
        for contact_id, name, title, role in conn.execute(
            f"SELECT id, display_name, title, role FROM contact WHERE id IN ({','.join('?' * len(outsiders))})",
            outsiders,
        ):
            people[contact_id] = {"id": contact_id, "name": name, "title": title or None, "role": role,
                                  "works_here": False, "last_touch": None, "last_interview": None}
    ids = list(people)
    for chunk in id_batches(ids):
        marks = ",".join("?" * len(chunk))
        # MAX("on") per contact is answered from the touchpoint(contact_id, "on", ...) index.
        for contact_id, last in conn.execute(
            f'SELECT contact_id, MAX("on") FROM touchpoint WHERE contact_id IN ({marks}) GROUP BY contact_id', chunk
        ):
            people[contact_id]["last_touch"] = last
        for contact_id, last in conn.execute(
            'SELECT ri.contact_id, MAX(r."on") FROM round_interviewer ri JOIN interview_round r ON r.id = ri.round_id'
            f" WHERE ri.contact_id IN ({marks}) GROUP BY ri.contact_id",
            chunk,
        ):
            people[contact_id]["last_interview"] = last
    application_ids = [
        app_id for (app_id,) in conn.execute("SELECT id FROM application WHERE organisation_id = ?", (organisation.id,))
    ]
    applications = [
        {"id": row["id"], "position": row["position"], "stage": row["stage"]}
        for row in application_rows(ids=application_ids)
    ] if application_ids else []
    return {
        "id": organisation.id,
        "name": organisation.name,
        "people": sorted(people.values(), key=lambda p: (not p["works_here"], fold(p["name"]), p["id"])),
        "applications": applications,
    }


# ---- introductions --------------------------------------------------------------------------


@dataclass(frozen=True)
class IntroPair:
    a: int
    b: int
    shared: tuple[str, ...]  # interest names, alphabetical
    rarity: float  # sum of 1 / (contacts holding it) over the shared interests


class _Links:
    """The known links between contacts, loaded once, asked per candidate pair."""

    def __init__(self) -> None:
        conn = database.connection()
        self.org: dict[int, int] = dict(
            conn.execute("SELECT id, organisation_id FROM contact WHERE organisation_id IS NOT NULL")
        )
        self.applications: dict[int, set[int]] = defaultdict(set)
        for contact_id, app_id in conn.execute(
            "SELECT recruiter_id, id FROM application WHERE recruiter_id IS NOT NULL"
            " UNION SELECT ri.contact_id, r.application_id FROM round_interviewer ri"
            " JOIN interview_round r ON r.id = ri.round_id"
        ):
            self.applications[contact_id].add(app_id)
        self.introduced: set[tuple[int, int]] = set()
        for a, b in conn.execute(
            "SELECT for_contact_id, introduce_id FROM offer"
            " WHERE for_contact_id IS NOT NULL AND introduce_id IS NOT NULL"
            " UNION SELECT t.contact_id, o.introduce_id FROM touchpoint t JOIN offer o ON o.id = t.offer_id"
            " WHERE o.introduce_id IS NOT NULL"
            " UNION SELECT t.contact_id, o.for_contact_id FROM touchpoint t JOIN offer o ON o.id = t.offer_id"
            " WHERE o.kind = 'introduction' AND o.for_contact_id IS NOT NULL"
        ):
            if a != b:
                self.introduced.add((min(a, b), max(a, b)))

    def known(self, a: int, b: int) -> bool:
        org_a = self.org.get(a)
        if org_a is not None and org_a == self.org.get(b):
            return True
        if (min(a, b), max(a, b)) in self.introduced:
            return True
        apps_a = self.applications.get(a)
        return bool(apps_a and apps_a & self.applications.get(b, set()))


def intro_candidates(limit: int = DEFAULT_INTRO_LIMIT, *, contact_id: int | None = None) -> list[IntroPair]:
    """The best `limit` pairs who share an interest and have no known link (see the module doc).

    With `contact_id`, only pairs with that contact (its partner is `b`); then no group is too
    big, since one contact's neighbours are linear in the number of contacts.
    """
    if limit <= 0:
        raise InvalidInput(f"the limit must be a positive number, not {limit}")
    conn = database.connection()
    if contact_id is None:
        rows = conn.execute("SELECT contact_id, interest_id FROM contact_interest")
    else:
        rows = conn.execute(
            "SELECT contact_id, interest_id FROM contact_interest WHERE interest_id IN"
            " (SELECT interest_id FROM contact_interest WHERE contact_id = ?)",
            (contact_id,),
        )
    members: dict[int, list[int]] = defaultdict(list)
    held: dict[int, set[int]] = defaultdict(set)
    for cid, interest_id in rows:
        members[interest_id].append(cid)
        held[cid].add(interest_id)
    if contact_id is None:
        pairs = _candidate_pairs(members, held)
    else:
        pairs = {(contact_id, other) for other in held if other != contact_id}
    if not pairs:
        return []
    links = _Links()
    size = {interest_id: len(group) for interest_id, group in members.items()}

    def ranked() -> Iterable[tuple[tuple, int, int, frozenset[int]]]:
        for a, b in pairs:
            if links.known(a, b):
                continue
            shared = held[a] & held[b]
            rarity = sum(1 / size[i] for i in shared)
            yield (-len(shared), -rarity, a, b), a, b, frozenset(shared)

    best = heapq.nsmallest(limit, ranked(), key=lambda item: item[0])
    names = dict(
        conn.execute(
            "SELECT id, name FROM interest WHERE id IN (SELECT value FROM json_each(?))",
            (_json_ids({i for item in best for i in item[3]}),),
        )
    )
    return [
        IntroPair(a, b, tuple(sorted((names[i] for i in shared), key=str.lower)), -key[1])
        for key, a, b, shared in best
    ]


def _candidate_pairs(members: dict[int, list[int]], held: dict[int, set[int]]) -> set[tuple[int, int]]:
    """Pairs from interest groups, rarest interest first, until PAIR_BUDGET pairs are made.

    The group that would overrun the budget contributes pairs among its members who hold the
    most interests (the likeliest to share several); larger groups then make no new pairs but
    still count among the shared interests of the pairs already made.
    """
    pairs: set[tuple[int, int]] = set()
    for _interest, group in sorted(members.items(), key=lambda item: (len(item[1]), item[0])):
        room = PAIR_BUDGET - len(pairs)
        if room <= 0:
            break
        if len(group) < 2:
            continue
        if len(group) * (len(group) - 1) // 2 > room:
            keep = 2
            while (keep + 1) * keep // 2 <= room:
                keep += 1
            group = sorted(group, key=lambda c: (-len(held[c]), c))[:keep]
        pairs.update(combinations(sorted(group), 2))
    return pairs


def _json_ids(ids: Iterable[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def intro_rows(pairs: list[IntroPair]) -> list[shapes.IntroPair]:
    """The `crm intros --json` records."""
    ids = {p.a for p in pairs} | {p.b for p in pairs}
    people = {
        contact_id: {"id": contact_id, "name": name, "org": org}
        for contact_id, name, org in database.connection().execute(
            "SELECT c.id, c.display_name, o.name FROM contact c LEFT JOIN organisation o ON o.id = c.organisation_id"
            " WHERE c.id IN (SELECT value FROM json_each(?))",
            (_json_ids(ids),),
        )
    }
    return [{"a": people[p.a], "b": people[p.b], "shared_interests": list(p.shared)} for p in pairs]
