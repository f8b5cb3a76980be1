"""Editing a tree in memory: insert, update and delete one key, node by node.

Edits are functional: they build new nodes along the key's path and share every
untouched subtree with the tree they started from, which stays valid. They read
nodes only through :func:`~exprsn_pds.repo.mst.node.resolve`, which raises
:class:`~exprsn_pds.repo.mst.node.NotLoaded` for a stored node that is not in memory
yet; the caller loads it and starts again.

The shape rules (repo spec, "MST Structure"): a key of height ``h`` lives in a node
of layer ``h``; a subtree link goes exactly one layer down, through keyless
"intermediate" nodes if need be; the root is the node of the highest layer, never a
keyless node that only links a subtree; the empty tree is one empty node.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.errors import KeyExists, KeyNotFound, MstError
from exprsn_pds.repo.mst.node import Child, Node, resolve
from exprsn_pds.repo.mst.ops import Edit, MstAction


class TreeEditor:
    """Applies single-key edits to trees whose stored nodes are in ``nodes``.

    ``previous`` collects, per key edited, the value it had before the edit.
    """

    def __init__(self, nodes: Mapping[Cid, Node]) -> None:
        self.nodes = nodes
        self.previous: dict[bytes, Cid | None] = {}

    def node(self, child: Child, layer: int) -> Node | None:
        """The node a child link points to; :class:`NotLoaded` if it is not in memory."""
        return resolve(self.nodes, child, layer)

    def apply(self, root: Node | None, edit: Edit) -> Node | None:
        """``root``'s tree (``None``: empty) after ``edit``."""
        if edit.action is MstAction.DELETE:
            return self.delete(root, edit.key, edit.height)
        if edit.value is None:
            raise MstError(f"{edit.action} of {_show(edit.key)} needs a value")
        if edit.action is MstAction.CREATE:
            return self.insert(root, edit.key, edit.height, edit.value)
        return self.update(root, edit.key, edit.height, edit.value)

    def insert(self, root: Node | None, key: bytes, height: int, value: Cid) -> Node:
        """``root``'s tree with ``key`` added; :class:`KeyExists` if it is there."""
        if root is None:
            self.previous[key] = None
            return Node(height, None, (key,), (value,), (None,))
        while root.layer < height:
            root = Node(root.layer + 1, root, (), (), ())
        return self._insert(root, root.layer, key, height, value)

    def update(self, root: Node | None, key: bytes, height: int, value: Cid) -> Node:
        """``root``'s tree with ``key`` mapped to ``value``; :class:`KeyNotFound` if absent."""
        if root is None or root.layer < height:
            raise KeyNotFound(f"cannot update {_show(key)}: no such key")
        return self._update(root, key, height, value)

    def delete(self, root: Node | None, key: bytes, height: int) -> Node | None:
        """``root``'s tree without ``key`` (``None`` if empty); :class:`KeyNotFound` if absent."""
        if root is None or root.layer < height:
            raise KeyNotFound(f"cannot delete {_show(key)}: no such key")
        pruned = self._delete(root, key, height)
        while pruned is not None and not pruned.keys:
            pruned = self.node(pruned.left, pruned.layer - 1)
        return pruned

    def _insert(self, node: Node | None, layer: int, key: bytes, height: int, value: Cid) -> Node:
        if node is None:
            if layer == height:
                self.previous[key] = None
                return Node(layer, None, (key,), (value,), (None,))
            return Node(layer, self._insert(None, layer - 1, key, height, value), (), (), ())
        gap = bisect_left(node.keys, key)
        if gap < len(node.keys) and node.keys[gap] == key:
            raise KeyExists(f"cannot create {_show(key)}: the key exists")
        if layer > height:
            below = self.node(node.child(gap), layer - 1)
            inserted = self._insert(below, layer - 1, key, height, value)
            changed = node.with_child(gap, inserted)
            assert changed is not None
            return changed
        self.previous[key] = None
        lower, upper = self._split(node.child(gap), layer - 1, key)
        if gap == 0:
            left, rights = lower, (upper, *node.rights)
        else:
            left, rights = node.left, (*node.rights[: gap - 1], lower, upper, *node.rights[gap:])
        keys = (*node.keys[:gap], key, *node.keys[gap:])
        values = (*node.values[:gap], value, *node.values[gap:])
        return Node(layer, left, keys, values, rights)

    def _split(self, child: Child, layer: int, key: bytes) -> tuple[Child, Child]:
        """The subtree ``child`` cut in two: the keys before ``key``, and after it."""
        node = self.node(child, layer)
        if node is None:
            return None, None
        gap = bisect_left(node.keys, key)
        below = node.child(gap)
        lower, upper = self._split(below, layer - 1, key)
        if upper is None and lower is below and gap == len(node.keys):
            return child, None
        if lower is None and upper is below and gap == 0:
            return None, child
        if gap == 0:
            before = Node.make(layer, lower, (), (), ())
        else:
            rights = (*node.rights[: gap - 1], lower)
            before = Node(layer, node.left, node.keys[:gap], node.values[:gap], rights)
        after = Node.make(layer, upper, node.keys[gap:], node.values[gap:], node.rights[gap:])
        return before, after

    def _update(self, node: Node, key: bytes, height: int, value: Cid) -> Node:
        gap = bisect_left(node.keys, key)
        if gap < len(node.keys) and node.keys[gap] == key:
            self.previous[key] = node.values[gap]
            if node.values[gap] == value:
                return node
            values = (*node.values[:gap], value, *node.values[gap + 1 :])
            return Node(node.layer, node.left, node.keys, values, node.rights)
        below = None if node.layer <= height else self.node(node.child(gap), node.layer - 1)
        if below is None:
            raise KeyNotFound(f"cannot update {_show(key)}: no such key")
        changed = node.with_child(gap, self._update(below, key, height, value))
        assert changed is not None
        return changed

    def _delete(self, node: Node, key: bytes, height: int) -> Node | None:
        gap = bisect_left(node.keys, key)
        if gap < len(node.keys) and node.keys[gap] == key:
            self.previous[key] = node.values[gap]
            merged = self._merge(node.child(gap), node.rights[gap], node.layer - 1)
            keys = (*node.keys[:gap], *node.keys[gap + 1 :])
            values = (*node.values[:gap], *node.values[gap + 1 :])
            if gap == 0:
                return Node.make(node.layer, merged, keys, values, node.rights[1:])
            rights = (*node.rights[: gap - 1], merged, *node.rights[gap + 1 :])
            return Node.make(node.layer, node.left, keys, values, rights)
        below = None if node.layer <= height else self.node(node.child(gap), node.layer - 1)
        if below is None:
            raise KeyNotFound(f"cannot delete {_show(key)}: no such key")
        return node.with_child(gap, self._delete(below, key, height))

    def _merge(self, first: Child, second: Child, layer: int) -> Child:
        """One subtree of layer ``layer`` holding the keys of ``first`` then ``second``."""
        if first is None:
            return second
        if second is None:
            return first
        head = self.node(first, layer)
        tail = self.node(second, layer)
        assert head is not None and tail is not None
        joined = self._merge(head.child(len(head.keys)), tail.left, layer - 1)
        keys = head.keys + tail.keys
        values = head.values + tail.values
        if not head.keys:
            return Node(layer, joined, keys, values, tail.rights)
        return Node(layer, head.left, keys, values, (*head.rights[:-1], joined, *tail.rights))


def _show(key: bytes) -> str:
    return repr(key.decode(errors="replace"))
