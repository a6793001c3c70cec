"""What a run against any remote shares: finding its collection once, and --dry-run."""
from __future__ import annotations

from typing import Callable

from crm.net.dav import DavClient
from crm.store.models import Remote, database


class _DryRun(Exception):
    """Raised at the end of a --dry-run to roll every local write back."""


def in_dry_run(body: Callable[[], None]) -> None:
    """Run `body` in one transaction that is rolled back at the end (its server writes are
    skipped by the caller): what would happen is computed, nothing is kept."""
    try:
        with database.atomic():
            body()
            raise _DryRun
    except _DryRun:
        pass


class SyncRun:
    """One run against one remote: `_run` does the work; `run` wraps it for --dry-run."""

    dry_run: bool = False
    report: object = None

    def run(self):
        if self.dry_run:
            in_dry_run(self._run)
        else:
            self._run()
        return self.report

    def _run(self) -> None:
        raise NotImplementedError


def collection_url(remote: Remote, client: DavClient, kind: str) -> str:
    """The remote's collection: remembered, or discovered (and remembered) on the first run."""
    if remote.collection_url:
        return remote.collection_url
    url = client.discover(kind)[0].url
    with database.atomic():
        Remote.update(collection_url=url).where(Remote.id == remote.id).execute()
    remote.collection_url = url
    return url
