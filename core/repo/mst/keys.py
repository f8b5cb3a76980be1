"""MST keys: their height (layer) in the tree, shared prefixes, and the key rules.

A key's height is the number of leading zero bits of its SHA-256 hash, counted in
2-bit chunks (the fanout of 4 that repo format v3 fixes). Keys are repo paths,
``collection/rkey``, compared and stored as their UTF-8 bytes.
"""

from __future__ import annotations

import hashlib
import re

from exprsn_pds.repo.mst.errors import InvalidKey
from exprsn_pds.syntax import RecordKey
from exprsn_pds.syntax.base import quote

#: Longest key, in UTF-8 bytes.
KEY_MAX_BYTES = 1024
#: Leading zero bits of the key hash per layer: 2 bits make a fanout of 4.
BITS_PER_LAYER = 2
#: Bits in a SHA-256 digest.
DIGEST_BITS = 256
#: Separates the collection from the record key.
PATH_SEPARATOR = "/"

# The characters of an NSID; the full NSID grammar is the write path's to check.
_COLLECTION = re.compile(r"[A-Za-z0-9.-]+")


def key_bytes(key: str | bytes) -> bytes:
    """``key`` as the bytes the tree stores: UTF-8 for a ``str``."""
    return key.encode() if isinstance(key, str) else key


def key_height(key: str | bytes) -> int:
    """The layer of the tree that holds ``key``: leading zero bit pairs of SHA-256."""
    digest = hashlib.sha256(key_bytes(key)).digest()
    leading_zero_bits = DIGEST_BITS - int.from_bytes(digest).bit_length()
    return leading_zero_bits // BITS_PER_LAYER


def common_prefix_length(a: str | bytes, b: str | bytes) -> int:
    """How many leading bytes (UTF-8 for ``str``) ``a`` and ``b`` share."""
    return shared_prefix_length(key_bytes(a), key_bytes(b))


def shared_prefix_length(left: bytes, right: bytes) -> int:
    """How many leading bytes ``left`` and ``right`` share."""
    limit = min(len(left), len(right))
    if left[:limit] == right[:limit]:
        return limit
    differing_bits = (int.from_bytes(left[:limit]) ^ int.from_bytes(right[:limit])).bit_length()
    return limit - (differing_bits + 7) // 8


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid MST key, or ``None``.

    A key is a repo path: a collection (NSID characters), ``/``, a record key;
    neither segment is ``.`` or ``..``; at most :data:`KEY_MAX_BYTES` UTF-8 bytes.
    """
    if len(key.encode()) > KEY_MAX_BYTES:
        return f"longer than {KEY_MAX_BYTES} bytes"
    collection, separator, rkey = key.partition(PATH_SEPARATOR)
    if not separator:
        return f"must be collection{PATH_SEPARATOR}rkey"
    if _COLLECTION.fullmatch(collection) is None or collection in (".", ".."):
        return "the collection must be ASCII letters, digits, '.' and '-'"
    problem = RecordKey.problem(rkey)
    if problem is not None:
        return f"the record key {problem}"
    return None


def check_key(key: str) -> bytes:
    """``key``'s bytes if it is a valid MST key; raise :class:`InvalidKey` if not."""
    if not isinstance(key, str):
        raise InvalidKey(f"an MST key must be a str, not {type(key).__name__}")
    problem = key_problem(key)
    if problem is not None:
        raise InvalidKey(f"invalid MST key {quote(key)}: {problem}")
    return key.encode()
