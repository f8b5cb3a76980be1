"""Reading stored nodes: one batch per call, each block checked against its CID."""

from __future__ import annotations

from collections.abc import Mapping

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.cache import NodeCache
from exprsn_pds.repo.mst.codec import decode_node
from exprsn_pds.repo.mst.errors import MalformedNode, MissingBlock
from exprsn_pds.repo.mst.node import Node
from exprsn_pds.repo.mst.reader import BlockReader


class NodeLoader:
    """Reads nodes through a :class:`BlockReader` (and an optional shared
    :class:`NodeCache`) and keeps those a tree works on.

    ``nodes`` holds the stored nodes in memory (loaded, or sealed by a change), by CID.
    """

    def __init__(self, reader: BlockReader, cache: NodeCache | None) -> None:
        self.reader = reader
        self.cache = cache
        self.nodes: dict[Cid, Node] = {}

    async def load(self, wanted: Mapping[Cid, int | None]) -> None:
        """Keep the nodes in ``wanted`` (CID → layer) that are not in memory yet,
        reading those the cache lacks in one batch (and caching them)."""
        missing = {cid: layer for cid, layer in wanted.items() if cid not in self.nodes}
        cached, unread = self._from_cache(missing)
        self.nodes.update(cached)
        read = await self._read(unread)
        self.nodes.update(read)
        if self.cache is not None:
            for node in read.values():
                self.cache.put(node)

    async def read(self, wanted: Mapping[Cid, int | None]) -> dict[Cid, Node]:
        """The nodes in ``wanted`` (CID → layer, ``None`` for a root): cached ones, and
        the rest read in one batch (not cached, nor kept)."""
        cached, unread = self._from_cache(wanted)
        cached.update(await self._read(unread))
        return cached

    def _from_cache(
        self, wanted: Mapping[Cid, int | None]
    ) -> tuple[dict[Cid, Node], dict[Cid, int | None]]:
        """The wanted nodes the cache has, and the CIDs (→ layer) it lacks."""
        if self.cache is None:
            return {}, dict(wanted)
        cached: dict[Cid, Node] = {}
        unread: dict[Cid, int | None] = {}
        for cid, layer in wanted.items():
            node = self.cache.get(cid)
            if node is None:
                unread[cid] = layer
            elif layer is not None and node.layer != layer:
                raise MalformedNode(f"MST node {cid} is linked at layer {layer}, not its own")
            else:
                cached[cid] = node
        return cached, unread

    async def _read(self, wanted: Mapping[Cid, int | None]) -> dict[Cid, Node]:
        """Read and check the nodes in ``wanted`` in one batch.

        Raise :class:`MissingBlock` for one the store lacks, :class:`MalformedNode` for
        a block that does not hash to its CID or is not a valid node of its layer.
        """
        if not wanted:
            return {}
        blocks = await self.reader.get_blocks(list(wanted))
        nodes: dict[Cid, Node] = {}
        for cid, layer in wanted.items():
            block = blocks.get(cid)
            if block is None:
                raise MissingBlock(cid)
            if Cid.for_dag_cbor(block) != cid:
                raise MalformedNode(f"block {cid} does not hash to its CID")
            nodes[cid] = decode_node(cid, block, layer)
        return nodes
