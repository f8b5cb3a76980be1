"""Where the MST reads its node blocks from: the :class:`BlockReader` protocol."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.errors import MissingBlock


class BlockReader(Protocol):
    """A content-addressed block store the tree reads nodes from, in batches."""

    async def get_blocks(self, cids: Collection[Cid]) -> dict[Cid, bytes]:
        """The block of every CID in ``cids``.

        Raise :class:`MissingBlock` naming a CID that is not stored.
        """
        ...


class MemoryBlockReader(dict[Cid, bytes]):
    """A :class:`BlockReader` over a plain ``dict`` of CID → block (tests, proofs)."""

    async def get_blocks(self, cids: Collection[Cid]) -> dict[Cid, bytes]:
        """The block of every CID in ``cids``; :class:`MissingBlock` for an absent one."""
        found: dict[Cid, bytes] = {}
        for cid in cids:
            block = self.get(cid)
            if block is None:
                raise MissingBlock(cid)
            found[cid] = block
        return found
