"""Decoded nodes shared between trees: a least-recently-used map of CID → node.

Nodes are named by the hash of their content, so a cached node is right for every
tree and every transaction that links its CID, even one that later rolls back. A
process keeps one :class:`NodeCache` and hands it to each :class:`~exprsn_pds.repo.mst.Mst`
it loads, so a write decodes only the nodes that changed since the last one.
"""

from __future__ import annotations

from exprsn_pds.datamodel import Cid
from exprsn_pds.lru import Lru
from exprsn_pds.repo.mst.node import Node, link

#: Default bound of a :class:`NodeCache`, in nodes (a node is about 1-2 KiB in memory).
DEFAULT_CACHE_NODES = 20_000


class NodeCache:
    """At most ``max_nodes`` decoded, stored nodes, the least recently used dropped first."""

    def __init__(self, max_nodes: int = DEFAULT_CACHE_NODES) -> None:
        self._nodes: Lru[Cid, Node] = Lru(max_nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, cid: Cid) -> Node | None:
        """The node ``cid`` names, refreshed as recently used; ``None`` if not cached."""
        return self._nodes.get(cid)

    def put(self, node: Node) -> None:
        """Remember the sealed ``node``, linking its children by CID only."""
        cid, block = node.encoded()
        if self._nodes.get(cid) is not None:
            return
        rights = tuple(link(right) for right in node.rights)
        stored = Node(
            node.layer, link(node.left), node.keys, node.values, rights, cid=cid, block=block
        )
        self._nodes.put(cid, stored)
