"""Value offers: things you can give (an article, an introduction, a congratulation...).

An offer without `for_contact` is general: it fits anyone who shares one of its interests.
An offer with `for_contact` is meant for that one person (a congratulation on their promotion;
an introduction to `introduce`). An offer is *given* to a contact by logging a touch with it
(`crm log CONTACT value-offer --offer ID`): "given" is always derived from the log, so
`crm unlog` takes it back.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from crm import shapes
from crm.errors import InvalidInput
from crm.store.models import Contact, Offer, OfferInterest, database
from crm.store.touchpoints import choose

KINDS = ("article", "introduction", "congratulation", "event", "resource")


def add_offer(
    kind: str,
    title: str,
    *,
    on: date,
    now: str,
    url: str = "",
    interests: Iterable[str] = (),
    for_contact: Contact | None = None,
    introduce: Contact | None = None,
) -> Offer:
    """Create an offer with its interest tags in one transaction."""
    from crm.store.contacts import get_or_create_interest

    kind = choose(kind, KINDS, "offer kind")
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("an offer needs a title")
    if introduce is not None and kind != "introduction":
        raise InvalidInput(f"--introduce only goes with an introduction, not an {kind}")
    if introduce is not None and for_contact is not None and introduce.id == for_contact.id:
        raise InvalidInput("cannot introduce someone to themselves")
    names = [name for name in interests]
    if any(not name.strip() for name in names):
        raise InvalidInput("an interest needs a name")
    with database.atomic():
        offer = Offer.create(
            kind=kind, title=title, url=url.strip(), for_contact=for_contact, introduce=introduce, on=on,
            created_at=now,
        )
        linked: set[int] = set()
        for name in names:
            interest = get_or_create_interest(name)
            if interest.id not in linked:
                OfferInterest.create(offer=offer, interest=interest)
                linked.add(interest.id)
    return offer


def offer_rows(ids: Iterable[int] | None = None) -> list[shapes.OfferRow]:
    """The `crm offer list --json` records, oldest first, in a fixed number of queries."""
    conn = database.connection()
    where, params = "", []
    if ids is not None:
        params = list(ids)
        if not params:
            return []
        where = f" WHERE id IN ({','.join('?' * len(params))})"
    rows = conn.execute(
        f'SELECT id, kind, title, url, for_contact_id, introduce_id, "on" FROM offer{where} ORDER BY "on", id',
        params,
    ).fetchall()
    if not rows:
        return []
    wanted = [row[0] for row in rows]
    marks = ",".join("?" * len(wanted))
    interests: dict[int, list[str]] = {offer_id: [] for offer_id in wanted}
    for offer_id, name in conn.execute(
        "SELECT oi.offer_id, i.name FROM offer_interest oi JOIN interest i ON i.id = oi.interest_id"
        f" WHERE oi.offer_id IN ({marks}) ORDER BY lower(i.name)",
        wanted,
    ):
        interests[offer_id].append(name)
    given: dict[int, list[dict]] = {offer_id: [] for offer_id in wanted}
    # One entry per contact, dated by the first time it was given to them.
    for offer_id, contact_id, name, first_on in conn.execute(
        'SELECT t.offer_id, c.id, c.display_name, MIN(t."on") FROM touchpoint t JOIN contact c ON c.id = t.contact_id'
        f' WHERE t.offer_id IN ({marks}) GROUP BY t.offer_id, c.id ORDER BY t.offer_id, MIN(t."on"), c.id',
        wanted,
    ):
        given[offer_id].append({"id": contact_id, "name": name, "on": first_on})
    return [
        {
            "id": offer_id,
            "kind": kind,
            "title": title,
            "url": url or None,
            "interests": interests[offer_id],
            "for": for_id,
            "introduce": introduce_id,
            "on": on,
            "given_to": given[offer_id],
        }
        for offer_id, kind, title, url, for_id, introduce_id, on in rows
    ]


def offers_given_to(contact_id: int) -> list[shapes.OfferGiven]:
    """Offers logged as given to a contact, each once, by the first time it was given."""
    rows = database.connection().execute(
        'SELECT o.id, o.kind, o.title, o.url, MIN(t."on") FROM touchpoint t JOIN offer o ON o.id = t.offer_id'
        ' WHERE t.contact_id = ? GROUP BY o.id ORDER BY MIN(t."on"), o.id',
        (contact_id,),
    )
    return [
        {"id": offer_id, "kind": kind, "title": title, "url": url or None, "on": on}
        for offer_id, kind, title, url, on in rows
    ]


def offers_to_give(contact_id: int) -> list[shapes.OfferToGive]:
    """Offers not yet given to a contact that would fit them: those meant for them, then general
    offers sharing one of their interests (most shared interests first, then newest)."""
    conn = database.connection()
    given = {
        offer_id
        for (offer_id,) in conn.execute(
            "SELECT DISTINCT offer_id FROM touchpoint WHERE contact_id = ? AND offer_id IS NOT NULL", (contact_id,)
        )
    }
    fits: dict[int, dict] = {}
    for offer_id, kind, title, url, on in conn.execute(
        'SELECT id, kind, title, url, "on" FROM offer WHERE for_contact_id = ?', (contact_id,)
    ):
        if offer_id not in given:
            fits[offer_id] = {"id": offer_id, "kind": kind, "title": title, "url": url or None, "on": on,
                              "meant_for_them": True, "shared_interests": []}
    for offer_id, kind, title, url, on, interest in conn.execute(
        'SELECT o.id, o.kind, o.title, o.url, o."on", i.name FROM contact_interest ci'
        " JOIN offer_interest oi ON oi.interest_id = ci.interest_id"
        " JOIN offer o ON o.id = oi.offer_id JOIN interest i ON i.id = ci.interest_id"
        " WHERE ci.contact_id = ? AND o.for_contact_id IS NULL ORDER BY lower(i.name)",
        (contact_id,),
    ):
        if offer_id in given:
            continue
        record = fits.setdefault(
            offer_id,
            {"id": offer_id, "kind": kind, "title": title, "url": url or None, "on": on,
             "meant_for_them": False, "shared_interests": []},
        )
        record["shared_interests"].append(interest)
    records = sorted(fits.values(), key=lambda r: (r["id"]))
    records.sort(key=lambda r: r["on"], reverse=True)
    records.sort(key=lambda r: (not r["meant_for_them"], -len(r["shared_interests"])))
    return records
