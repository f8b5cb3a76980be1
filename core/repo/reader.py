"""Reading repositories: records, listings, collections and CAR exports.

Everything read from more than one query that must agree (an export, a record proof, a
set of blocks) is read inside one read snapshot (:meth:`Database.read_snapshot
<exprsn_pds.storage.database.Database.read_snapshot>`): the head it starts from and every
block after it belong to one commit, however long the client takes to read the answer
and whatever commits land meanwhile. A commit drops the blocks it replaced in its own
transaction (the writer keeps no garbage), and the snapshot still sees them.

Why a snapshot and not deferred deletion: keeping replaced blocks for a grace period or
under export leases would need a block-lifetime record per row (a block can be dropped
and re-added by later commits), a collector, and the writer's delete path changed; a
snapshot needs none of it, costs writers nothing (SQLite WAL readers and PostgreSQL
``REPEATABLE READ`` readers take no lock a writer waits for), and is exact: the export
is the commit's blocks, no more, no fewer, however slow the reader.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.datamodel import Cid, car_header, car_section, decode, iter_car
from exprsn_pds.errors import RepoNotFound
from exprsn_pds.repo.blocks import BlockCache, RepoBlockReader
from exprsn_pds.repo.models import Record
from exprsn_pds.repo.mst import MissingBlock, Mst, NodeCache
from exprsn_pds.repo.store import (
    IndexedRecord,
    RepoRow,
    block_page,
    fetch_blocks,
    list_index,
    record_in_repo,
    repo_row,
)
from exprsn_pds.storage import Database

EXPORT_PAGE_ROWS = 2000
#: An export is sent in pieces of about this many bytes, not one piece per block.
EXPORT_CHUNK_BYTES = 64 * 1024
#: The string of a DAG-CBOR, SHA-256 CIDv1 (every repo block's kind): how it begins (the
#: version, codec and hash code; the digest length shows in the string's length).
DAG_CBOR_CID_PREFIX = str(Cid.for_dag_cbor(b""))[:7]
DAG_CBOR_CID_LENGTH = len(str(Cid.for_dag_cbor(b"")))

#: Opens a read snapshot: a client whose queries all see one committed state.
SnapshotOpener = Callable[[], AbstractAsyncContextManager[BaseDBAsyncClient]]


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored: its URI, CID and data-model value."""

    uri: str
    cid: Cid
    value: dict[str, Any]


class RepoReader:
    """Read-only access to repos; never takes the write lock.

    Single reads run on ``database.client``; exports, proofs and block sets are read in
    the read snapshots ``snapshot`` opens (``database.read_snapshot`` unless given).
    """

    def __init__(
        self,
        cache: BlockCache,
        nodes: NodeCache,
        database: Database,
        snapshot: SnapshotOpener | None = None,
    ) -> None:
        self.cache = cache
        self.nodes = nodes
        self.database = database
        self.snapshot = snapshot or database.read_snapshot

    async def get_repo(self, did: str) -> RepoRow | None:
        """The repo row: its current commit, rev, root, key and status (one query), or ``None``."""
        return await repo_row(self.database.client, did)

    async def get_record(
        self, did: str, collection: str, rkey: str, cid: Cid | None = None
    ) -> StoredRecord | None:
        """The current record (or ``None``); with ``cid``, only if it is that version."""
        _, record = await self.find_record(did, collection, rkey, cid)
        return record

    async def find_record(
        self, did: str, collection: str, rkey: str, cid: Cid | None = None
    ) -> tuple[str | None, StoredRecord | None]:
        """The repo's status (``None``: no such repo), and its record as :meth:`get_record`
        answers (one query)."""
        client = self.database.client
        status, row = await record_in_repo(client, did, collection, rkey)
        if row is None or row.taken_down:
            return status, None
        stored = Cid.parse(row.cid)
        if cid is not None and cid != stored:
            return status, None
        block = (await RepoBlockReader(did, self.cache, client).get_blocks([stored]))[stored]
        return status, StoredRecord(f"at://{did}/{collection}/{rkey}", stored, decode(block))

    async def list_records(
        self, did: str, collection: str, *, limit: int, cursor: str | None, reverse: bool
    ) -> list[StoredRecord]:
        """A page of records by rkey: newest first (descending), oldest first if ``reverse``."""
        client = self.database.client
        rows: list[IndexedRecord] = await list_index(
            client, did, collection, limit=limit, cursor=cursor, reverse=reverse
        )
        cids = [Cid.parse(row.cid) for row in rows]
        blocks = await RepoBlockReader(did, self.cache, client).get_blocks(set(cids))
        return [
            StoredRecord(f"at://{did}/{collection}/{row.rkey}", cid, decode(blocks[cid]))
            for row, cid in zip(rows, cids, strict=True)
        ]

    async def collections(self, did: str) -> list[str]:
        """The collections that hold at least one record."""
        rows = (
            await Record.filter(did=did)
            .distinct()
            .order_by("collection")
            .values_list("collection", flat=True)
        )
        return [str(row) for row in rows]

    async def export(self, did: str, since: str | None = None) -> AsyncGenerator[bytes, None]:
        """The repo's current commit as a CAR stream: every block, or only those added
        after rev ``since``; one snapshot from the first piece to the last.

        The snapshot opens when the first piece is asked for, and closes when the
        stream ends or is closed. Sections are gathered into pieces of about
        :data:`EXPORT_CHUNK_BYTES`. A repo that no longer exists raises
        ``RepoNotFound`` (an :class:`InvalidRequest`) from the first piece.
        """
        async with self.snapshot() as client:
            state = await _state_or_not_found(client, did)
            blocks = _stored_blocks(client, did, since)
            async for chunk in _stream_car(Cid.parse(state.head), blocks):
                yield chunk

    async def record_proof(self, did: str, collection: str, rkey: str) -> bytes:
        """A CAR proving the record's presence or absence at the current commit: the
        commit, the MST path, the record (one snapshot)."""
        async with self.snapshot() as client:
            state = await _state_or_not_found(client, did)
            head = Cid.parse(state.head)
            reader = RepoBlockReader(did, self.cache, client)
            blocks = dict(await reader.get_blocks([head]))
            mst = await Mst.load(reader, Cid.parse(state.data), cache=self.nodes)
            blocks.update(await mst.proof_for(f"{collection}/{rkey}"))
            value = await mst.get(f"{collection}/{rkey}")
            if value is not None:
                blocks.update(await reader.get_blocks([value]))
        return b"".join(iter_car([head], blocks.items()))

    async def blocks(self, did: str, cids: Collection[Cid]) -> dict[Cid, bytes]:
        """The repo's blocks ``cids`` as of one commit; :class:`MissingBlock` names one it
        does not hold then.

        Read from the snapshot, not the block cache: a cached block may be one a
        commit has dropped since.
        """
        wanted = {str(cid): cid for cid in cids}
        async with self.snapshot() as client:
            rows = await fetch_blocks(client, did, wanted)
        found = {wanted[text]: block for text, block in rows}
        for cid in wanted.values():
            if cid not in found:
                raise MissingBlock(cid, f"repo {did} lacks block {cid}")
        return found


async def _state_or_not_found(client: BaseDBAsyncClient, did: str) -> RepoRow:
    state = await repo_row(client, did)
    if state is None:
        raise RepoNotFound(did)
    return state


async def _stored_blocks(
    client: BaseDBAsyncClient, did: str, since: str | None
) -> AsyncIterator[tuple[Cid, bytes]]:
    last_id = 0
    while True:
        rows = await block_page(client, did, after_id=last_id, since=since, limit=EXPORT_PAGE_ROWS)
        for row_id, cid, content in rows:
            last_id = row_id
            yield _stored_cid(cid, content), content
        if len(rows) < EXPORT_PAGE_ROWS:
            return


def _stored_cid(text: str, block: bytes) -> Cid:
    """The CID a block is stored under.

    Every stored block matches its CID (the writer computes it, imports check it), and
    repo blocks are DAG-CBOR hashed with SHA-256: for those, hashing the block is several
    times cheaper than parsing the base32 string. Any other kind is parsed.
    """
    if len(text) == DAG_CBOR_CID_LENGTH and text.startswith(DAG_CBOR_CID_PREFIX):
        return Cid.for_dag_cbor(block)
    return Cid.parse(text)


async def _stream_car(root: Cid, blocks: AsyncIterator[tuple[Cid, bytes]]) -> AsyncIterator[bytes]:
    pending = [car_header([root])]
    size = len(pending[0])
    async for cid, block in blocks:
        section = car_section(cid, block)
        pending.append(section)
        size += len(section)
        if size >= EXPORT_CHUNK_BYTES:
            yield b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)
