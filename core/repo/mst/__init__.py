"""The repository Merkle Search Tree (atproto repo spec v3, "MST Structure").

- :class:`Mst`: a tree over a :class:`BlockReader`, read lazily: ``await Mst.load(reader,
  root)`` or ``Mst.empty(reader)``; ``get``, ``walk``, ``proof_for``, ``all_blocks``;
  ``apply`` edits a batch of keys and answers an :class:`MstChange`: the new root, the
  new and removed nodes, the sync v1.1 covering proof and each key's previous value.
- :class:`MstOp` / :class:`MstAction`: one key's create, update or delete.
- :class:`NodeCache`: decoded nodes shared between trees (``cache=`` of ``load``/``empty``).
- :class:`BlockReader`: the batched block-store protocol; :class:`MemoryBlockReader`
  is a ``dict`` that implements it.
- :func:`key_height`, :func:`common_prefix_length`, :func:`check_key`: key rules.

Errors: :class:`MstError` (a ``ValueError``) and its kinds :class:`InvalidKey`,
:class:`KeyExists`, :class:`KeyNotFound`, :class:`MalformedNode`; and
:class:`MissingBlock` (a ``KeyError``) when the store lacks a block.

Module map: ``keys`` (heights, prefixes, key rules), ``node`` (nodes in memory),
``codec`` (their DAG-CBOR form), ``cache`` (shared decoded nodes), ``edit``
(insert/update/delete), ``search`` (lookups and proofs), ``delta`` (sealing new nodes,
finding dropped ones), ``change`` (a batch's whole change), ``loader`` and ``prefetch``
(reading nodes in batches), ``walk`` (streaming entries and blocks), ``ops`` (ops and
changes), ``tree`` (:class:`Mst`).
"""

from exprsn_pds.repo.mst.cache import DEFAULT_CACHE_NODES, NodeCache
from exprsn_pds.repo.mst.errors import (
    InvalidKey,
    KeyExists,
    KeyNotFound,
    MalformedNode,
    MissingBlock,
    MstError,
)
from exprsn_pds.repo.mst.keys import KEY_MAX_BYTES, check_key, common_prefix_length, key_height
from exprsn_pds.repo.mst.ops import MstAction, MstChange, MstOp
from exprsn_pds.repo.mst.reader import BlockReader, MemoryBlockReader
from exprsn_pds.repo.mst.tree import Mst

__all__ = [
    "DEFAULT_CACHE_NODES",
    "KEY_MAX_BYTES",
    "BlockReader",
    "InvalidKey",
    "KeyExists",
    "KeyNotFound",
    "MalformedNode",
    "MemoryBlockReader",
    "MissingBlock",
    "Mst",
    "MstAction",
    "MstChange",
    "MstError",
    "MstOp",
    "NodeCache",
    "check_key",
    "common_prefix_length",
    "key_height",
]
