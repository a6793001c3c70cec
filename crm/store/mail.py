"""What mail capture keeps: your own addresses, how far each mail source has been read, and
the touches logged from messages (one per message per contact, keyed by the message).

Never stored: message bodies, passwords. Functions here never print and never read the clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from crm.errors import InvalidInput
from crm.store.contacts import known_since
from crm.store.models import MailFolder, OwnAddress, database, id_batches
from crm.text import email_key


# ---- your own addresses (`crm me`) -------------------------------------------------------------


def own_addresses() -> list[str]:
    return [address for (address,) in OwnAddress.select(OwnAddress.address).order_by(OwnAddress.id).tuples()]


def add_own_addresses(addresses: Iterable[str], now: str) -> list[str]:
    """Store addresses as yours; returns those that were new."""
    added = []
    with database.atomic():
        for address in addresses:
            address = address.strip()
            if "@" not in address or " " in address or address.startswith("@") or address.endswith("@"):
                raise InvalidInput(f"not an email address: {address!r}")
            if OwnAddress.insert(address=address, norm=email_key(address), created_at=now).on_conflict_ignore().execute():
                added.append(address)
    return added


def remove_own_addresses(addresses: Iterable[str]) -> int:
    with database.atomic():
        return OwnAddress.delete().where(OwnAddress.norm.in_([email_key(a) for a in addresses])).execute()


# ---- who is who, by email ---------------------------------------------------------------------


def contacts_by_email() -> dict[str, int]:
    """Every contact email (normalised) -> contact id; an address two contacts share goes to the older."""
    found: dict[str, int] = {}
    for norm, contact_id in database.execute_sql(
        "SELECT norm, contact_id FROM contact_method WHERE medium = 'email' ORDER BY contact_id DESC"
    ):
        found[norm] = contact_id
    return found


# ---- how far a source has been read -----------------------------------------------------------


@dataclass(frozen=True)
class FolderState:
    source: str
    uidvalidity: int | None = None
    last_uid: int = 0
    read_bytes: int = 0
    checksum: str = ""


def folder_state(source: str) -> FolderState:
    row = MailFolder.get_or_none(MailFolder.source == source)
    if row is None:
        return FolderState(source)
    return FolderState(source, row.uidvalidity, row.last_uid, row.read_bytes, row.checksum)


def save_folder_state(state: FolderState, now: str) -> None:
    """Record progress; call inside the transaction that writes the batch it covers."""
    MailFolder.insert(
        source=state.source, uidvalidity=state.uidvalidity, last_uid=state.last_uid,
        read_bytes=state.read_bytes, checksum=state.checksum, updated_at=now,
    ).on_conflict(
        conflict_target=[MailFolder.source],
        update={MailFolder.uidvalidity: state.uidvalidity, MailFolder.last_uid: state.last_uid,
                MailFolder.read_bytes: state.read_bytes, MailFolder.checksum: state.checksum,
                MailFolder.updated_at: now},
    ).execute()


# ---- touches from messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class MailTouch:
    contact_id: int
    on: str  # local 'YYYY-MM-DDTHH:MM'
    kind: str
    direction: str  # out | in
    subject: str
    message_key: str
    application_id: int | None = None


def logged_keys(keys: Sequence[str]) -> set[tuple[int, str]]:
    """(contact id, message key) pairs already logged among these keys."""
    found: set[tuple[int, str]] = set()
    for chunk in id_batches(sorted(set(keys))):
        marks = ",".join("?" * len(chunk))
        found.update(database.execute_sql(
            f"SELECT contact_id, message_key FROM touchpoint WHERE message_key IN ({marks})", chunk
        ))
    return found


def insert_mail_touches(touches: Sequence[MailTouch], now: str) -> int:
    """Log these touches (channel email, the subject as the note), skipping any (contact,
    message) already logged. Returns how many were new. Call inside the batch's transaction."""
    if not touches:
        return 0
    connection = database.connection()
    # rowcount counts the rows this statement inserted; total_changes would also count what the
    # touchpoint triggers write (the touch summary, migration m009).
    inserted = connection.executemany(
        'INSERT OR IGNORE INTO touchpoint (contact_id, "on", kind, via, direction, note, application_id,'
        " created_at, message_key) VALUES (?, ?, ?, 'email', ?, ?, ?, ?, ?)",
        [(t.contact_id, t.on, t.kind, t.direction, t.subject, t.application_id, now, t.message_key)
         for t in touches],
    ).rowcount
    # The contact was known on the day of the message (what `crm log` does for a back-dated touch).
    earliest: dict[int, str] = {}
    for t in touches:
        if t.contact_id not in earliest or t.on < earliest[t.contact_id]:
            earliest[t.contact_id] = t.on
    for contact_id, on in earliest.items():
        known_since([contact_id], on)
    return inserted
