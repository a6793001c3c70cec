"""Cards into rows with raw SQL on the peewee connection: the import's (and sync's) hot path.

`CardWriter` writes a card's contact, methods, extra properties and interests. Between
`begin_batch` and `flush` the new contacts are not written one statement at a time but
gathered and written table by table, many rows a statement (`crm.store.bulk`; 2-3x less
SQLite time than a statement a row): each gets the
id SQLite would have given it (one more than the largest), so the rows are the same as when
written one by one. `CardKeys` holds the keys of one card (folded name, email, phone and URL
keys), computed once for matching, remembering and writing alike.
"""
from __future__ import annotations

import sqlite3

from crm.formats.card import ROLES, Card
from crm.identity.roles import infer_role
from crm.store.bulk import insert_rows
from crm.store.fingerprints import contact_state, record as record_fingerprints
from crm.text import email_key, fold, interest_key, method_key, org_key, phone_key, url_key
from crm.values import value

_CONTACT_COLUMNS = (
    "display_name, given_name, family_name, additional_names, name_prefix, name_suffix, nickname, name_key,"
    " organisation_id, department, title, notes, bday_year, bday_month, bday_day, role, uid, created_at,"
    " updated_at, role_inferred, keep_warm_since"
)
_INSERT_CONTACT = f"INSERT INTO contact ({_CONTACT_COLUMNS}) VALUES ({', '.join('?' * 21)})"
_INSERT_CONTACT_WITH_ID = f"INSERT INTO contact (id, {_CONTACT_COLUMNS}) VALUES ({', '.join('?' * 22)})"
_INSERT_METHOD = (
    "INSERT INTO contact_method (contact_id, medium, value, norm, kind, label, service, position)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EXTRA = "INSERT INTO extra_property (contact_id, position, line) VALUES (?, ?, ?)"
_INSERT_INTEREST = "INSERT OR IGNORE INTO contact_interest (contact_id, interest_id, note) VALUES (?, ?, '')"
_LARGEST_ID = (1 << 63) - 1  # past it SQLite picks ids at random: no batch then


@value
class CardKeys:
    """A card's identity keys, in its own order: `links` are its profiles then its URLs (the
    order matching tries them in)."""

    name: str  # crm.text.fold of the display name: contact.name_key
    org: str  # crm.text.org_key of the organisation, "" without one
    emails: tuple[str, ...]
    phones: tuple[str, ...]  # crm.text.phone_key with the import's region
    links: tuple[str, ...]


def card_keys(card: Card, region: str | None) -> CardKeys:
    return CardKeys(
        fold(card.display_name), org_key(card.org) if card.org else "",
        tuple([email_key(t.value) for t in card.emails]) if card.emails else (),
        tuple([phone_key(t.value, region) for t in card.phones]) if card.phones else (),
        tuple([url_key(t.value) for t in card.socials] + [url_key(t.value) for t in card.urls])
        if card.socials or card.urls else (),
    )


class _Batch:
    __slots__ = ("first_id", "next_id", "contacts", "methods", "extras", "interests", "fingerprints")

    def __init__(self, first_id: int):
        self.first_id = first_id
        self.next_id = first_id
        self.contacts: list[tuple] = []
        self.methods: list[tuple] = []
        self.extras: list[tuple] = []
        self.interests: list[tuple] = []
        self.fingerprints: list[tuple] = []  # crm.store.fingerprints rows of the new contacts


class CardWriter:
    """Writes cards with raw SQL on the peewee connection."""

    def __init__(self, conn: sqlite3.Connection, now: str, region: str | None = None):
        self.conn = conn
        self.now = now
        self.region = region
        self.orgs: dict[str, int] = {}
        self.interests: dict[str, int] = {}
        # Organisations and interests created since the last savepoint, undone if it is rolled back.
        self.cached_this_card: list[tuple[dict, str]] = []
        self.batch: _Batch | None = None
        self.keys_of: tuple[Card | None, CardKeys | None] = (None, None)  # the card `create` is writing
        self.org_rows: dict[int, tuple[str, str]] = {}  # id -> (name, name_key)
        self.interest_names: dict[int, str] = {}
        for oid, name, key in conn.execute("SELECT id, name, name_key FROM organisation ORDER BY id DESC"):
            self.orgs[key] = oid  # descending: the oldest of any pre-m007 twins wins
            self.org_rows[oid] = (name, key)
        for iid, name, key in conn.execute("SELECT id, name, name_key FROM interest ORDER BY id DESC"):
            self.interests[key] = iid
            self.interest_names[iid] = name

    # ---- batches of new contacts ----

    def begin_batch(self) -> bool:
        """Gather the contacts `create` makes from now on until `flush`; False (and nothing
        gathered) when the table's ids are too large to be foreseen."""
        (largest,) = self.conn.execute("SELECT max(id) FROM contact").fetchone()
        if largest is not None and largest >= _LARGEST_ID:
            return False
        self.batch = _Batch((largest or 0) + 1)
        self.cached_this_card.clear()
        return True

    def flush(self) -> None:
        """Write what the batch gathered, parents first; the batch ends (unless this fails:
        then `undo_batch`)."""
        batch = self.batch
        if batch is None:
            return
        for sql, rows in ((_INSERT_CONTACT_WITH_ID, batch.contacts), (_INSERT_METHOD, batch.methods),
                          (_INSERT_EXTRA, batch.extras), (_INSERT_INTEREST, batch.interests)):
            insert_rows(self.conn, sql, rows)
        record_fingerprints(self.conn, batch.fingerprints)
        self.batch = None
        self.cached_this_card.clear()

    def undo_batch(self) -> None:
        """Delete every row of the batch (a failed `flush` may have written some), and the
        organisations and interests made since it began: the tables are as before it, down to
        the ids the next rows get (one more than the largest). Deletes rather than a savepoint:
        a savepoint copies each page a batch touches once more, a third of the batch's cost."""
        batch, self.batch = self.batch, None
        first = batch.first_id
        for table in ("card_fingerprint", "contact_interest", "extra_property", "contact_method"):
            self.conn.execute(f"DELETE FROM {table} WHERE contact_id >= ?", (first,))
        self.conn.execute("DELETE FROM contact WHERE id >= ?", (first,))
        for cache, key in reversed(self.cached_this_card):
            table = "organisation" if cache is self.orgs else "interest"
            self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (cache.pop(key),))
        self.cached_this_card.clear()

    # ---- organisations and interests ----

    def org_id(self, name: str) -> int | None:
        """The organisation this name is (`crm.text.org_key`), created if new."""
        name = " ".join(name.split())
        if not name:
            return None
        key = org_key(name)
        oid = self.orgs.get(key)
        if oid is None:
            oid = self.conn.execute(
                "INSERT INTO organisation (name, name_key) VALUES (?, ?)", (name, key)
            ).lastrowid
            self.orgs[key] = oid
            self.org_rows[oid] = (name, key)
            self.cached_this_card.append((self.orgs, key))
        return oid

    def interest_id(self, name: str) -> int:
        name = " ".join(name.split())
        key = interest_key(name)
        iid = self.interests.get(key)
        if iid is None:
            iid = self.conn.execute("INSERT INTO interest (name, name_key) VALUES (?, ?)", (name, key)).lastrowid
            self.interests[key] = iid
            self.interest_names[iid] = name
            self.cached_this_card.append((self.interests, key))
        return iid

    def forget_card(self) -> None:
        """The savepoint was rolled back: the organisations and interests created since are gone."""
        for cache, key in self.cached_this_card:
            cache.pop(key, None)
        self.cached_this_card.clear()

    # ---- contacts ----

    def _scalars(self, card: Card, keys: CardKeys | None) -> tuple:
        bday = card.birthday
        return (
            card.display_name, card.given_name, card.family_name, card.additional_names,
            card.name_prefix, card.name_suffix, card.nickname, keys.name if keys else fold(card.display_name),
            self.org_id(card.org), card.department, card.title, card.note,
            bday.year if bday else None, bday.month if bday else None, bday.day if bday else None,
        )

    def _children(self, cid: int, card: Card) -> None:
        batch = self.batch
        methods = [("email", t) for t in card.emails]
        if card.phones:
            methods += [("phone", t) for t in card.phones]
        if card.urls:
            methods += [("url", t) for t in card.urls]
        if card.socials:
            methods += [("social", t) for t in card.socials]
        if methods:
            keyed, keys = self.keys_of
            if keyed is card and keys is not None:  # `create` was given its keys: the norms are among them
                socials = len(card.socials)
                norms = [*keys.emails, *keys.phones, *keys.links[socials:], *keys.links[:socials]]
            else:
                norms = [method_key(medium, t.value, self.region) for medium, t in methods]
            rows = [(cid, medium, t.value, norm, t.kind, t.label, t.service, i)
                    for i, ((medium, t), norm) in enumerate(zip(methods, norms))]
            if batch is None:
                self.conn.executemany(_INSERT_METHOD, rows)
            else:
                batch.methods += rows
        if card.extra:
            rows = [(cid, i, line) for i, line in enumerate(card.extra)]
            if batch is None:
                self.conn.executemany(_INSERT_EXTRA, rows)
            else:
                batch.extras += rows
        if card.categories:
            rows = [(cid, self.interest_id(name)) for name in card.categories if name.strip()]
            if batch is None:
                self.conn.executemany(_INSERT_INTEREST, rows)
            else:
                batch.interests += rows

    def create(self, card: Card, keys: CardKeys | None = None) -> int:
        """A new contact from `card`; its id. In a batch, its rows are written by `flush`."""
        role = card.role if card.role in ROLES and card.role else "other"
        # A clear title ("Senior Technical Recruiter") gives a role, marked as inferred.
        inferred = infer_role(card.title) if role == "other" and card.title else None
        # keep_warm_since: the import day, even when a back-dated connection moves created_at
        # earlier, so rule 10 spreads the first touches from it instead of making a wall.
        row = self._scalars(card, keys) + (inferred or role, card.uid or None, self.now, self.now,
                                           inferred is not None, self.now[:10])
        batch = self.batch
        if batch is None:
            cid = self.conn.execute(_INSERT_CONTACT, row).lastrowid
        else:
            cid = batch.next_id
            batch.next_id += 1
            batch.contacts.append((cid, *row))
        self.keys_of = (card, keys)
        try:
            self._children(cid, card)
        finally:
            self.keys_of = (None, None)
        return cid

    def create_in_batch(self, card: Card, keys: CardKeys) -> tuple[int, bytes]:
        """`create` inside a batch; also the new contact's `contact_state`, from the rows it
        will have."""
        batch = self.batch
        methods, extras, interests = len(batch.methods), len(batch.extras), len(batch.interests)
        cid = self.create(card, keys)
        row = batch.contacts[-1]  # id, the scalars (organisation_id at 9), role, uid, ...
        org = self.org_rows[row[9]] if row[9] is not None else (None, None)
        contact = (*row[1:9], *org, row[10], row[11], row[16], row[12], row[13], row[14], row[15], row[17])
        names = self.interest_names
        return cid, contact_state(
            contact, [method[1:7] for method in batch.methods[methods:]],
            [extra[2] for extra in batch.extras[extras:]] if len(batch.extras) > extras else (),
            [names[iid] for iid in {link[1] for link in batch.interests[interests:]}]
            if len(batch.interests) > interests else ())

    def connected(self, cid: int, on: str) -> int | None:
        """Record a LinkedIn connection as a `connect` touch on its date, once."""
        exists = self.conn.execute(
            "SELECT 1 FROM touchpoint WHERE contact_id = ? AND kind = 'connect' AND substr(\"on\", 1, 10) = ?",
            (cid, on),
        ).fetchone()
        if exists:
            return None
        touch = self.conn.execute(
            "INSERT INTO touchpoint (contact_id, \"on\", kind, via, direction, note, created_at)"
            " VALUES (?, ?, 'connect', 'linkedin', 'out', 'Connected on LinkedIn (imported)', ?)",
            (cid, on, self.now),
        ).lastrowid
        # Like a back-dated `crm log`: the contact was known from that day (crm.store.contacts.known_since).
        day = on[:10] + "T00:00:00"
        self.conn.execute("UPDATE contact SET created_at = ? WHERE id = ? AND created_at > ?", (day, cid, day))
        return touch

    def replace(self, cid: int, card: Card, keys: CardKeys | None = None) -> None:
        role_sql = ", role = ?" if card.role in ROLES and card.role else ""
        params = self._scalars(card, keys) + ((card.role,) if role_sql else ()) + (card.uid or None, self.now, cid)
        self.conn.execute(
            "UPDATE contact SET display_name = ?, given_name = ?, family_name = ?, additional_names = ?,"
            " name_prefix = ?, name_suffix = ?, nickname = ?, name_key = ?, organisation_id = ?,"
            f" department = ?, title = ?, notes = ?, bday_year = ?, bday_month = ?, bday_day = ?{role_sql},"
            " uid = ?, updated_at = ? WHERE id = ?",
            params,
        )
        for table in ("contact_method", "extra_property"):
            self.conn.execute(f"DELETE FROM {table} WHERE contact_id = ?", (cid,))
        self._children(cid, card)
