"""Two-way sync of contacts with one CardDAV address book: the status-based three-way decision.

The `sync_item` rows are the third side: per card, the server's href and etag and its text as
last synced (`base`), and a fingerprint of crm's fields as the contact had them then
(`local_hash`). Each run:

1. lists the server cheaply (RFC 6578 sync-collection from the stored token; where the server
   has none, its ctag and a Depth: 1 etag listing) and fetches only cards whose etag differs
   from the status (addressbook-multiget);
2. applies the server's changes locally (pull): unchanged locally, the server's fields win;
   changed on both sides, a field-by-field merge (crm.sync.merge) whose losing single values go
   into the contact's history as a note; a card new on the server joins a contact by UID, then
   by the import's identity rules, else becomes a new contact;
3. marks contacts whose card was deleted on the server (never deletes them: their touchpoints
   live only here), unless they changed locally since, which puts them back on the server;
4. pushes local changes (PUT with If-Match on the stored etag: a 412 means the server changed
   meanwhile, so the card is fetched and merged again) and contacts not yet on the server (PUT
   with If-None-Match: *), writing crm's fields into the server's card text so that what other
   clients wrote there (photos, X- fields, groups) stays;
5. deletes on the server the cards of contacts removed here (`sync_item.contact_id` became NULL).

Every change updates its status row in the transaction that applies it locally, or right after
the server accepted it, so a run killed anywhere leaves a state the next run finishes from: a
server write whose status was not recorded is seen as the server's change and merges to nothing
new. The sync-token is stored only at the end of a complete run.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from crm.errors import CrmError
from crm.formats.card import Card, merge_cards
from crm.formats.vcard import read_cards, write_card
from crm.formats.vcard.patch import is_group_card, patch_card
from crm.net.dav import (Changes, DavAuthError, DavClient, DavError, DavProtocolError, DavUnavailable, PreconditionFailed,
                         SyncTokenExpired, member_name, normalise_href)
from crm.store.contacts import iter_cards, new_uid
from crm.shapes import ContactSync
from crm.store.models import Contact, Remote, SyncItem, Touchpoint, database
from crm.sync.merge import FieldConflict, fingerprint, merge3, take_server
from crm.sync.session import SyncRun, collection_url
from crm.text import fold

CONTENT_TYPE = "text/vcard"
MAX_RETRIES = 3
PULL_BATCH = 200


@dataclass
class CardReport:
    remote: str
    pulled: int = 0  # server changes applied to contacts that had not changed here
    merged: int = 0  # cards changed on both sides (or joined on a first sync), merged field by field
    created_local: int = 0  # contacts made from cards new on the server
    pushed: int = 0  # local changes written to the server
    created_remote: int = 0  # contacts put on the server for the first time
    deleted_remote: int = 0  # cards deleted on the server because the contact was removed here
    removed_on_server: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    pruned: list[dict] = field(default_factory=list)

    def as_json(self) -> ContactSync:
        return {
            "remote": self.remote,
            "pulled": self.pulled, "merged": self.merged, "created_local": self.created_local,
            "pushed": self.pushed, "created_remote": self.created_remote, "deleted_remote": self.deleted_remote,
            "removed_on_server": self.removed_on_server, "conflicts": self.conflicts, "skipped": self.skipped,
            "pruned": self.pruned,
        }


def parse_card(text: str) -> Card | None:
    try:
        result = next(iter(read_cards(text.encode("utf-8"))), None)
    except CrmError:
        return None
    return result.card if result is not None else None


class CardSync(SyncRun):
    """One run against one CardDAV remote. `use_sync_collection=False` forces the ctag/etag
    listing (servers without RFC 6578; the tests use it to cover that path)."""

    def __init__(self, remote: Remote, client: DavClient, *, now: str, today: date, dry_run: bool = False,
                 use_sync_collection: bool = True, region: str | None = None):
        self.remote = remote
        self.client = client
        self.now = now
        self.today = today
        self.dry_run = dry_run
        self.use_sync_collection = use_sync_collection
        self.region = region  # where national phone numbers are dialled, for the identity rules
        self.report = CardReport(remote.name)
        self._index = None
        self._writer = None
        self.wrote = False

    # ---- the run ----

    def _run(self) -> None:
        url = collection_url(self.remote, self.client, "carddav")
        self.rows = {row.href: row for row in SyncItem.select().where(SyncItem.remote == self.remote)}
        self.linked = {row.contact_id: row for row in self.rows.values() if row.contact_id is not None}
        self.local = dict(iter_cards())
        changes, token, ctag = self._server_changes(url)
        fetched = self.client.multiget(url, [m.href for m in changes.changed], "carddav") if changes.changed else []
        etags = {m.href: m.etag for m in changes.changed}
        for start in range(0, len(fetched), PULL_BATCH):
            with database.atomic():  # each card with its status row; a batch per commit
                for item in fetched[start:start + PULL_BATCH]:
                    self._pull(item.href, item.etag or etags.get(item.href), item.data)
        for href in changes.removed:
            self._removed_on_server(href)
        for row in list(self.linked.values()):
            if not self._local_changed(row):
                continue
            if row.removed_on is None:
                self._push_update(row)
            else:  # deleted on the server, then changed here: the change puts it back (below)
                with database.atomic():
                    row.delete_instance()
                del self.rows[row.href]
                del self.linked[row.contact_id]
        for cid in [cid for cid in self.local if cid not in self.linked]:
            self._push_new(cid)
        for row in [r for r in self.rows.values() if r.contact_id is None and r.removed_on is None]:
            self._delete_remote(row)
        token = self._token_after_own_writes(url, token)
        with database.atomic():
            Remote.update(sync_token=token if token else self.remote.sync_token, ctag=ctag,
                          synced_at=self.now).where(Remote.id == self.remote.id).execute()
        self.report.removed_on_server = [
            {"id": cid, "name": name, "since": since}
            for cid, name, since in SyncItem.select(Contact.id, Contact.display_name, SyncItem.removed_on)
            .join(Contact).where((SyncItem.remote == self.remote) & SyncItem.removed_on.is_null(False))
            .order_by(Contact.name_key, Contact.id).tuples()
        ]

    def _server_changes(self, url: str) -> tuple[Changes, str | None, str | None]:
        """What differs on the server from the status: (changes, the token and ctag to store
        after). With a stored sync-token the sync-collection REPORT is the only request: on
        some servers (Radicale) each collection-wide answer costs a pass over every card."""
        ctag = self.remote.ctag
        changes = None
        if self.remote.sync_token and self.use_sync_collection:
            try:
                changes = self.client.changes(url, self.remote.sync_token)
            except SyncTokenExpired:
                changes = self.client.changes(url, None)
            except DavError as exc:
                if isinstance(exc, (DavAuthError, DavUnavailable, DavProtocolError)):
                    raise
                changes = None  # the server stopped offering sync-collection: ask it below
        if changes is None:
            info = self.client.collection(url, "carddav")
            ctag = info.ctag
            if info.supports_sync and self.use_sync_collection:
                changes = self.client.changes(url, None)
            elif self.remote.ctag and info.ctag == self.remote.ctag:
                return Changes(None, (), (), complete=False), None, ctag  # nothing changed on the server
            else:
                changes = Changes(None, tuple(self.client.members(url)), (), complete=True)
        changed = tuple(m for m in changes.changed if m.href not in self.rows or self.rows[m.href].etag != m.etag
                        or m.etag is None)
        if changes.complete:
            listed = {m.href for m in changes.changed}
            removed = tuple(href for href in self.rows if href not in listed)
        else:
            removed = tuple(href for href in changes.removed if href in self.rows)
        return Changes(changes.token, changed, removed, changes.complete), changes.token, ctag

    def _token_after_own_writes(self, url: str, token: str | None) -> str | None:
        """A token that covers our own writes of this run. The one from the start does not: a
        card we created after it and someone deletes later would never be reported removed
        (RFC 6578 reports removals only of members the token knew). If what changed since is
        exactly what we wrote, the newer token is as good; else the older one stays."""
        if not token or not self.wrote or self.dry_run:
            return token
        try:
            after = self.client.changes(url, token)
        except SyncTokenExpired:
            return token
        ours = all(m.href in self.rows and m.etag and self.rows[m.href].etag == m.etag for m in after.changed)
        return after.token if ours and not any(href in self.rows for href in after.removed) else token

    # ---- local side ----

    def _local_changed(self, row: SyncItem) -> bool:
        card = self.local.get(row.contact_id)
        return card is not None and fingerprint(card) != row.local_hash

    def _store(self, cid: int | None, card: Card) -> int:
        """Write `card` onto contact `cid` (or a new contact) and return its id; refreshes the
        in-memory copy from the database so fingerprints compare what is really stored. Raw
        SQL through the importer's writer: a first sync writes thousands of contacts."""
        if self._writer is None:
            from crm.identity.importer import CardWriter

            self._writer = CardWriter(database.connection(), self.now, self.region)
        conn = database.connection()
        if cid is None:
            taken = card.uid and conn.execute("SELECT 1 FROM contact WHERE uid = ?", (card.uid,)).fetchone()
            cid = self._writer.create(replace(card, uid=new_uid() if taken or not card.uid else card.uid))
        else:
            uid = conn.execute("SELECT uid FROM contact WHERE id = ?", (cid,)).fetchone()[0]
            wanted = {fold(name) for name in card.categories}
            for interest_id, name in conn.execute(
                    "SELECT i.id, i.name FROM contact_interest ci JOIN interest i ON i.id = ci.interest_id"
                    " WHERE ci.contact_id = ?", (cid,)).fetchall():
                if fold(name) not in wanted:
                    conn.execute("DELETE FROM contact_interest WHERE contact_id = ? AND interest_id = ?",
                                 (cid, interest_id))
            self._writer.replace(cid, replace(card, uid=uid or card.uid or new_uid()))  # keeps role when the card has none
        self.local[cid] = next(iter_cards([cid]))[1]
        return cid

    def _record_conflicts(self, cid: int, conflicts: list[FieldConflict]) -> None:
        name = self.local[cid].display_name
        for conflict in conflicts:
            Touchpoint.create(
                contact=cid, on=self.today.isoformat(), kind="note", via=None, direction="in",
                note=(f"Sync with {self.remote.name}: both sides changed the {conflict.field}; kept"
                      f" {conflict.local!r}, the server had {conflict.server!r}"),
                created_at=self.now,
            )
            self.report.conflicts.append({"contact": {"id": cid, "name": name}, "field": conflict.field,
                                          "local": conflict.local, "server": conflict.server})

    def _join(self, card: Card) -> int | None:
        """A contact not yet linked to this address book that is the card's person: same UID,
        else the import's identity rules."""
        if card.uid:
            found = database.connection().execute("SELECT id FROM contact WHERE uid = ?", (card.uid,)).fetchone()
            if found is not None and found[0] not in self.linked:
                return found[0]
        if self._index is None:
            from crm.identity.index import IdentityIndex

            self._index = IdentityIndex(database.connection(), self.region)
        join = self._index.match(card)
        cid = join.contact_id if join is not None else None
        return cid if cid is not None and cid not in self.linked and cid in self.local else None

    # ---- 2. pull ----

    def _pull(self, href: str, etag: str | None, text: str) -> None:
        server = parse_card(text)
        if server is None:
            self.report.skipped.append({"href": href, "reason": "the server's card cannot be read"})
            return
        if is_group_card(server):
            return  # a contact group: other clients' business
        row = self.rows.get(href)
        if row is None or row.contact_id is None:
            self._pull_new(row, href, etag, text, server)
        else:
            self._pull_change(row, etag, text, server)

    def _pull_new(self, row: SyncItem | None, href: str, etag: str | None, text: str, server: Card) -> None:
        cid = self._join(server) if row is None else None
        if cid is not None:
            local = self.local[cid]
            merged, conflicts = merge3(Card(), local, server)
            merged.extra = merge_cards(local, Card(extra=server.extra), other_wins=True).extra
            if fingerprint(merged) != fingerprint(local) or merged.extra != local.extra:
                self._store(cid, merged)
            self._record_conflicts(cid, conflicts)
            local_hash = fingerprint(server)  # we hold more than the server: the push phase sends it
            self.report.merged += 1
        else:
            cid = self._store(None, server)
            local_hash = fingerprint(self.local[cid])
            self.report.created_local += 1
        if row is None:
            row = SyncItem(remote=self.remote, href=href)
        row.contact = cid
        row.uid, row.etag, row.base, row.local_hash, row.removed_on = server.uid or self.local[cid].uid, etag, text, local_hash, None
        row.save()
        self.rows[href] = row
        self.linked[cid] = row
        if self._index is not None:
            self._index.remember(cid, self.local[cid])

    def _pull_change(self, row: SyncItem, etag: str | None, text: str, server: Card) -> None:
        base = parse_card(row.base) or Card()
        local = self.local[row.contact_id]
        if fingerprint(server) == fingerprint(base) and server.extra == base.extra:
            pass  # the server re-wrote the card (or echoed ours) without changing anything we read
        elif fingerprint(local) == row.local_hash:
            cid = self._store(row.contact_id, take_server(local, server))
            row.local_hash = fingerprint(self.local[cid])
            self.report.pulled += 1
        else:
            merged, conflicts = merge3(base, local, server)
            merged.extra = merge_cards(local, Card(extra=server.extra), other_wins=True).extra
            self._store(row.contact_id, merged)
            self._record_conflicts(row.contact_id, conflicts)
            row.local_hash = fingerprint(server)  # the merge differs from the server's: push it
            self.report.merged += 1
        row.etag, row.base, row.removed_on = etag, text, None
        row.save()

    # ---- 3. deleted on the server ----

    def _removed_on_server(self, href: str) -> None:
        row = self.rows[href]
        with database.atomic():
            if row.contact_id is None or (row.removed_on is None and self._local_changed(row)):
                # Gone on both sides; or changed here since: the push phase puts it back.
                row.delete_instance()
                del self.rows[href]
                self.linked.pop(row.contact_id, None)
            elif row.removed_on is None:
                row.removed_on = self.today.isoformat()
                row.save()

    # ---- 4. push ----

    def _put(self, href: str, text: str, *, etag: str | None = None, create: bool = False) -> str | None:
        if self.dry_run:
            return None
        self.wrote = True
        return self.client.put(href, text, CONTENT_TYPE, etag=etag, create=create)

    def _push_update(self, row: SyncItem) -> None:
        for _attempt in range(MAX_RETRIES):
            local = self.local[row.contact_id]
            text = patch_card(row.base, local)
            try:
                etag = self._put(row.href, text, etag=row.etag)
            except PreconditionFailed:
                item = self.client.get(row.href)  # changed meanwhile: merge that version first
                if item is None:
                    self._removed_on_server(row.href)
                    return
                with database.atomic():
                    self._pull(row.href, item.etag, item.data)
                if not self._local_changed(row):
                    return
                continue
            with database.atomic():
                row.etag, row.base, row.local_hash = etag, text, fingerprint(local)
                row.save()
            self.report.pushed += 1
            return
        raise CrmError(f"{self.remote.name}: the card of {self.local[row.contact_id].display_name}"
                       " keeps changing on the server; try again")

    def _push_new(self, cid: int) -> None:
        local = self.local[cid]
        if not local.uid:
            with database.atomic():
                cid = self._store(cid, replace(local, uid=new_uid()))
            local = self.local[cid]
        href = normalise_href(self.remote.collection_url, member_name(local.uid, ".vcf"))
        text = write_card(local, "3.0")
        try:
            etag = self._put(href, text, create=True)
        except PreconditionFailed:
            # There already: our own earlier write whose status a killed run did not record, or
            # another client's card under that name. Merge it in as a server card, then push.
            item = self.client.get(href)
            if item is None:
                raise
            with database.atomic():
                server = parse_card(item.data) or Card()
                row = SyncItem(remote=self.remote, href=href, contact=cid, uid=server.uid or local.uid,
                               etag=item.etag, base=item.data, local_hash=fingerprint(server))
                merged, conflicts = merge3(Card(), local, server)
                self._store(cid, merged)
                self._record_conflicts(cid, conflicts)
                row.save()
            self.rows[href] = self.linked[cid] = row
            if self._local_changed(row):
                self._push_update(row)
            return
        with database.atomic():
            row = SyncItem.create(remote=self.remote, href=href, contact=cid, uid=local.uid, etag=etag,
                                  base=text, local_hash=fingerprint(local))
        self.rows[href] = self.linked[cid] = row
        self.report.created_remote += 1

    # ---- 5. removed here ----

    def _delete_remote(self, row: SyncItem) -> None:
        try:
            if not self.dry_run:
                self.wrote = True
                self.client.delete(row.href, row.etag)
        except PreconditionFailed:
            return  # changed on the server since: the next run brings it back as a contact
        with database.atomic():
            row.delete_instance()
        del self.rows[row.href]
        self.report.deleted_remote += 1


def prune_removed(remote: Remote) -> list[dict]:
    """Delete the contacts whose cards were deleted on this remote's server (`crm sync --prune`,
    after the user confirmed), with their status rows: nothing is left to delete on the server."""
    from crm.store.contacts import delete_contact

    pruned = []
    with database.atomic():
        rows = list(SyncItem.select().where((SyncItem.remote == remote) & SyncItem.removed_on.is_null(False)
                                            & SyncItem.contact.is_null(False)))
        for row in rows:
            contact = Contact.get_by_id(row.contact_id)
            pruned.append({"id": contact.id, "name": contact.display_name})
            row.delete_instance()
            # The contact may be on other remotes too: its rows there become tombstones, and
            # those servers delete the card next sync, as for `crm rm`.
            delete_contact(contact)
    return pruned

