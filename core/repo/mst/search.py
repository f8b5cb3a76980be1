"""Finding a key: its value, and the nodes that prove its presence or absence.

Each function reads nodes through :func:`~exprsn_pds.repo.mst.node.resolve`, so it
raises :class:`~exprsn_pds.repo.mst.node.NotLoaded` when it needs a node that is not
in memory; the caller loads it and calls again.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.node import Child, Node, resolve


def lookup(nodes: Mapping[Cid, Node], root: Node, key: bytes, height: int) -> Cid | None:
    """The value of ``key`` (whose height is ``height``), or ``None``.

    A key lives in the layer of its height, so the search stops there: it never reads
    the nodes below that layer.
    """
    node: Node | None = root
    while node is not None and node.layer >= height:
        gap = bisect_left(node.keys, key)
        if gap < len(node.keys) and node.keys[gap] == key:
            return node.values[gap]
        if node.layer == height:
            return None
        node = resolve(nodes, node.child(gap), node.layer - 1)
    return None


def search_path(nodes: Mapping[Cid, Node], root: Node, key: bytes) -> list[Node]:
    """The nodes from the root down to the one that holds ``key``, or down to the gap
    with no subtree where it would be: an inclusion or exclusion proof."""
    path = [root]
    node = root
    while True:
        gap = bisect_left(node.keys, key)
        if gap < len(node.keys) and node.keys[gap] == key:
            return path
        below = resolve(nodes, node.child(gap), node.layer - 1)
        if below is None:
            return path
        path.append(below)
        node = below


def covering_nodes(
    nodes: Mapping[Cid, Node], root: Node, key: bytes, *, neighbours: bool
) -> list[Node]:
    """The nodes a consumer needs to check ``key``'s state and to invert its edit.

    That is :func:`search_path`, and with ``neighbours`` (for a key that was added)
    also the rightmost path of the subtree just before the key and the leftmost path
    of the subtree just after it: the paths to the key's predecessor and successor,
    which removing the key merges.
    """
    path = search_path(nodes, root, key)
    holder = path[-1]
    gap = bisect_left(holder.keys, key)
    if neighbours and gap < len(holder.keys) and holder.keys[gap] == key:
        below = holder.layer - 1
        path += _spine(nodes, holder.child(gap), below, rightmost=True)
        path += _spine(nodes, holder.rights[gap], below, rightmost=False)
    return path


def _spine(nodes: Mapping[Cid, Node], child: Child, layer: int, *, rightmost: bool) -> list[Node]:
    spine: list[Node] = []
    node = resolve(nodes, child, layer)
    while node is not None:
        spine.append(node)
        edge = node.child(len(node.keys)) if rightmost else node.left
        node = resolve(nodes, edge, node.layer - 1)
    return spine
