"""Reading repo blocks from the database, through a shared content-addressed cache.

Blocks are immutable and named by their hash, so caching them by CID is always
correct, even across transactions that roll back.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst import MissingBlock
from exprsn_pds.repo.store import fetch_blocks
from exprsn_pds.storage.sql import current_client

DEFAULT_CACHE_BYTES = 64 * 1024 * 1024


class BlockCache:
    """A least-recently-used map of CID → block, bounded in total bytes."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._blocks: OrderedDict[Cid, bytes] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes

    def get(self, cid: Cid) -> bytes | None:
        """The cached block, refreshed as recently used; ``None`` when absent."""
        block = self._blocks.get(cid)
        if block is not None:
            self._blocks.move_to_end(cid)
        return block

    def put(self, cid: Cid, block: bytes) -> None:
        """Remember ``block``; evict the least recently used past the byte bound."""
        if cid in self._blocks:
            self._blocks.move_to_end(cid)
            return
        self._blocks[cid] = block
        self._bytes += len(block)
        while self._bytes > self._max_bytes and self._blocks:
            _, evicted = self._blocks.popitem(last=False)
            self._bytes -= len(evicted)


class RepoBlockReader:
    """The MST's block reader for one repo: cache first, then one query per batch.

    Queries run in the current task's transaction, if it has one.
    """

    def __init__(self, did: str, cache: BlockCache) -> None:
        self.did = did
        self.cache = cache

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
            for text, block in await fetch_blocks(current_client(), self.did, wanted):
                cid = wanted.pop(text)
                self.cache.put(cid, block)
                found[cid] = block
        if wanted:
            missing = next(iter(wanted.values()))
            raise MissingBlock(missing, f"repo {self.did} lacks block {missing}")
        return found
