"""What an edit made and unmade: sealing new nodes, and finding replaced ones.

After the edits of a change, the new tree is made of new (unsealed) nodes around
untouched stored subtrees. :func:`seal` encodes the new nodes bottom-up.
:func:`dropped_nodes` then walks the old tree from its root, stopping at every
subtree the new tree still holds: what it passes through is gone. Within one tree
every node's CID is unique (a node's keys are), which makes both exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.codec import encode_node
from exprsn_pds.repo.mst.node import Child, Node, link, resolve


@dataclass
class Sealed:
    """A sealed tree: its root, the nodes sealed now, and the stored subtrees it kept."""

    root: Node
    created: dict[Cid, Node] = field(default_factory=dict)
    kept: set[Cid] = field(default_factory=set)


def seal(root: Node | None) -> Sealed:
    """Encode every unsealed node of the tree ``root`` (``None``: the empty tree)."""
    sealed = Sealed(Node.empty() if root is None else root)
    if sealed.root.cid is None:
        _seal(sealed.root, sealed)
    else:
        sealed.kept.add(sealed.root.cid)
    return sealed


def _seal(node: Node, sealed: Sealed) -> None:
    for child in node.children():
        if isinstance(child, Node) and child.cid is None:
            _seal(child, sealed)
        else:
            stored = link(child)
            if stored is not None:
                sealed.kept.add(stored)
    block = encode_node(node)
    cid = Cid.for_dag_cbor(block)
    node.seal(cid, block)
    sealed.created[cid] = node


def dropped_nodes(
    nodes: Mapping[Cid, Node], old_root: Node | None, sealed: Sealed
) -> tuple[set[Cid], set[Cid]]:
    """The old tree's nodes that the new one lacks, and the sealed nodes it already had.

    ``old_root`` is ``None`` when the old tree was never stored.
    """
    dropped: set[Cid] = set()
    reused: set[Cid] = set()
    pending: list[tuple[Child, int]] = [] if old_root is None else [(old_root, old_root.layer)]
    while pending:
        child, layer = pending.pop()
        cid = link(child)
        if cid is None or cid in sealed.kept:
            continue
        if cid in sealed.created:
            reused.add(cid)
            continue
        dropped.add(cid)
        node = resolve(nodes, child, layer)
        assert node is not None
        pending.extend((below, layer - 1) for below in node.children())
    return dropped, reused
