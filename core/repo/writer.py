"""The write path: one transaction per commit, serialised per repo.

A commit's new blocks, the record index, the repo root and its ``#commit`` event
(sequenced through the writer's :class:`~exprsn_pds.events.EventLog` unit of work)
commit together or not at all; the event is announced after the commit. Writes to one
repo are serialised by an in-process lock and, for several processes sharing PostgreSQL,
by a row lock on the repo (``SELECT ... FOR UPDATE``); SQLite serialises write
transactions itself.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.blobs import BlobService
from exprsn_pds.blobs.refs import find_blob_refs
from exprsn_pds.crypto import PrivateKey
from exprsn_pds.datamodel import Cid, encode, write_car
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.events import AnyEvent, CommitEvent, EventLog, RepoOp
from exprsn_pds.events.types import OpAction
from exprsn_pds.repo.blocks import BlockCache, RepoBlockReader
from exprsn_pds.repo.checks import RecordCheck, RecordOrigin, allow_every_record
from exprsn_pds.repo.commit import signed_commit_block
from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.labels import AttachedLabels, replace_labels
from exprsn_pds.repo.models import Repo
from exprsn_pds.repo.mst import MissingBlock, Mst, MstChange, MstOp, NodeCache
from exprsn_pds.repo.store import (
    IndexWrite,
    LockedRepo,
    advance_repo,
    cids_in_use,
    delete_blocks,
    insert_blocks,
    lock_repo,
    update_index,
)
from exprsn_pds.repo.writes import (
    UNSET,
    Action,
    CommitResult,
    RecordWrite,
    Unset,
    WriteResult,
    check_swap_commit,
)
from exprsn_pds.storage import Database
from exprsn_pds.storage.sql import current_client
from exprsn_pds.syntax import TidClock

#: How many repos' current commits a writer remembers, to skip reading them back.
REMEMBERED_REPOS = 10_000


@dataclass(frozen=True)
class PreparedCommit:
    """A signed commit computed from ``base``, ready to store."""

    base: LockedRepo
    rev: str
    commit: Cid
    change: MstChange
    results: list[WriteResult]
    new_blocks: dict[Cid, bytes]
    event: CommitEvent
    after: LockedRepo
    """The repo row once this commit is stored."""


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
        self._bases: OrderedDict[str, LockedRepo] = OrderedDict()

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
        also: Callable[[], Awaitable[None]] | None = None,
        status: str = "active",
        sequence_commit: bool = True,
    ) -> CommitResult:
        """A new, empty repository with its first signed commit; ``events`` go first.

        ``also`` runs inside the same transaction (e.g. to add the account row);
        ``sequence_commit=False`` stores the commit without announcing it (an account
        migrating here starts deactivated and silent).
        """
        async with self.events.unit() as unit, self.lock(did):
            reader = RepoBlockReader(did, self.cache)
            change = await Mst.empty(reader, cache=self.nodes).apply([])
            rev = self.next_rev(None)
            commit_cid, commit_block = signed_commit_block(
                did=did, data=change.root, rev=rev, key=key
            )
            blocks = {**change.new_blocks, commit_cid: commit_block}
            async with unit.transaction() as connection:
                if await Repo.exists(did=did):
                    raise InvalidRequest(f"Repo already exists: {did}", error="RepoExists")
                await Repo.create(
                    did=did,
                    head=str(commit_cid),
                    rev=rev,
                    data=str(change.root),
                    signing_key=self.keys.seal(did, key),
                    signing_key_curve=key.curve.value,
                    signing_public_key=key.public_key().multibase(),
                    status=status,
                )
                if also is not None:
                    await also()
                await _insert_blocks(connection, did, rev, blocks)
                for event in events:
                    unit.add(event)
                if sequence_commit:
                    unit.add(
                        _commit_event(
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
                if not await advance_repo(connection, did, prepared.base, prepared.after):
                    # Another process moved the repo (or deleted it): compute under the lock.
                    locked = await lock_repo(connection, did)
                    prepared = await self._prepare(did, locked, writes, record_blocks, swap_commit)
                    await advance_repo(connection, did, prepared.base, prepared.after)
                blobs_touched = await self._store(connection, did, writes, prepared, labels)
                unit.add(prepared.event)
            self._remember(did, prepared.after)
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
        remembered = self._bases.get(did)
        if remembered is not None:
            try:
                return await self._prepare(did, remembered, writes, record_blocks, swap_commit)
            except (InvalidRequest, MissingBlock):
                self._bases.pop(did, None)
        base = await lock_repo(current_client(), did, for_update=False)
        return await self._prepare(did, base, writes, record_blocks, swap_commit)

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

    def _remember(self, did: str, state: LockedRepo) -> None:
        self._bases[did] = state
        self._bases.move_to_end(did)
        while len(self._bases) > REMEMBERED_REPOS:
            self._bases.popitem(last=False)

    async def _prepare(
        self,
        did: str,
        repo: LockedRepo | None,
        writes: Sequence[RecordWrite],
        record_blocks: dict[str, tuple[Cid, bytes]],
        swap_commit: Cid | Unset | None,
    ) -> PreparedCommit:
        """The commit applying ``writes`` to ``repo``: checked, signed, not yet stored."""
        if repo is None:
            raise InvalidRequest(f"Could not find repo: {did}", error="RepoNotFound")
        check_swap_commit(swap_commit, repo.head)
        reader = RepoBlockReader(did, self.cache)
        mst = await Mst.load(reader, Cid.parse(repo.data), cache=self.nodes)
        ops, results = await _plan(did, mst, writes, record_blocks)
        change = await mst.apply(ops)
        rev = self.next_rev(repo.rev)
        key = self.keys.open(did, repo.signing_key, repo.signing_key_curve)
        commit_cid, commit_block = signed_commit_block(did=did, data=change.root, rev=rev, key=key)
        new_blocks = {cid: block for cid, block in record_blocks.values()}
        new_blocks.update(change.new_blocks)
        new_blocks[commit_cid] = commit_block
        block_bytes = sum(len(block) for block in new_blocks.values())
        if block_bytes > self.limits.max_block_bytes:
            raise InvalidRequest(
                f"Commit too large: {block_bytes} bytes of blocks,"
                f" at most {self.limits.max_block_bytes}"
            )
        event = _commit_event(
            did=did,
            commit=commit_cid,
            rev=rev,
            since=repo.rev,
            prev_data=Cid.parse(repo.data),
            blocks={**change.proof_blocks, **new_blocks},
            ops=[_op(write, result) for write, result in zip(writes, results, strict=True)],
        )
        after = LockedRepo(
            str(commit_cid), rev, str(change.root), repo.signing_key, repo.signing_key_curve
        )
        return PreparedCommit(repo, rev, commit_cid, change, results, new_blocks, event, after)

    async def _store(
        self,
        connection: BaseDBAsyncClient,
        did: str,
        writes: Sequence[RecordWrite],
        prepared: PreparedCommit,
        labels: Sequence[AttachedLabels],
    ) -> bool:
        """Store a prepared commit's blocks, index and labels in the open transaction.

        A replaced or deleted record's labels go. Answers whether blob links changed.
        """
        await _insert_blocks(connection, did, prepared.rev, prepared.new_blocks)
        await update_index(
            connection,
            did,
            prepared.rev,
            [
                IndexWrite(write.collection, write.rkey, _cid_text(result.cid))
                for write, result in zip(writes, prepared.results, strict=True)
            ],
        )
        replaced = [write.path for write in writes if write.action is not Action.CREATE]
        await replace_labels(connection, did, replaced, labels)
        blobs_touched = await self._update_blob_refs(did, writes)
        await _drop_unused_blocks(
            connection,
            did,
            prepared.base.head,
            prepared.change,
            prepared.results,
            prepared.new_blocks,
        )
        return blobs_touched

    async def _update_blob_refs(self, did: str, writes: Sequence[RecordWrite]) -> bool:
        """Record (and check) the blobs each written record references.

        A new record without blobs has no links to replace, so it costs no query. The
        answer says whether any blob link may have changed, i.e. whether the blobs need
        settling after the commit (only a link makes a temporary blob permanent, only an
        unlink frees one).
        """
        touched = False
        for write in writes:
            if write.record is None:
                await self.blobs.unlink(did, write.path)
                touched = True
            elif write.action is not Action.CREATE or find_blob_refs(write.record):
                await self.blobs.link(did, write.path, write.record)
                touched = True
        return touched

    def cache_blocks(self, blocks: dict[Cid, bytes]) -> None:
        """After a commit: keep its new ``blocks`` in the block cache."""
        for cid, block in blocks.items():
            self.cache.put(cid, block)


async def _plan(
    did: str,
    mst: Mst,
    writes: Sequence[RecordWrite],
    record_blocks: dict[str, tuple[Cid, bytes]],
) -> tuple[list[MstOp], list[WriteResult]]:
    ops: list[MstOp] = []
    results: list[WriteResult] = []
    seen: set[str] = set()
    for write in writes:
        if write.path in seen:
            raise InvalidRequest(f"Duplicate write to {write.path}")
        seen.add(write.path)
        current = await mst.get(write.path)
        if not isinstance(write.swap_record, Unset) and current != write.swap_record:
            raise InvalidRequest(f"Record {write.path} was at {current}", error="InvalidSwap")
        uri = f"at://{did}/{write.path}"
        if write.action is Action.CREATE and current is not None:
            raise InvalidRequest(f"Record already exists: {uri}")
        if write.action in (Action.UPDATE, Action.DELETE) and current is None:
            raise InvalidRequest(f"Could not find record: {uri}", error="RecordNotFound")
        cid = record_blocks[write.path][0] if write.action is not Action.DELETE else None
        ops.append(MstOp(action=write.action.value, key=write.path, value=cid))
        results.append(WriteResult(action=write.action, uri=uri, cid=cid, prev=current))
    return ops, results


async def _insert_blocks(
    connection: BaseDBAsyncClient, did: str, rev: str, blocks: dict[Cid, bytes]
) -> None:
    await insert_blocks(connection, did, rev, [(str(cid), block) for cid, block in blocks.items()])


def _cid_text(cid: Cid | None) -> str | None:
    return None if cid is None else str(cid)


async def _drop_unused_blocks(
    connection: BaseDBAsyncClient,
    did: str,
    previous_head: str,
    change: MstChange,
    results: Sequence[WriteResult],
    new_blocks: dict[Cid, bytes],
) -> None:
    """Delete the old commit, replaced MST nodes and record blocks no record uses now.

    Runs after the record index is updated, so a replaced record block that another
    record still points at is kept.
    """
    old_records = {str(r.prev) for r in results if r.prev is not None}
    still_used = await cids_in_use(connection, did, old_records) if old_records else set()
    kept = {str(cid) for cid in new_blocks}
    doomed = ({previous_head} | {str(cid) for cid in change.removed} | old_records) - still_used
    doomed -= kept
    if doomed:
        await delete_blocks(connection, did, doomed)


def _commit_event(
    *,
    did: str,
    commit: Cid,
    rev: str,
    since: str | None,
    prev_data: Cid | None,
    blocks: dict[Cid, bytes],
    ops: Sequence[RepoOp],
) -> CommitEvent:
    """The ``#commit`` event of a commit (the unit of work sequences it)."""
    return CommitEvent(
        did=did,
        rev=rev,
        commit=commit,
        since=since,
        prev_data=prev_data,
        ops=tuple(ops),
        blocks=write_car([commit], blocks.items()),
    )


_OP_ACTIONS: dict[Action, OpAction] = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DELETE: "delete",
}


def _op(write: RecordWrite, result: WriteResult) -> RepoOp:
    return RepoOp(
        action=_OP_ACTIONS[write.action],
        collection=write.collection,
        rkey=write.rkey,
        cid=result.cid,
        prev=result.prev,
        record=write.record,
    )
