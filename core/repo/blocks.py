"""Reading repo blocks from the database, through a shared content-addressed cache.

Blocks are immutable and named by their hash, so caching them by CID is always
correct, even across transactions that roll back.
"""

from __future__ import annotations

from collections.abc import Collection

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.datamodel import Cid
from exprsn_pds.lru import Lru
from exprsn_pds.repo.mst import MissingBlock
from exprsn_pds.repo.store import fetch_blocks

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024


class BlockCache(Lru[Cid, bytes]):
    """A least-recently-used map of CID → block, bounded in total bytes."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        super().__init__(max_bytes, weigh=len)


class RepoBlockReader:
    """The MST's block reader for one repo: cache first, then one query per batch.

    Queries run on ``client``: a transaction's, a read snapshot's, or the database's own
    (:attr:`Database.client <exprsn_pds.storage.database.Database.client>`) outside both.
    """

    def __init__(self, did: str, cache: BlockCache, client: BaseDBAsyncClient) -> None:
        self.did = did
        self.cache = cache
        self.client = client

    async def get_blocks(self, cids: Collection[Cid]) -> dict[Cid, bytes]:
        """Every requested block; :class:`MissingBlock` names one that is not stored."""
        found: dict[Cid, bytes] = {}
        wanted: dict[str, Cid] = {}
        for cid in cids:
            cached = self.cache.get(cid)
            if cached is None:
                wanted[str(cid)] = cid
            else:
                found[cid] = cached
        if wanted:
            for text, block in await fetch_blocks(self.client, self.did, wanted):
                cid = wanted.pop(text)
                self.cache.put(cid, block)
                found[cid] = block
        if wanted:
            missing = next(iter(wanted.values()))
            raise MissingBlock(missing, f"repo {self.did} lacks block {missing}")
        return found
