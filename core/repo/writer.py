"""The write path: one transaction per commit, serialised per repo.

A commit's new blocks, the record index, the repo root and its ``#commit`` event
(sequenced through the writer's :class:`~exprsn_pds.events.EventLog` unit of work)
commit together or not at all; the event is announced after the commit. Writes to one
repo are serialised by an in-process lock and, for several processes sharing PostgreSQL,
by a row lock on the repo (``SELECT ... FOR UPDATE``); SQLite serialises write
transactions itself. The commit is computed in :mod:`~exprsn_pds.repo.commit_plan` and
stored by :mod:`~exprsn_pds.repo.commit_store`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.blobs import BlobService
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.datamodel import Cid, encode
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.events import AnyEvent, EventLog
from exprsn_pds.lru import Lru
from exprsn_pds.repo.blocks import BlockCache, RepoBlockReader
from exprsn_pds.repo.checks import RecordCheck, RecordOrigin, allow_every_record
from exprsn_pds.repo.commit import signed_commit_block
from exprsn_pds.repo.commit_plan import PreparedCommit, commit_event, prepare_commit
from exprsn_pds.repo.commit_store import insert_block_map, store_commit
from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.label_store import AttachedLabels
from exprsn_pds.repo.mst import MissingBlock, Mst, NodeCache
from exprsn_pds.repo.store import RepoRow, advance_repo, insert_repo, repo_row
from exprsn_pds.repo.writes import UNSET, CommitResult, RecordWrite, Unset
from exprsn_pds.storage import Database
from exprsn_pds.syntax import TidClock

#: How many repos' current commits a writer remembers, to skip reading them back.
REMEMBERED_REPOS = 10_000


@dataclass(frozen=True)
class WriteLimits:
    """Bounds of one commit."""

    max_operations: int
    max_block_bytes: int


class RepoWriter:
    """Creates repositories and commits record operations to them."""

    def __init__(
        self,
        *,
        database: Database,
        keys: RepoKeys,
        events: EventLog,
        cache: BlockCache,
        nodes: NodeCache,
        blobs: BlobService,
        clock: TidClock,
        limits: WriteLimits,
        check_record: RecordCheck = allow_every_record,
    ) -> None:
        self.database = database
        self.keys = keys
        self.events = events
        self.cache = cache
        self.nodes = nodes
        self.blobs = blobs
        self.clock = clock
        self.limits = limits
        self.check_record = check_record
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Each repo's row as this writer's last commit left it (a guess the commit checks).
        self._bases: Lru[str, RepoRow] = Lru(REMEMBERED_REPOS)

    def lock(self, did: str) -> asyncio.Lock:
        """The in-process lock that serialises every change to ``did``'s repo."""
        lock = self._locks.get(did)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[did] = lock
        return lock

    def next_rev(self, after: str | None) -> str:
        """A new revision, later than ``after``."""
        rev = str(self.clock.next())
        while after is not None and rev <= after:
            rev = str(self.clock.next())
        return rev

    async def create_repo(
        self,
        did: str,
        key: PrivateKey,
        *,
        events: Sequence[AnyEvent] = (),
        also: Callable[[BaseDBAsyncClient], Awaitable[None]] | None = None,
        status: str = "active",
        sequence_commit: bool = True,
    ) -> CommitResult:
        """A new, empty repository with its first signed commit; ``events`` go first.

        ``also(connection)`` runs inside the same transaction, on its connection (e.g. to
        add the account row);
        ``sequence_commit=False`` stores the commit without announcing it (an account
        migrating here starts deactivated and silent).
        """
        async with self.events.unit() as unit, self.lock(did):
            reader = RepoBlockReader(did, self.cache, self.database.client)
            change = await Mst.empty(reader, cache=self.nodes).apply([])
            rev = self.next_rev(None)
            commit_cid, commit_block = signed_commit_block(
                did=did, data=change.root, rev=rev, key=key
            )
            blocks = {**change.new_blocks, commit_cid: commit_block}
            async with unit.transaction() as connection:
                if await repo_row(connection, did) is not None:
                    raise InvalidRequest(f"Repo already exists: {did}", error="RepoExists")
                await insert_repo(
                    connection,
                    RepoRow(
                        did=did,
                        head=str(commit_cid),
                        rev=rev,
                        data=str(change.root),
                        signing_key=self.keys.seal(did, key),
                        signing_key_curve=key.curve.value,
                        signing_public_key=key.public_key().multibase(),
                        status=status,
                    ),
                )
                if also is not None:
                    await also(connection)
                await insert_block_map(connection, did, rev, blocks)
                for event in events:
                    unit.add(event)
                if sequence_commit:
                    unit.add(
                        commit_event(
                            did=did,
                            commit=commit_cid,
                            rev=rev,
                            since=None,
                            prev_data=None,
                            blocks=blocks,
                            ops=(),
                        )
                    )
            self.cache_blocks(blocks)
        return CommitResult(did=did, commit=commit_cid, rev=rev)

    async def apply_writes(
        self,
        did: str,
        writes: Sequence[RecordWrite],
        *,
        swap_commit: Cid | Unset | None = UNSET,
    ) -> CommitResult:
        """Commit ``writes`` to ``did``'s repo atomically.

        The new commit is computed (MST, signature, event body) before the transaction,
        from the repo as this writer last left it (or as read now). The transaction's
        first statement moves the repo row to the new commit only if it is still at
        that base, which also locks the row; then it only stores the result, so it
        holds the database briefly. If the repo moved (another process wrote to it),
        the commit is computed again under the row lock: still one transaction.
        Every created or updated record is first put to :attr:`check_record`
        (``pds_check_record``): a refusal of any refuses the whole commit.
        """
        if len(writes) > self.limits.max_operations:
            raise InvalidRequest(f"Too many writes: at most {self.limits.max_operations}")
        record_blocks = {}
        for write in writes:
            if write.record is not None:
                block = encode(write.record)
                record_blocks[write.path] = (Cid.for_dag_cbor(block), block)
        labels = await self.check_records(
            did,
            (
                (write.collection, write.rkey, record_blocks[write.path][0], write.record)
                for write in writes
                if write.record is not None
            ),
            "write",
        )
        async with self.events.unit() as unit, self.lock(did):
            prepared = await self._prepare_optimistically(did, writes, record_blocks, swap_commit)
            async with unit.transaction() as connection:
                if not await advance_repo(connection, prepared.base, prepared.after):
                    # Another process moved the repo (or deleted it): compute under the lock.
                    locked = await repo_row(connection, did, for_update=True)
                    prepared = await self._prepare(
                        did, locked, writes, record_blocks, swap_commit, client=connection
                    )
                    await advance_repo(connection, prepared.base, prepared.after)
                blobs_touched = await store_commit(
                    connection, did, writes, prepared, labels, self.blobs
                )
                unit.add(prepared.event)
            self._bases.put(did, prepared.after)
            self.cache_blocks(prepared.new_blocks)
            if blobs_touched:
                await self.blobs.settle(did)
        return CommitResult(
            did=did, commit=prepared.commit, rev=prepared.rev, results=prepared.results
        )

    async def _prepare_optimistically(
        self,
        did: str,
        writes: Sequence[RecordWrite],
        record_blocks: dict[str, tuple[Cid, bytes]],
        swap_commit: Cid | Unset | None,
    ) -> PreparedCommit:
        """The commit computed from the repo as this writer last left it, else as read now.

        The remembered state is only a guess (the transaction checks it); a write it
        refuses is tried again on the stored state, which may have moved.
        """
        client = self.database.client
        remembered = self._bases.get(did)
        if remembered is not None:
            try:
                return await self._prepare(
                    did, remembered, writes, record_blocks, swap_commit, client=client
                )
            except (InvalidRequest, MissingBlock):
                self._bases.pop(did)
        base = await repo_row(client, did)
        return await self._prepare(did, base, writes, record_blocks, swap_commit, client=client)

    async def check_records(
        self,
        did: str,
        records: Iterable[tuple[str, str, Cid, dict[str, Any]]],
        origin: RecordOrigin,
    ) -> list[AttachedLabels]:
        """Put each ``(collection, rkey, cid, record)`` to :attr:`check_record`, in order.

        Raises the first refusal; answers the labels to store with the records.
        """
        attached = []
        for collection, rkey, cid, record in records:
            values = await self.check_record(did, collection, rkey, record, origin)
            if values:
                attached.append(AttachedLabels(f"{collection}/{rkey}", str(cid), values))
        return attached

    async def _prepare(
        self,
        did: str,
        repo: RepoRow | None,
        writes: Sequence[RecordWrite],
        record_blocks: dict[str, tuple[Cid, bytes]],
        swap_commit: Cid | Unset | None,
        *,
        client: BaseDBAsyncClient,
    ) -> PreparedCommit:
        """The commit applying ``writes`` to ``repo``: checked, signed, not yet stored
        (its blocks read on ``client``: the open transaction's, or the database's own)."""
        return await prepare_commit(
            did,
            repo,
            writes,
            record_blocks,
            swap_commit,
            cache=self.cache,
            nodes=self.nodes,
            keys=self.keys,
            next_rev=self.next_rev,
            max_block_bytes=self.limits.max_block_bytes,
            client=client,
        )

    def cache_blocks(self, blocks: dict[Cid, bytes]) -> None:
        """After a commit: keep its new ``blocks`` in the block cache."""
        for cid, block in blocks.items():
            self.cache.put(cid, block)
