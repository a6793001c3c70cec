"""The contact store: creating, reading, changing and finding contacts.

Functions here take and return domain values (`Card`) or model rows, never print, and never
read the clock: callers pass `now` (an ISO date-time string). Writes that belong together run
in one transaction.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable, Iterator, Sequence

from peewee import JOIN, fn

from crm import shapes
from crm.formats.card import ROLES, Birthday, Card, Typed
from crm.errors import Ambiguous, InvalidInput, NotFound
from crm.store.models import (
    Contact,
    ContactInterest,
    ContactMethod,
    ExtraProperty,
    Interest,
    Organisation,
    database,
    id_batches,
)
from crm.store.resolve import NameIndex, did_you_mean, like_prefix, resolve_name
from crm.text import email_key, fold, interest_key, method_key, nfc, org_key, phone_key



def check_role(role: str) -> str:
    role = role.strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    return role


# ---- organisations and interests -----------------------------------------------------------


def get_or_create_org(name: str) -> Organisation | None:
    """The organisation this name is (`crm.text.org_key`: "Initech" is "Initech, Inc."), created
    under the name as typed if new (in NFC: composed and decomposed accents are one name). The
    one way every command and the importer find one."""
    name = nfc(" ".join(name.split()))
    if not name:
        return None
    key = org_key(name)
    org = Organisation.select().where(Organisation.name_key == key).order_by(Organisation.id).first()
    if org is None:
        org = Organisation.create(name=name, name_key=key)
    return org


def find_interest(name: str) -> Interest | None:
    return Interest.get_or_none(Interest.name_key == interest_key(" ".join(name.split())))


def get_or_create_interest(name: str) -> Interest:
    name = nfc(" ".join(name.split()))
    if not name:
        raise InvalidInput("an interest needs a name")
    interest = find_interest(name)
    if interest is None:
        interest = Interest.create(name=name, name_key=interest_key(name))
    return interest


def tag_contact(contact: Contact, interests: Iterable[str], note: str = "") -> list[str]:
    """Link interests to a contact (creating tags as needed). Returns the names newly added."""
    added = []
    with database.atomic():
        for name in interests:
            interest = get_or_create_interest(name)
            link = ContactInterest.get_or_none(contact=contact, interest=interest)
            if link is None:
                ContactInterest.create(contact=contact, interest=interest, note=note)
                added.append(interest.name)
            elif note and link.note != note:
                link.note = note
                link.save()
    return added


def untag_contact(contact: Contact, interests: Iterable[str]) -> int:
    removed = 0
    with database.atomic():
        for name in interests:
            interest = find_interest(name)
            if interest is not None:
                removed += (
                    ContactInterest.delete()
                    .where((ContactInterest.contact == contact) & (ContactInterest.interest == interest))
                    .execute()
                )
    return removed


# ---- card <-> rows -------------------------------------------------------------------------


def card_methods(card: Card) -> list[tuple[str, Typed]]:
    return (
        [("email", t) for t in card.emails]
        + [("phone", t) for t in card.phones]
        + [("url", t) for t in card.urls]
        + [("social", t) for t in card.socials]
    )


def apply_card(contact: Contact, card: Card, now: str, region: str | None = None) -> None:
    """Write every field of `card` onto `contact` (scalar fields replaced, lists replaced)."""
    contact.display_name = card.display_name
    contact.name_key = fold(card.display_name)
    contact.given_name = card.given_name
    contact.family_name = card.family_name
    contact.additional_names = card.additional_names
    contact.name_prefix = card.name_prefix
    contact.name_suffix = card.name_suffix
    contact.nickname = card.nickname
    contact.organisation = get_or_create_org(card.org)
    contact.department = card.department
    contact.title = card.title
    if card.role:
        contact.role = check_role(card.role)
    contact.notes = card.note
    bday = card.birthday
    contact.bday_year, contact.bday_month, contact.bday_day = (
        (bday.year, bday.month, bday.day) if bday else (None, None, None)
    )
    contact.uid = card.uid or None
    contact.updated_at = now
    if contact.id is None:
        contact.created_at = now
    contact.save()
    ContactMethod.delete().where(ContactMethod.contact == contact).execute()
    rows = [
        {
            "contact": contact.id,
            "medium": medium,
            "value": typed.value,
            "norm": method_key(medium, typed.value, region),
            "kind": typed.kind,
            "label": typed.label,
            "service": typed.service,
            "position": position,
        }
        for position, (medium, typed) in enumerate(card_methods(card))
    ]
    if rows:
        ContactMethod.insert_many(rows).execute()
    ExtraProperty.delete().where(ExtraProperty.contact == contact).execute()
    if card.extra:
        ExtraProperty.insert_many(
            [{"contact": contact.id, "position": i, "line": line} for i, line in enumerate(card.extra)]
        ).execute()
    wanted = {interest_key(c): c for c in card.categories if c.strip()}
    current = {i.name_key: i for i in interests_of(contact)}
    for key in set(current) - set(wanted):
        ContactInterest.delete().where(
            (ContactInterest.contact == contact) & (ContactInterest.interest == current[key])
        ).execute()
    for key in set(wanted) - set(current):
        ContactInterest.create(contact=contact, interest=get_or_create_interest(wanted[key]))


def create_contact(card: Card, now: str, region: str | None = None) -> Contact:
    if not card.display_name.strip():
        raise InvalidInput("a contact needs a name")
    if not card.uid:
        card = replace(card, uid=new_uid())
    with database.atomic():
        contact = Contact(role="other")
        apply_card(contact, card, now, region)
    return contact


def new_uid() -> str:
    """A UID for a contact that came without one, so every export identifies its people and
    re-importing an export never confuses two namesakes."""
    import uuid

    return str(uuid.uuid4())


def interests_of(contact: Contact) -> list[Interest]:
    return list(
        Interest.select()
        .join(ContactInterest)
        .where(ContactInterest.contact == contact)
        .order_by(fn.lower(Interest.name))
    )


def contact_to_card(contact: Contact) -> Card:
    """The contact as a Card: what export writes and what `edit` starts from."""
    return next(iter_cards([contact.id]))[1]


@dataclass(frozen=True)
class StoredRows:
    """One contact's card as its rows hold it, with the keys stored beside it."""

    # display_name, given_name, family_name, additional_names, name_prefix, name_suffix, nickname,
    # name_key, organisation name and name_key (None without one), department, title, role, notes,
    # bday_year, bday_month, bday_day, uid
    contact: tuple
    methods: list[tuple]  # (medium, value, norm, kind, label, service), in position order
    extras: list[str]  # lines, in position order
    interests: list[str]  # names, by lower(name)


def stored_rows(contact_ids: Sequence[int], batch: int = 500) -> Iterator[tuple[int, StoredRows]]:
    """(id, StoredRows) for the given contacts that exist, in the order given, a few queries per batch."""
    conn = database.connection()
    for chunk in id_batches(list(contact_ids), batch):
        marks = ",".join("?" * len(chunk))
        contacts = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT c.id, c.display_name, c.given_name, c.family_name, c.additional_names, c.name_prefix,"
                " c.name_suffix, c.nickname, c.name_key, o.name, o.name_key, c.department, c.title, c.role,"
                " c.notes, c.bday_year, c.bday_month, c.bday_day, c.uid FROM contact c LEFT JOIN organisation o"
                f" ON o.id = c.organisation_id WHERE c.id IN ({marks})",
                chunk,
            )
        }
        methods: dict[int, list] = {cid: [] for cid in chunk}
        for cid, *method in conn.execute(
            "SELECT contact_id, medium, value, norm, kind, label, service FROM contact_method"
            f" WHERE contact_id IN ({marks}) ORDER BY contact_id, position, id",
            chunk,
        ):
            methods[cid].append(tuple(method))
        extras: dict[int, list[str]] = {cid: [] for cid in chunk}
        for cid, line in conn.execute(
            f"SELECT contact_id, line FROM extra_property WHERE contact_id IN ({marks}) ORDER BY contact_id, position",
            chunk,
        ):
            extras[cid].append(line)
        interests: dict[int, list[str]] = {cid: [] for cid in chunk}
        for cid, name in conn.execute(
            "SELECT ci.contact_id, i.name FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id"
            f" WHERE ci.contact_id IN ({marks}) ORDER BY lower(i.name)",
            chunk,
        ):
            interests[cid].append(name)
        for cid in chunk:
            if cid in contacts:
                yield cid, StoredRows(contacts[cid], methods[cid], extras[cid], interests[cid])


def card_of(rows: StoredRows) -> Card:
    (name, given, family, additional, prefix, suffix, nickname, _name_key, org, _org_key, department, title, role,
     notes, year, month, day, uid) = rows.contact
    card = Card(
        display_name=name, given_name=given, family_name=family, additional_names=additional,
        name_prefix=prefix, name_suffix=suffix, nickname=nickname, org=org or "",
        department=department, title=title, role=role if role != "other" else "", note=notes,
        birthday=Birthday(month=month, day=day, year=year) if month and day else None,
        uid=uid or "", categories=rows.interests, extra=rows.extras,
    )
    lists = {"email": card.emails, "phone": card.phones, "url": card.urls, "social": card.socials}
    for medium, value, _norm, kind, label, service in rows.methods:
        lists[medium].append(Typed(value=value, kind=kind, label=label, service=service))
    return card


# Secondary indexes of the card tables on random keys that an import neither reads nor needs
# kept up while it writes (its identity index is read by table scans, its joins by contact id).
_BULK_INDEXES = ("contact_keep_warm", "contact_method_medium_norm", "contact_name_key", "contact_organisation_id")


@contextmanager
def filling_empty_contacts() -> Iterator[None]:
    """Around an import's writes (inside its transaction): into an empty contact table, the rows
    go in faster without the secondary indexes on random keys (each row a jump into four more
    B-trees), which are then built from the rows, the same indexes (their stored SQL), whatever
    happened; should that fail too, the caller's transaction is rolled back, indexes and all."""
    conn = database.connection()
    if conn.execute("SELECT 1 FROM contact LIMIT 1").fetchone() is not None:
        yield
        return
    marks = ",".join("?" * len(_BULK_INDEXES))
    dropped = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks}) ORDER BY name",
        _BULK_INDEXES).fetchall()
    for name, _sql in dropped:
        conn.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:  # also after an error the caller may report and go on from (a file it could not read)
        for _name, sql in dropped:
            conn.execute(sql)


def iter_cards(contact_ids: Sequence[int] | None = None, batch: int = 500) -> Iterator[tuple[int, Card]]:
    """(id, Card) for the given contacts (all when None), in id order, a few queries per batch."""
    if contact_ids is None:
        contact_ids = [cid for (cid,) in database.connection().execute("SELECT id FROM contact ORDER BY id")]
    for cid, rows in stored_rows(contact_ids, batch):
        yield cid, card_of(rows)


# ---- listing -------------------------------------------------------------------------------


def _filtered(query, role: str | None, interest: str | None, org: str | None):
    """`query` (over Contact joined to Organisation) narrowed by the `list`/`export` filters."""
    if role:
        query = query.where(Contact.role == check_role(role))
    if org:
        from crm.store.resolve import resolve_org

        query = query.where(Contact.organisation == resolve_org(org))
    if interest:
        query = query.where(
            Contact.id.in_(
                ContactInterest.select(ContactInterest.contact)
                .join(Interest)
                .where(Interest.name_key == interest_key(interest))
            )
        )
    return query


def contact_ids(*, role: str | None = None, interest: str | None = None, org: str | None = None) -> list[int]:
    """Ids of the contacts a filter selects, in id order (what `crm export` writes)."""
    query = Contact.select(Contact.id).join(Organisation, join_type=JOIN.LEFT_OUTER)
    return [cid for (cid,) in _filtered(query, role, interest, org).order_by(Contact.id).tuples()]


# One query for the whole listing: each record's lists are gathered by SQLite per contact, as
# JSON arrays in the order `list` shows them.
# A contact's emails, phones and interests in the listing's order (`FROM ...` after a SELECT of
# m.value or i.name), and the listing's contacts in its order.
_EMAILS = "FROM contact_method m WHERE m.contact_id = c.id AND m.medium = 'email' ORDER BY m.position, m.id"
_PHONES = "FROM contact_method m WHERE m.contact_id = c.id AND m.medium = 'phone' ORDER BY m.position, m.id"
_INTERESTS = ("FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id WHERE ci.contact_id = c.id"
              " ORDER BY lower(i.name), i.id")
_CONTACTS = "FROM contact c LEFT JOIN organisation o ON o.id = c.organisation_id{where} ORDER BY c.name_key, c.id"

_LISTING = f"""
SELECT c.id, c.display_name,
    (SELECT json_group_array(value) FROM (SELECT m.value {_EMAILS})),
    (SELECT json_group_array(value) FROM (SELECT m.value {_PHONES})),
    o.name, c.title, c.role,
    (SELECT json_group_array(name) FROM (SELECT i.name {_INTERESTS}))
{_CONTACTS}
"""


def _strings(array: str) -> list[str]:
    """The values of a JSON array of strings made by SQLite's json_group_array. SQLite escapes
    every quote, backslash and control character in a value, so in an array without a backslash
    the values are exactly the text between its '","'s: read so, 3x faster than json.loads,
    which a 100k-contact listing calls on every array."""
    if array == "[]":
        return []
    if "\\" in array:
        import json

        return json.loads(array)
    return array[2:-2].split('","')


def _listing(sql: str, role: str | None, interest: str | None, org: str | None):
    """A cursor over `sql` (a listing query with a "{where}" in it) for the contacts a filter selects."""
    if role or interest or org:
        ids = _filtered(Contact.select(Contact.id).join(Organisation, join_type=JOIN.LEFT_OUTER), role, interest, org)
        subquery, params = ids.sql()
        return database.execute_sql(sql.replace("{where}", f" WHERE c.id IN ({subquery})"), params)
    return database.execute_sql(sql.replace("{where}", ""))


def iter_contact_rows(*, role: str | None = None, interest: str | None = None,
                      org: str | None = None) -> Iterator[shapes.ContactRow]:
    """The `crm list --json` records, by name, one at a time as SQLite reads them: one query,
    and never the whole book in memory."""
    cursor = _listing(_LISTING, role, interest, org)

    for cid, name, emails, phones, org_name, title, role_, interests in cursor:
        yield {
            "id": cid,
            "name": name,
            "emails": _strings(emails),
            "phones": _strings(phones),
            "org": org_name,
            "title": title or None,
            "role": role_,
            "interests": _strings(interests),
        }


# The same records as JSON text, made by SQLite: `render.json_record(row)` of each row of
# iter_contact_rows, a third of the time of building each row in Python and encoding it again
# (at 100k contacts). SQLite's json_quote escapes a string exactly as Python's json encoder
# does (quote, backslash, the short escapes, other C0 controls as \u00XX); a probe at the first
# use holds it to that, and with another SQLite the Python path is taken.
_JSON_ITEM = "\n      "  # a list's items inside a listing's record (render._ITEM)


def _json_list(subquery: str) -> str:
    """An SQL expression: the JSON text of the list of the (quoted) `q` values of `subquery`."""
    return (f"coalesce((SELECT '[{_JSON_ITEM}' || group_concat(q, ',{_JSON_ITEM}') || '\n    ]' FROM ({subquery})),"
            " '[]')")


def _json_listing() -> str:
    members = (
        ("id", "c.id"),
        ("name", "json_quote(c.display_name)"),
        ("emails", _json_list(f"SELECT json_quote(m.value) AS q {_EMAILS}")),
        ("phones", _json_list(f"SELECT json_quote(m.value) AS q {_PHONES}")),
        ("org", "json_quote(o.name)"),
        ("title", "json_quote(nullif(c.title, ''))"),
        ("role", "json_quote(c.role)"),
        ("interests", _json_list(f"SELECT json_quote(i.name) AS q {_INTERESTS}")),
    )
    record = " || ',' || ".join(f"'\n    \"{key}\": ' || {value}" for key, value in members)
    return f"SELECT '{{' || {record} || '\n  }}' {_CONTACTS}"


_JSON_PROBE = "".join(map(chr, range(0xA0))) + "\u2028\u202e\ufeff\U0001f642 é \"\\"


def _sqlite_quotes_as_python() -> bool:
    import json

    (quoted,) = database.execute_sql("SELECT json_quote(?)", (_JSON_PROBE,)).fetchone()
    return quoted == json.encoder.encode_basestring(_JSON_PROBE)


def iter_contact_json(*, role: str | None = None, interest: str | None = None,
                      org: str | None = None) -> Iterator[str]:
    """`render.json_record` of each record `iter_contact_rows` gives, in its order, one at a time
    (`render.json_records` writes them as the listing)."""
    if not _sqlite_quotes_as_python():
        from crm.render import json_record

        yield from map(json_record, iter_contact_rows(role=role, interest=interest, org=org))
        return
    for (text,) in _listing(_json_listing(), role, interest, org):
        yield text


# ---- finding one contact -------------------------------------------------------------------


def _describe(ids: Sequence[int]) -> dict[int, str]:
    rows = (
        Contact.select(Contact.id, Contact.display_name, Organisation.name)
        .join(Organisation, join_type=JOIN.LEFT_OUTER)
        .where(Contact.id.in_(list(ids)))
        .tuples()
    )
    return {cid: f"{name} (#{cid}{', ' + org if org else ''})" for cid, name, org in rows}


def namesakes(contact: Contact) -> list[int]:
    """Other contacts with the same folded name, in id order."""
    return [cid for cid in _exact_names(contact.name_key) if cid != contact.id]


def _exact_names(key: str) -> list[int]:
    return [cid for (cid,) in Contact.select(Contact.id).where(Contact.name_key == key).order_by(Contact.id).tuples()]


def _names_containing(word: str) -> dict[int, str]:
    first, inner = like_prefix(word)
    return dict(database.connection().execute(
        "SELECT id, name_key FROM contact WHERE name_key LIKE ? ESCAPE '\\' OR name_key LIKE ? ESCAPE '\\'",
        (first, inner)))


CONTACT_NAMES = NameIndex(
    exact=_exact_names,
    containing=_names_containing,
    names=lambda key: _name_candidates(key),
    describe=_describe,
    what="contact",
    exact_ambiguity_hint="use an id or email",
)


def resolve_contact(query: str) -> Contact:
    """One contact for a CONTACT argument: an id, an email address, or a (fuzzy) name.

    An exact case- and accent-insensitive name wins; else the one name every query word starts
    a word of; else one clear best fuzzy match (crm.store.resolve); else NotFound/Ambiguous
    naming the candidates.
    """
    text = query.strip()
    if not text:
        raise InvalidInput("a contact is needed (an id, an email address or a name)")
    if text.lstrip("#").isdecimal():  # not isdigit(): "³" is a digit int() refuses
        number = int(text.lstrip("#"))
        contact = Contact.get_or_none(Contact.id == number) if number < 2**63 else None
        if contact is None:
            raise NotFound(f"no contact has id {number}")
        return contact
    if "@" in text and " " not in text:
        ids = [
            cid
            for (cid,) in ContactMethod.select(ContactMethod.contact)
            .where((ContactMethod.medium == "email") & (ContactMethod.norm == email_key(text)))
            .distinct()
            .tuples()
        ]
        if len(ids) == 1:
            return Contact.get_by_id(ids[0])
        if len(ids) > 1:
            raise Ambiguous(f"{len(ids)} contacts have the email {text!r}. " + did_you_mean(CONTACT_NAMES, ids))
        raise NotFound(f"no contact has the email {text!r}")
    return Contact.get_by_id(resolve_name(text, CONTACT_NAMES))


FULL_SCAN_LIMIT = 20000


def _name_candidates(key: str) -> dict[int, str]:
    """Names worth scoring against `key`: all of them in a small book; in a large one, those
    sharing the first two letters of some word with the query (a typo rarely hits both)."""
    conn = database.connection()
    total = conn.execute("SELECT COUNT(*) FROM contact").fetchone()[0]
    if total <= FULL_SCAN_LIMIT:
        return dict(conn.execute("SELECT id, name_key FROM contact"))
    clauses, params = [], []
    for token in {t[:2] for t in key.split() if t}:
        pattern = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("name_key LIKE ? ESCAPE '\\' OR name_key LIKE ? ESCAPE '\\'")
        params += [pattern + "%", "% " + pattern + "%"]
    if not clauses:
        return {}
    return dict(conn.execute(f"SELECT id, name_key FROM contact WHERE {' OR '.join(clauses)}", params))


# ---- changing and removing ----------------------------------------------------------------


@dataclass
class ContactChanges:
    """What `crm add`/`crm edit` options ask for. None means "leave as it is"."""

    name: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    org: str | None = None
    title: str | None = None
    role: str | None = None
    note: str | None = None


def card_from_changes(changes: ContactChanges, base: Card | None = None, region: str | None = None) -> Card:
    card = base or Card()
    if changes.name is not None:
        name = " ".join(changes.name.split())
        if not name:
            raise InvalidInput("a contact needs a name")
        card.display_name = name
        if base is None or not (card.given_name or card.family_name) or changes.name != base.display_name:
            parts = name.split(" ")
            card.given_name = parts[0] if len(parts) > 1 else name
            card.family_name = " ".join(parts[1:]) if len(parts) > 1 else ""
    known = {fold(t.value) for t in card.emails}
    for e in changes.emails:
        e = e.strip()
        if "@" not in e or " " in e or e.startswith("@") or e.endswith("@"):
            raise InvalidInput(f"{e!r} is not an email address")
        if fold(e) not in known:
            card.emails.append(Typed(e))
            known.add(fold(e))
    known_phones = {phone_key(t.value, region) for t in card.phones}
    for p in changes.phones:
        if not phone_key(p, region):
            raise InvalidInput(f"{p!r} is not a phone number (it has no digits)")
        if phone_key(p, region) not in known_phones:
            card.phones.append(Typed(p.strip()))
            known_phones.add(phone_key(p, region))
    for u in changes.urls:
        if not u.strip():
            raise InvalidInput("an empty URL was given")
        if u.strip() not in {t.value for t in card.urls}:
            card.urls.append(Typed(u.strip()))
    if changes.org is not None:
        card.org = changes.org.strip()
    if changes.title is not None:
        card.title = changes.title.strip()
    if changes.role is not None:
        role = check_role(changes.role)
        card.role = "" if role == "other" else role
    if changes.note is not None:
        card.note = changes.note
    lowered = {interest_key(c) for c in card.categories}
    for interest in changes.interests:
        if not interest.strip():
            raise InvalidInput("an interest needs a name")
        if interest_key(interest) not in lowered:
            card.categories.append(" ".join(interest.split()))
            lowered.add(interest_key(interest))
    return card


def edit_contact(contact: Contact, changes: ContactChanges, now: str, region: str | None = None,
                 since: date | None = None) -> Contact:
    """Apply `changes`. A role given here is the user's word: it clears the inferred mark, and a
    contact moving from `other` to a role (with no own interval) enters keep-warm on `since`
    (default: the day of `now`), which rule 10 spreads from."""
    card = card_from_changes(changes, contact_to_card(contact), region)
    role_before = contact.role
    with database.atomic():
        apply_card(contact, card, now, region)
        if changes.role is None:  # apply_card leaves role alone when the card has none
            contact.role = role_before
            contact.save()
        else:
            if check_role(changes.role) == "other":
                contact.role = "other"
            contact.role_inferred = False
            if role_before == "other" and contact.role != "other" and contact.cadence_days is None:
                contact.keep_warm_since = since or date.fromisoformat(now[:10])
            contact.save()
    return contact


def known_since(contact_ids: Iterable[int], on: str) -> None:
    """A back-dated touch or interview shows the contact was known on `on`: move `created_at`
    back to that day if it is later, so that replaying that day (`--on`) sees the contact."""
    day = on[:10] + "T00:00:00"
    Contact.update(created_at=day).where(Contact.id.in_(list(contact_ids)) & (Contact.created_at > day)).execute()


def delete_contact(contact: Contact) -> None:
    with database.atomic():
        contact.delete_instance()  # cascades: methods, interests, extras, touchpoints
