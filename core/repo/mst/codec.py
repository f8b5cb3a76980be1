"""The wire form of MST nodes: ``{e: [{k, p, t, v}], l}`` in DAG-CBOR.

``l`` links the subtree left of every key; each entry of ``e`` holds a key (``p``
bytes shared with the previous key of the node, then the rest ``k``), its value ``v``
and ``t``, the subtree right of it. Every field is always present (a missing subtree
is ``null``) and prefix compression is mandatory, so a node has exactly one encoding.

The schema is fixed and DAG-CBOR is canonical (shortest heads, map keys sorted by
length then bytes), so a node's block is always this byte layout::

    a2 6165 <array n> ( a4 616b <bytes k> 6170 <uint p> 6174 <link|f6> 6176 <link> )*n
       616c <link|f6>

with a link written as tag 42 (``d8 2a``) over a byte string of ``00`` and the binary
CID. :func:`encode_node` writes that layout directly, faster than the general encoder
(the tests check both agree); :func:`decode_node` reads blocks with the general, strict
decoder and then checks the node rules.
"""

from __future__ import annotations

from exprsn_pds.datamodel import Cid, DataModelError, decode
from exprsn_pds.repo.mst.errors import MalformedNode
from exprsn_pds.repo.mst.keys import key_height, shared_prefix_length
from exprsn_pds.repo.mst.node import Child, Node, link

_NODE_HEAD = b"\xa2\x61e"
_ENTRY_HEAD = b"\xa4\x61k"
_P_FIELD = b"\x61p"
_T_FIELD = b"\x61t"
_V_FIELD = b"\x61v"
_L_FIELD = b"\x61l"
_NULL = b"\xf6"
_NODE_FIELDS = frozenset(("e", "l"))
_ENTRY_FIELDS = frozenset(("k", "p", "t", "v"))
_LINK_TAG = b"\xd8\x2a"
_LINK_PREFIX = b"\x00"  # the multibase "identity" byte before a binary CID in a link

_UINT = 0
_BYTES = 2
_ARRAY = 4
_MAJOR_SHIFT = 5
_INLINE_LIMIT = 24
# Head argument codes 24..27 say the argument follows in 1, 2, 4 or 8 bytes.
_ARGUMENT_BYTES = {24: 1, 25: 2, 26: 4, 27: 8}
_SMALL_HEADS = {
    major: [bytes(((major << _MAJOR_SHIFT) | argument,)) for argument in range(_INLINE_LIMIT)]
    for major in (_UINT, _BYTES, _ARRAY)
}
# The link to a blessed CID (36 bytes), the common case: its head bytes are constant.
_BLESSED_CID_BYTES = 36
_BLESSED_LINK = b"\xd8\x2a\x58\x25\x00"


def _head(major: int, argument: int) -> bytes:
    """A CBOR head in its shortest form."""
    if argument < _INLINE_LIMIT:
        return _SMALL_HEADS[major][argument]
    for code, size in _ARGUMENT_BYTES.items():
        if argument < 1 << (8 * size):
            return bytes(((major << _MAJOR_SHIFT) | code,)) + argument.to_bytes(size)
    raise ValueError(f"a CBOR argument must fit 64 bits: {argument}")


def _link(child: Child | Cid) -> bytes:
    """A link (or null) to a child or value; a child node must be sealed."""
    cid = link(child)
    if cid is None:
        return _NULL
    raw = cid.bytes
    if len(raw) == _BLESSED_CID_BYTES:
        return _BLESSED_LINK + raw
    return _LINK_TAG + _head(_BYTES, len(raw) + 1) + _LINK_PREFIX + raw


def encode_node(node: Node) -> bytes:
    """The DAG-CBOR block of ``node``, whose children must all be sealed."""
    parts = [_NODE_HEAD, _head(_ARRAY, len(node.keys))]
    previous = b""
    for key, value, right in zip(node.keys, node.values, node.rights, strict=True):
        shared = shared_prefix_length(previous, key)
        suffix = key[shared:]
        parts += (
            _ENTRY_HEAD,
            _head(_BYTES, len(suffix)),
            suffix,
            _P_FIELD,
            _head(_UINT, shared),
            _T_FIELD,
            _link(right),
            _V_FIELD,
            _link(value),
        )
        previous = key
    parts += (_L_FIELD, _link(node.left))
    return b"".join(parts)


def decode_node(cid: Cid, block: bytes, layer: int | None) -> Node:
    """The node in ``block``, checked to be a valid node of ``layer``.

    ``layer=None`` reads a root: its layer is that of its keys, and it may be the empty
    node (the empty tree), but not a keyless node that only links a subtree. Raise
    :class:`MalformedNode` for anything else that breaks the node rules: fields, types,
    prefix compression, key order, key heights, links below layer 0.
    """
    try:
        value = decode(block)
    except DataModelError as exc:
        raise MalformedNode(f"MST node {cid} is not DAG-CBOR: {exc}") from None
    if not isinstance(value, dict) or value.keys() != _NODE_FIELDS:
        raise MalformedNode(f"MST node {cid} must be a map of exactly 'e' and 'l'")
    left = _subtree_link(cid, value["l"])
    keys, values, rights = _read_entries(cid, value["e"])
    if layer is None:
        if not keys and left is not None:
            raise MalformedNode(f"MST root {cid} has no keys, only a subtree")
        layer = key_height(keys[0]) if keys else 0
    elif not keys and left is None:
        raise MalformedNode(f"MST node {cid} is empty but is not a root")
    for key in keys:
        if key_height(key) != layer:
            raise MalformedNode(f"MST node {cid} holds key {key!r} outside layer {layer}")
    if layer == 0 and (left is not None or any(right is not None for right in rights)):
        raise MalformedNode(f"MST node {cid} links a subtree below layer 0")
    return Node(layer, left, keys, values, rights, cid=cid, block=block)


def _read_entries(
    cid: Cid, entries: object
) -> tuple[tuple[bytes, ...], tuple[Cid, ...], tuple[Child, ...]]:
    if not isinstance(entries, list):
        raise MalformedNode(f"MST node {cid}: 'e' must be an array")
    keys: list[bytes] = []
    values: list[Cid] = []
    rights: list[Child] = []
    previous = b""
    for entry in entries:
        if not isinstance(entry, dict) or entry.keys() != _ENTRY_FIELDS:
            raise MalformedNode(f"MST node {cid}: an entry must be a map of k, p, t and v")
        shared, suffix, value = entry["p"], entry["k"], entry["v"]
        if type(shared) is not int or not 0 <= shared <= len(previous):
            raise MalformedNode(f"MST node {cid}: bad prefix length {shared!r}")
        if not isinstance(suffix, bytes) or not isinstance(value, Cid):
            raise MalformedNode(f"MST node {cid}: 'k' must be bytes and 'v' a link")
        if shared < len(previous) and suffix[:1] == previous[shared : shared + 1]:
            raise MalformedNode(f"MST node {cid}: a key is not fully prefix-compressed")
        key = previous[:shared] + suffix
        if key <= previous:
            raise MalformedNode(f"MST node {cid}: keys out of order (or empty)")
        keys.append(key)
        values.append(value)
        rights.append(_subtree_link(cid, entry["t"]))
        previous = key
    return tuple(keys), tuple(values), tuple(rights)


def _subtree_link(cid: Cid, value: object) -> Cid | None:
    if value is None or isinstance(value, Cid):
        return value
    raise MalformedNode(f"MST node {cid}: a subtree link must be a link or null")
