"""Remotes: the CardDAV address books and CalDAV calendars `crm sync` talks to.

Only where they are and who logs in; never a password (it comes from the environment or a
prompt on each run). The per-item sync state lives in `sync_item` / `nudge_item`, written by
crm.sync in the transaction that applies each change.
"""
from __future__ import annotations

import re

from peewee import fn

from crm.errors import InvalidInput, NotFound
from crm.shapes import RemoteRow
from crm.store.models import NudgeItem, Remote, SyncItem, database

KINDS = ("carddav", "caldav")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}\Z")


def check_name(name: str) -> str:
    """Names become part of an environment variable (CRM_REMOTE_PASSWORD_<NAME>): letters,
    digits, - and _ only."""
    if not _NAME.match(name):
        raise InvalidInput(f"bad remote name {name!r}: use letters, digits, - and _ (at most 40)")
    return name


def add_remote(name: str, url: str, kind: str, user: str, now: str) -> Remote:
    check_name(name)
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")
    with database.atomic():
        if Remote.get_or_none(fn.lower(Remote.name) == name.lower()) is not None:
            raise InvalidInput(f"a remote called {name!r} exists already; remove it first (crm remote rm {name})")
        return Remote.create(name=name, kind=kind, url=url, username=user, created_at=now)


def get_remote(name: str) -> Remote:
    remote = Remote.get_or_none(fn.lower(Remote.name) == name.lower())
    if remote is None:
        known = ", ".join(r.name for r in Remote.select().order_by(Remote.name)) or "none yet"
        raise NotFound(f"no remote called {name!r} (known: {known}); add one with `crm remote add`")
    return remote


def all_remotes() -> list[Remote]:
    return list(Remote.select().order_by(Remote.name))


def remove_remote(name: str) -> Remote:
    """Forget a remote and its sync state (nothing on the server or in the contacts changes)."""
    with database.atomic():
        remote = get_remote(name)
        remote.delete_instance()  # cascades to sync_item and nudge_item
    return remote


def remote_record(remote: Remote) -> RemoteRow:
    """The `crm remote list --json` shape of one remote."""
    cards = SyncItem.select().where(SyncItem.remote == remote)
    return {
        "name": remote.name,
        "kind": remote.kind,
        "url": remote.url,
        "user": remote.username or None,
        "collection": remote.collection_url,
        "synced_at": remote.synced_at,
        "items": (cards.count() if remote.kind == "carddav"
                  else NudgeItem.select().where(NudgeItem.remote == remote).count()),
        "removed_on_server": cards.where(SyncItem.removed_on.is_null(False) & SyncItem.contact.is_null(False)).count(),
    }
