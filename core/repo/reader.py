"""Reading repositories: records, listings, collections and CAR exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from exprsn_pds.datamodel import Cid, car_header, car_section, decode, iter_car
from exprsn_pds.repo.blocks import BlockCache, RepoBlockReader
from exprsn_pds.repo.models import Record, Repo
from exprsn_pds.repo.mst import Mst, NodeCache
from exprsn_pds.repo.store import (
    IndexedRecord,
    RepoState,
    block_page,
    list_index,
    record_in_repo,
    repo_state,
)
from exprsn_pds.storage.sql import current_client

EXPORT_PAGE_ROWS = 2000
#: An export is sent in pieces of about this many bytes, not one piece per block.
EXPORT_CHUNK_BYTES = 64 * 1024
#: The string of a DAG-CBOR, SHA-256 CIDv1 (every repo block's kind): how it begins (the
#: version, codec and hash code; the digest length shows in the string's length).
DAG_CBOR_CID_PREFIX = str(Cid.for_dag_cbor(b""))[:7]
DAG_CBOR_CID_LENGTH = len(str(Cid.for_dag_cbor(b"")))


@dataclass(frozen=True)
class StoredRecord:
    """A record as stored: its URI, CID and data-model value."""

    uri: str
    cid: Cid
    value: dict[str, Any]


class RepoReader:
    """Read-only access to repos; never takes the write lock."""

    def __init__(self, cache: BlockCache, nodes: NodeCache) -> None:
        self.cache = cache
        self.nodes = nodes

    async def get_repo(self, did: str) -> Repo | None:
        """The repo row, or ``None``."""
        return await Repo.get_or_none(did=did)

    async def state(self, did: str) -> RepoState | None:
        """The repo's current commit, rev, root and status (one query), or ``None``."""
        return await repo_state(current_client(), did)

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
        status, row = await record_in_repo(current_client(), did, collection, rkey)
        if row is None or row.taken_down:
            return status, None
        stored = Cid.parse(row.cid)
        if cid is not None and cid != stored:
            return status, None
        block = (await RepoBlockReader(did, self.cache).get_blocks([stored]))[stored]
        return status, StoredRecord(f"at://{did}/{collection}/{rkey}", stored, decode(block))

    async def list_records(
        self, did: str, collection: str, *, limit: int, cursor: str | None, reverse: bool
    ) -> list[StoredRecord]:
        """A page of records by rkey: newest first (descending), oldest first if ``reverse``."""
        rows: list[IndexedRecord] = await list_index(
            current_client(), did, collection, limit=limit, cursor=cursor, reverse=reverse
        )
        cids = [Cid.parse(row.cid) for row in rows]
        blocks = await RepoBlockReader(did, self.cache).get_blocks(set(cids))
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

    async def export(
        self, repo: Repo | RepoState, since: str | None = None
    ) -> AsyncIterator[bytes]:
        """The repo as a CAR stream: every block, or only those added after rev ``since``.

        Sections are gathered into pieces of about :data:`EXPORT_CHUNK_BYTES`.
        """
        blocks = self._stored_blocks(repo.did, since)
        async for chunk in _stream_car(Cid.parse(repo.head), blocks):
            yield chunk

    async def record_proof(self, repo: Repo, collection: str, rkey: str) -> bytes:
        """A CAR proving the record's presence or absence: commit, MST path, record."""
        head = Cid.parse(repo.head)
        reader = RepoBlockReader(repo.did, self.cache)
        blocks = dict(await reader.get_blocks([head]))
        mst = await Mst.load(reader, Cid.parse(repo.data), cache=self.nodes)
        blocks.update(await mst.proof_for(f"{collection}/{rkey}"))
        value = await mst.get(f"{collection}/{rkey}")
        if value is not None:
            blocks.update(await reader.get_blocks([value]))
        return b"".join(iter_car([head], blocks.items()))

    async def _stored_blocks(self, did: str, since: str | None) -> AsyncIterator[tuple[Cid, bytes]]:
        last_id = 0
        while True:
            rows = await block_page(
                current_client(), did, after_id=last_id, since=since, limit=EXPORT_PAGE_ROWS
            )
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
