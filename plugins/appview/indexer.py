"""Applying events to the index: idempotent, in any order, from either path.

The same :class:`Indexer` serves the durable consumer (every event, at least once, in
``seq`` order) and ``pds_on_event`` (this process's events, before the write's response).
Each event is applied in one transaction that holds the actor's lock. A record's change is
applied only when its event is newer than the record's mark (``appview_record.seq``), and a
version the index already holds is not applied again, so an event seen twice, or after a
newer one, changes nothing, and no count moves twice. Once an event's transactions have
committed, the actors whose cached facts it changed are invalidated (:mod:`.actor_cache`),
before the write's response returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds import (
    AccountEvent,
    AnyEvent,
    CommitEvent,
    IdentityEvent,
    Pds,
    RepoNotFound,
    SyncEvent,
)
from exprsn_pds.datamodel import ipld_to_json
from exprsn_pds.lru import Lru
from exprsn_pds.plugins.appview import index_store as store
from exprsn_pds.plugins.appview.actor_cache import invalidating
from exprsn_pds.plugins.appview.notification_stream import publish_notifications
from exprsn_pds.plugins.appview.notifications import NotificationWriter
from exprsn_pds.plugins.appview.records import Extract, extract, iso_time, now_iso, sort_time
from exprsn_pds.plugins.appview.thread_index import ThreadIndex

ACTIVE: Final = "active"
DELETED: Final = "deleted"
INDEXED_PREFIXES: Final = ("app.bsky.", "chat.bsky.actor.declaration")
PAGE_SIZE: Final = 100
REMEMBERED_EVENTS: Final = 10_000
"""Applied event seqs an :class:`Indexer` remembers (a few hundred kilobytes)."""


def indexed_collection(collection: str) -> bool:
    """Whether the index keeps records of ``collection``."""
    return collection.startswith(INDEXED_PREFIXES)


@dataclass(frozen=True)
class RecordVersion:
    """One record as a repo holds it: where, which version, its JSON-form value."""

    collection: str
    rkey: str
    cid: str
    value: dict[str, Any]


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class Indexer:
    """Keeps the index of one server's database.

    One indexer per server serves both paths: it remembers the ``seq`` of the last
    :data:`REMEMBERED_EVENTS` events it applied, so the consumer passes over those
    ``pds_on_event`` already applied in this process without asking the database (an
    event is remembered only once its transaction committed).
    """

    def __init__(self, pds: Pds) -> None:
        self._pds = pds
        self._applied: Lru[int, bool] = Lru(REMEMBERED_EVENTS)
        self.notifications = NotificationWriter()
        self.threads = ThreadIndex()

    async def apply(self, event: AnyEvent) -> None:
        """Bring the index up to date with ``event`` (idempotent), then hand the
        notifications it made to the live stream."""
        if self._applied.get(event.seq) is not None:
            return
        self.notifications.begin()
        async with invalidating(self._pds):
            await self._apply(event)
        await publish_notifications(self._pds, self.notifications.take())
        self._applied.put(event.seq, True)

    async def _apply(self, event: AnyEvent) -> None:
        if isinstance(event, CommitEvent):
            if not await self._apply_commit(event, known_only=True):
                await self._known_actor(event.did)
                await self._apply_commit(event, known_only=False)
        elif isinstance(event, SyncEvent):
            await self._known_actor(event.did)
            await self.rebuild_actor(event.did, event.seq, event.rev)
        elif isinstance(event, IdentityEvent):
            await self._known_actor(event.did)
            async with self._pds.database.transaction() as client:
                await store.set_handle(client, event.did, event.handle, event.seq)
        elif isinstance(event, AccountEvent):
            await self._apply_account(event)

    async def _apply_commit(self, event: CommitEvent, *, known_only: bool) -> bool:
        """Apply a commit's ops in one transaction; with ``known_only``, only if the actor
        row exists (answers whether it was applied)."""
        writes = [op for op in event.ops if indexed_collection(op.collection)]
        uris = [f"at://{event.did}/{op.collection}/{op.rkey}" for op in writes]
        async with self._pds.database.transaction() as client:
            await store.lock_actor(client, event.did)
            if not await store.set_commit(client, event.did, event.seq, event.rev) and known_only:
                return False
            marks = await store.marks_of(client, uris)
            counts = store.PendingCounts()
            for op, uri in zip(writes, uris, strict=True):
                version = None
                if op.cid is not None and op.record is not None:
                    version = RecordVersion(
                        op.collection, op.rkey, str(op.cid), ipld_to_json(op.record)
                    )
                await self._apply_record(
                    client,
                    counts,
                    event.did,
                    op.collection,
                    op.rkey,
                    version,
                    event.seq,
                    marks.get(uri),
                    looked_up=True,
                )
            await counts.write(client)
        return True

    async def _known_actor(self, did: str) -> None:
        """Create the actor row (handle and standing from ``pds.accounts``) if missing."""
        async with self._pds.database.transaction() as client:
            if await store.get_actor(client, did) is not None:
                return
        info = await self._pds.accounts.get(did)
        handle = info.handle if info is not None else None
        status = str(info.status) if info is not None else DELETED
        async with self._pds.database.transaction() as client:
            await store.ensure_actor(client, did, handle=handle, status=status)

    async def _apply_account(self, event: AccountEvent) -> None:
        status = ACTIVE if event.active else (event.status or "deactivated")
        await self._known_actor(event.did)
        async with self._pds.database.transaction() as client:
            await store.lock_actor(client, event.did)
            if not await store.set_status(client, event.did, status, event.seq):
                return
            if status == DELETED:
                await self._forget(client, event.did, event.seq)

    async def forget_actor(self, did: str, seq: int) -> None:
        """Remove every record of ``did`` older than ``seq``, and its private state (a
        deleted account)."""
        async with self._pds.database.transaction() as client:
            await store.lock_actor(client, did)
            await self._forget(client, did, seq)

    async def _forget(self, client: BaseDBAsyncClient, did: str, seq: int) -> None:
        counts = store.PendingCounts()
        for mark in (await store.marks_of_actor(client, did)).values():
            if mark.cid is not None and mark.seq < seq:
                await self._remove(client, counts, mark)
                await store.put_mark(client, **_tombstone(did, mark.uri), seq=seq)
        await counts.write(client)
        await store.forget_private_state(client, did)
        await self.notifications.account_forgotten(client, did)

    async def _apply_record(
        self,
        client: BaseDBAsyncClient,
        counts: store.PendingCounts,
        did: str,
        collection: str,
        rkey: str,
        version: RecordVersion | None,
        seq: int,
        mark: store.Mark | None = None,
        *,
        looked_up: bool = False,
        rebuild: bool = False,
    ) -> None:
        """Apply one record's create, update (``version``) or delete (``None``) at ``seq``.

        The version the index already holds only moves its mark; in a ``rebuild`` its row
        is written again too (the counts it moved stay as they are).
        """
        uri = f"at://{did}/{collection}/{rkey}"
        if not looked_up:
            mark = (await store.marks_of(client, [uri])).get(uri)
        if mark is not None and (mark.seq > seq or (mark.seq == seq and not rebuild)):
            return
        if version is not None and mark is not None and mark.cid == version.cid:
            if rebuild and (extracted := self._extract(did, version, mark)) is not None:
                await store.replace_row(client, extracted)
            await store.bump_mark(client, uri, seq)
            return
        if mark is not None and mark.cid is not None:
            await self._remove(client, counts, mark)
        if version is None:
            await store.put_mark(client, **_tombstone(did, uri), seq=seq)
            return
        indexed_at = sort_time(iso_time(version.value.get("createdAt")), now_iso())
        extracted = extract(did, collection, rkey, version.cid, version.value, indexed_at)
        if extracted is not None:
            await store.replace_row(client, extracted)
            counts.add(extracted.effects, 1)
            verdict = await self.threads.record_indexed(client, extracted)
            await self.notifications.record_indexed(client, extracted, version.cid, verdict)
        await store.put_mark(
            client,
            uri=uri,
            did=did,
            collection=collection,
            rkey=rkey,
            cid=version.cid,
            seq=seq,
            record=_json(version.value),
            indexed_at=indexed_at,
        )

    @staticmethod
    def _extract(did: str, version: RecordVersion, mark: store.Mark) -> Extract | None:
        """The row of ``version`` as the index stored it (its ``indexed_at`` kept)."""
        return extract(
            did, version.collection, version.rkey, version.cid, version.value, mark.indexed_at
        )

    async def _remove(
        self, client: BaseDBAsyncClient, counts: store.PendingCounts, mark: store.Mark
    ) -> None:
        """Take the row and counts of the version ``mark`` holds out of the index."""
        did, collection, rkey = mark.uri[len("at://") :].split("/", 2)
        if mark.record is None or mark.cid is None:
            return
        await self.notifications.record_removed(client, mark.uri)
        await self.threads.record_removed(client, mark.uri)
        extracted = extract(did, collection, rkey, mark.cid, json.loads(mark.record), "")
        if extracted is not None:
            await store.delete_row(client, extracted)
            counts.add(extracted.effects, -1)

    async def rebuild_actor(self, did: str, seq: int, rev: str | None) -> int:
        """Make the index of ``did`` what its repo holds now, stamped with ``seq``.

        Records whose mark is newer than ``seq`` are left alone; the others become the
        repo's version, or are removed when the repo no longer has them. Answers how many
        records the repo holds in indexed collections.
        """
        versions = await self._read_repo(did)
        async with self._pds.database.transaction() as client:
            await store.lock_actor(client, did)
            marks = await store.marks_of_actor(client, did)
            counts = store.PendingCounts()
            present = set()
            for version in versions:
                uri = f"at://{did}/{version.collection}/{version.rkey}"
                present.add(uri)
                await self._apply_record(
                    client,
                    counts,
                    did,
                    version.collection,
                    version.rkey,
                    version,
                    seq,
                    marks.get(uri),
                    looked_up=True,
                    rebuild=True,
                )
            for uri, mark in marks.items():
                if uri not in present and mark.cid is not None:
                    _, collection, rkey = uri[len("at://") :].split("/", 2)
                    await self._apply_record(
                        client, counts, did, collection, rkey, None, seq, mark, looked_up=True
                    )
            await counts.write(client)
            await store.set_commit(client, did, seq, rev)
        return len(versions)

    async def _read_repo(self, did: str) -> list[RecordVersion]:
        repos = self._pds.repos
        versions: list[RecordVersion] = []
        try:
            collections = [c for c in await repos.collections(did) if indexed_collection(c)]
        except RepoNotFound:
            return versions
        for collection in collections:
            cursor: str | None = None
            while True:
                page = await repos.list_records(
                    did, collection, limit=PAGE_SIZE, cursor=cursor, reverse=True
                )
                for stored in page:
                    rkey = stored.uri.rsplit("/", 1)[1]
                    versions.append(
                        RecordVersion(collection, rkey, str(stored.cid), ipld_to_json(stored.value))
                    )
                if len(page) < PAGE_SIZE:
                    break
                cursor = page[-1].uri.rsplit("/", 1)[1]
        return versions


def _tombstone(did: str, uri: str) -> dict[str, Any]:
    _, collection, rkey = uri[len("at://") :].split("/", 2)
    return {
        "uri": uri,
        "did": did,
        "collection": collection,
        "rkey": rkey,
        "cid": None,
        "record": None,
        "indexed_at": now_iso(),
    }
