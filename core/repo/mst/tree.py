"""The Merkle Search Tree of a repository, read lazily from a block store.

An :class:`Mst` holds its root node and the nodes it has read or made. Reads (``get``,
``proof_for``) and edits (``apply``) load only the nodes on the paths they touch, a
layer at a time; ``walk`` and ``all_blocks`` stream the tree without keeping it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.cache import NodeCache
from exprsn_pds.repo.mst.change import compute_change
from exprsn_pds.repo.mst.delta import seal
from exprsn_pds.repo.mst.keys import key_bytes, key_height
from exprsn_pds.repo.mst.loader import NodeLoader
from exprsn_pds.repo.mst.node import Node, NotLoaded
from exprsn_pds.repo.mst.ops import MstChange, MstOp, plan
from exprsn_pds.repo.mst.prefetch import Reach, edit_targets, prefetch
from exprsn_pds.repo.mst.reader import BlockReader
from exprsn_pds.repo.mst.search import lookup, search_path
from exprsn_pds.repo.mst.walk import EntryWalk, node_blocks

_T = TypeVar("_T")


class Mst:
    """A repository MST over a :class:`BlockReader`; make one with :meth:`load` or
    :meth:`empty`.

    :meth:`apply` moves the tree to its new root, and the tree keeps the nodes it made:
    it never needs the caller to store them first. One tree is one writer's view; load
    a fresh one for each transaction rather than sharing one across writers.
    """

    def __init__(self, loader: NodeLoader, root: Node, *, stored: bool) -> None:
        self._loader = loader
        self._root = root
        self._stored = stored

    @classmethod
    async def load(cls, reader: BlockReader, root: Cid, *, cache: NodeCache | None = None) -> Mst:
        """The tree whose root node is ``root``; reads that one node.

        ``cache``, shared between trees, saves reading and decoding nodes again.
        """
        loader = NodeLoader(reader, cache)
        await loader.load({root: None})
        return cls(loader, loader.nodes[root], stored=True)

    @classmethod
    def empty(cls, reader: BlockReader, *, cache: NodeCache | None = None) -> Mst:
        """A new, empty tree; its first :meth:`apply` returns the empty node as new."""
        return cls(NodeLoader(reader, cache), Node.empty(), stored=False)

    @property
    def root(self) -> Cid:
        """The CID of the root node (the tree's ``data`` CID in a commit)."""
        return self._sealed_root().encoded()[0]

    async def get(self, key: str) -> Cid | None:
        """The value of ``key``, or ``None`` if the tree does not hold it."""
        data = key_bytes(key)
        height = key_height(data)
        await prefetch(self._loader, self._root, [(data, height, Reach.LOOKUP)])
        return await self._loaded(lambda: lookup(self._loader.nodes, self._root, data, height))

    async def proof_for(self, key: str) -> dict[Cid, bytes]:
        """The nodes from the root to where ``key`` is or would be: an inclusion or
        exclusion proof of it."""
        root, data = self._sealed_root(), key_bytes(key)
        await prefetch(self._loader, root, [(data, key_height(data), Reach.PATH)])
        path = await self._loaded(lambda: search_path(self._loader.nodes, root, data))
        return dict(node.encoded() for node in path)

    async def walk(
        self, after: str | None = None, prefix: str | None = None
    ) -> AsyncIterator[tuple[str, Cid]]:
        """Every ``(key, value)`` in key order: keys after ``after`` that start with
        ``prefix`` (both optional)."""
        walk = EntryWalk(
            self._loader,
            after=None if after is None else after.encode(),
            prefix=b"" if prefix is None else prefix.encode(),
        )
        async for key, value in walk.entries(self._root):
            yield key.decode(), value

    async def all_blocks(self) -> AsyncIterator[tuple[Cid, bytes]]:
        """Every node block of the tree as ``(cid, block)``: for exports and checks."""
        async for cid, block in node_blocks(self._loader, self._sealed_root()):
            yield cid, block

    async def apply(self, ops: Sequence[MstOp]) -> MstChange:
        """Apply ``ops`` together and move the tree to the result.

        Raise :class:`~exprsn_pds.repo.mst.KeyExists` (create of a present key),
        :class:`~exprsn_pds.repo.mst.KeyNotFound` (update or delete of an absent one),
        :class:`~exprsn_pds.repo.mst.InvalidKey` or :class:`~exprsn_pds.repo.mst.MstError`
        (a key edited twice); the tree is unchanged then.
        """
        edits = plan(ops)
        await prefetch(self._loader, self._root, edit_targets(edits))
        sealed, change = await self._loaded(
            lambda: compute_change(self._loader.nodes, self._root, edits, stored=self._stored)
        )
        self._loader.nodes.update(sealed.created)
        if self._loader.cache is not None:
            for node in sealed.created.values():
                self._loader.cache.put(node)
        for cid in change.removed:
            self._loader.nodes.pop(cid, None)
        self._root = sealed.root
        self._stored = True
        return change

    def _sealed_root(self) -> Node:
        """The root node, sealed (only a new tree's empty root can be unsealed)."""
        if self._root.cid is None:
            seal(self._root)
        return self._root

    async def _loaded(self, attempt: Callable[[], _T]) -> _T:
        """``attempt()``, reading each node it lacks and trying again until it has all."""
        while True:
            try:
                return attempt()
            except NotLoaded as missing:
                await self._loader.load({missing.cid: missing.layer})
