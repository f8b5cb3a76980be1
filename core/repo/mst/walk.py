"""Reading a whole tree in order: its entries (:class:`EntryWalk`), its blocks
(:func:`node_blocks`). Neither keeps what it reads: memory stays bounded by the
tree's depth (entries) or by one layer's links (blocks)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import AsyncIterator

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.loader import NodeLoader
from exprsn_pds.repo.mst.node import Child, Node

#: Most node blocks :func:`node_blocks` asks the reader for at once.
BLOCKS_BATCH = 256
_LAST_BYTE = 0xFF


class EntryWalk:
    """The entries of a tree in key order: keys after ``after`` that start with ``prefix``.

    Visiting a node reads, in one batch, its subtrees that can hold wanted keys.
    """

    def __init__(self, loader: NodeLoader, *, after: bytes | None, prefix: bytes) -> None:
        self.loader = loader
        self.after = after
        self.prefix = prefix
        self.prefix_end = _range_end(prefix)
        self.read: dict[Cid, Node] = {}

    async def entries(self, root: Node) -> AsyncIterator[tuple[bytes, Cid]]:
        """Each wanted ``(key, value)`` under ``root``, in key order."""
        stack: list[tuple[Node, int]] = []
        await self._descend(root, root.layer, stack)
        while stack:
            node, index = stack.pop()
            if index >= len(node.keys):
                continue
            key = node.keys[index]
            if not key.startswith(self.prefix):
                return
            yield key, node.values[index]
            stack.append((node, index + 1))
            await self._descend(node.rights[index], node.layer - 1, stack)

    async def _descend(self, child: Child, layer: int, stack: list[tuple[Node, int]]) -> None:
        """Push the nodes from ``child`` down its leftmost wanted path."""
        while child is not None:
            node = await self._node(child, layer)
            first = self._first_gap(node)
            await self._read_ahead(node, first)
            stack.append((node, first))
            child = node.child(first)
            layer -= 1

    def _first_gap(self, node: Node) -> int:
        gap = bisect_left(node.keys, self.prefix)
        if self.after is not None:
            gap = max(gap, bisect_right(node.keys, self.after))
        return gap

    async def _node(self, child: Node | Cid, layer: int) -> Node:
        if isinstance(child, Node):
            return child
        node = self.loader.nodes.get(child) or self.read.pop(child, None)
        if node is None:
            node = (await self.loader.read({child: layer}))[child]
        return node

    async def _read_ahead(self, node: Node, first: int) -> None:
        last = len(node.keys)
        if self.prefix_end is not None:
            last = bisect_left(node.keys, self.prefix_end)
        wanted: dict[Cid, int | None] = {
            child: node.layer - 1
            for child in node.children()[first : last + 1]
            if isinstance(child, Cid) and child not in self.loader.nodes
        }
        self.read.update(await self.loader.read(wanted))


def _range_end(prefix: bytes) -> bytes | None:
    """The least key above every key that starts with ``prefix`` (``None``: no bound)."""
    trimmed = prefix.rstrip(bytes((_LAST_BYTE,)))
    if not trimmed:
        return None
    return trimmed[:-1] + bytes((trimmed[-1] + 1,))


async def node_blocks(loader: NodeLoader, root: Node) -> AsyncIterator[tuple[Cid, bytes]]:
    """Every node of the sealed tree ``root`` as ``(cid, block)``, layer by layer."""
    layer: list[Node | Cid] = [root]
    depth = root.layer
    while layer:
        below: list[Node | Cid] = []
        for start in range(0, len(layer), BLOCKS_BATCH):
            batch = layer[start : start + BLOCKS_BATCH]
            wanted: dict[Cid, int | None] = {
                child: depth
                for child in batch
                if isinstance(child, Cid) and child not in loader.nodes
            }
            read = await loader.read(wanted)
            for child in batch:
                node = child if isinstance(child, Node) else loader.nodes.get(child) or read[child]
                yield node.encoded()
                below += [grandchild for grandchild in node.children() if grandchild is not None]
        layer = below
        depth -= 1
