"""MST nodes in memory: keys, values and child links of one node of one layer.

A node is immutable once built, except that :meth:`Node.seal` gives a new node its
block and CID exactly once. A child link (:data:`Child`) is ``None`` (no subtree), a
:class:`Cid` (a stored subtree, maybe not loaded yet) or a :class:`Node` (a loaded
or new subtree). A node with no keys and no left child stands for "nothing" and is
never kept: :meth:`Node.make` returns ``None`` for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from exprsn_pds.datamodel import Cid

#: A link to a subtree: none, stored (by CID), or in memory.
Child: TypeAlias = "Node | Cid | None"


class Node:
    """One node: ``keys[i]`` maps to ``values[i]``; ``rights[i]`` follows ``keys[i]``.

    :meth:`child` numbers the gaps: gap 0 is ``left`` (keys before ``keys[0]``) and
    gap ``i`` is ``rights[i - 1]`` (keys between ``keys[i - 1]`` and ``keys[i]``).
    ``cid`` and ``block`` are ``None`` until the node is sealed or when it was loaded.
    """

    __slots__ = ("block", "cid", "keys", "layer", "left", "rights", "values")

    def __init__(
        self,
        layer: int,
        left: Child,
        keys: tuple[bytes, ...],
        values: tuple[Cid, ...],
        rights: tuple[Child, ...],
        *,
        cid: Cid | None = None,
        block: bytes | None = None,
    ) -> None:
        self.layer = layer
        self.left = left
        self.keys = keys
        self.values = values
        self.rights = rights
        self.cid = cid
        self.block = block

    @classmethod
    def make(
        cls,
        layer: int,
        left: Child,
        keys: tuple[bytes, ...],
        values: tuple[Cid, ...],
        rights: tuple[Child, ...],
    ) -> Node | None:
        """A new node, or ``None`` when it would hold nothing (no keys, no left child)."""
        if not keys and left is None:
            return None
        return cls(layer, left, keys, values, rights)

    @classmethod
    def empty(cls) -> Node:
        """The node of an empty tree: no keys, no children."""
        return cls(0, None, (), (), ())

    @property
    def is_empty(self) -> bool:
        """Whether the node holds nothing: the root of an empty tree."""
        return not self.keys and self.left is None

    def child(self, gap: int) -> Child:
        """The subtree of gap ``gap`` (0 = left of every key, ``len(keys)`` = rightmost)."""
        return self.left if gap == 0 else self.rights[gap - 1]

    def children(self) -> tuple[Child, ...]:
        """Every gap's subtree, left to right."""
        return (self.left, *self.rights)

    def with_child(self, gap: int, child: Child) -> Node | None:
        """This node with gap ``gap``'s subtree replaced (``None`` if nothing is left)."""
        if gap == 0:
            return Node.make(self.layer, child, self.keys, self.values, self.rights)
        rights = (*self.rights[: gap - 1], child, *self.rights[gap:])
        return Node.make(self.layer, self.left, self.keys, self.values, rights)

    def encoded(self) -> tuple[Cid, bytes]:
        """The node's CID and block; it must be sealed or loaded."""
        if self.cid is None or self.block is None:
            raise ValueError("the node is not sealed yet")
        return self.cid, self.block

    def seal(self, cid: Cid, block: bytes) -> None:
        """Record the block this new node encodes to, and its CID."""
        self.cid = cid
        self.block = block


def link(child: Child) -> Cid | None:
    """The CID a child link encodes as; a :class:`Node` child must be sealed."""
    if isinstance(child, Node):
        if child.cid is None:
            raise ValueError("a child node must be sealed before its parent")
        return child.cid
    return child


class NotLoaded(Exception):
    """The stored node ``cid`` (of ``layer``) is needed but is not in memory."""

    def __init__(self, cid: Cid, layer: int) -> None:
        super().__init__(cid, layer)
        self.cid = cid
        self.layer = layer

    def __str__(self) -> str:
        return f"MST node {self.cid} (layer {self.layer}) is not loaded"


def resolve(nodes: Mapping[Cid, Node], child: Child, layer: int) -> Node | None:
    """The node ``child`` links to, from ``nodes`` if stored; :class:`NotLoaded` if absent."""
    if child is None or isinstance(child, Node):
        return child
    found = nodes.get(child)
    if found is None:
        raise NotLoaded(child, layer)
    return found
