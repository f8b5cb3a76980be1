"""Reading repositories: records, listings, collections and CAR exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from exprsn_pds.datamodel import Cid, car_header, car_section, decode, iter_car
from exprsn_pds.repo.blocks import BlockCache, RepoBlockReader
from exprsn_pds.repo.models import Record, Repo, RepoBlock
from exprsn_pds.repo.mst import Mst, NodeCache

EXPORT_PAGE_ROWS = 500


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

    async def get_record(
        self, did: str, collection: str, rkey: str, cid: Cid | None = None
    ) -> StoredRecord | None:
        """The current record (or ``None``); with ``cid``, only if it is that version."""
        row = await Record.get_or_none(did=did, collection=collection, rkey=rkey)
        if row is None or row.takedown_ref is not None:
            return None
        stored = Cid.parse(row.cid)
        if cid is not None and cid != stored:
            return None
        block = (await RepoBlockReader(did, self.cache).get_blocks([stored]))[stored]
        return StoredRecord(f"at://{did}/{collection}/{rkey}", stored, decode(block))

    async def list_records(
        self, did: str, collection: str, *, limit: int, cursor: str | None, reverse: bool
    ) -> list[StoredRecord]:
        """A page of records by rkey: newest first (descending), oldest first if ``reverse``."""
        query = Record.filter(did=did, collection=collection, takedown_ref__isnull=True)
        if cursor is not None:
            query = query.filter(rkey__gt=cursor) if reverse else query.filter(rkey__lt=cursor)
        rows = await query.order_by("rkey" if reverse else "-rkey").limit(limit)
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

    async def export(self, repo: Repo, since: str | None = None) -> AsyncIterator[bytes]:
        """The repo as a CAR stream: every block, or only those added after rev ``since``."""
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
            query = RepoBlock.filter(did=did, id__gt=last_id)
            if since is not None:
                query = query.filter(rev__gt=since)
            rows = (
                await query.order_by("id")
                .limit(EXPORT_PAGE_ROWS)
                .values_list("id", "cid", "content")
            )
            for row_id, cid, content in rows:
                last_id = row_id
                yield Cid.parse(cid), bytes(content)
            if len(rows) < EXPORT_PAGE_ROWS:
                return


async def _stream_car(root: Cid, blocks: AsyncIterator[tuple[Cid, bytes]]) -> AsyncIterator[bytes]:
    yield car_header([root])
    async for cid, block in blocks:
        yield car_section(cid, block)
