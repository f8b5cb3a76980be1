"""Loading ahead what reads and edits will need: one read per layer, not per node.

A key's :class:`Reach` says which nodes of the tree work on it will read:

- ``LOOKUP`` (``get``, an update): the search path, down to the key's own layer;
- ``PATH`` (a proof, a create, whose split follows the path): the whole search path,
  down to the node that holds the key or the gap with no subtree where it would be;
- ``NEIGHBOURS`` (a delete): the search path, then the inner edges of the subtrees
  on either side of the key, which deleting it merges.

:func:`prefetch` follows all the keys down the tree together, reading each layer's
missing nodes in one batch. It is only an optimisation: a node it did not foresee
is read when the work asks for it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from enum import Enum

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.loader import NodeLoader
from exprsn_pds.repo.mst.node import Node
from exprsn_pds.repo.mst.ops import Edit, MstAction


class Reach(Enum):
    """How far down the tree work on a key reads (see the module docstring)."""

    LOOKUP = "lookup"
    PATH = "path"
    NEIGHBOURS = "neighbours"


#: The reach of each kind of edit.
EDIT_REACH = {
    MstAction.CREATE: Reach.PATH,
    MstAction.UPDATE: Reach.LOOKUP,
    MstAction.DELETE: Reach.NEIGHBOURS,
}

#: A key, its height, and how far work on it reads.
Target = tuple[bytes, int, Reach]


def edit_targets(edits: Sequence[Edit]) -> list[Target]:
    """The keys ``edits`` work on, with their reach."""
    return [(edit.key, edit.height, EDIT_REACH[edit.action]) for edit in edits]


async def prefetch(loader: NodeLoader, root: Node, targets: Sequence[Target]) -> None:
    """Load into ``loader`` the stored nodes under ``root`` that work on ``targets`` reads."""
    frontier: list[tuple[Node, list[Target]]] = [(root, list(targets))]
    while frontier:
        following: list[tuple[Node, list[Target]]] = []
        waiting: list[tuple[Cid, list[Target]]] = []
        wanted: dict[Cid, int | None] = {}
        for node, group in frontier:
            for gap, routed in _route(node, group).items():
                child = node.child(gap)
                if isinstance(child, Node):
                    following.append((child, routed))
                elif child is not None:
                    waiting.append((child, routed))
                    if child not in loader.nodes:
                        wanted[child] = node.layer - 1
        if wanted:
            await loader.load(wanted)
        following += [(loader.nodes[cid], routed) for cid, routed in waiting]
        frontier = following


def _route(node: Node, targets: list[Target]) -> dict[int, list[Target]]:
    """The targets whose reach goes on below ``node``, by the gap they go down."""
    routes: dict[int, list[Target]] = defaultdict(list)
    if node.layer == 0:
        return routes
    for target in targets:
        key, height, reach = target
        gap = bisect_left(node.keys, key)
        if gap < len(node.keys) and node.keys[gap] == key:
            if reach is Reach.NEIGHBOURS:
                routes[gap].append(target)
                routes[gap + 1].append(target)
        elif reach is not Reach.LOOKUP or node.layer > height:
            routes[gap].append(target)
    return routes
