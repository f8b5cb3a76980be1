"""CIDs (content identifiers) as the small immutable value type :class:`Cid`.

atproto's "blessed" CIDs are CIDv1 with the ``dag-cbor`` (records, MST nodes, commits)
or ``raw`` (blobs) codec and a SHA-256 multihash, written as base32 strings (``b...``).
:class:`Cid` holds any structurally valid CIDv1; computing the blessed ones is a hash
plus a constant prefix.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Self

from exprsn_pds.datamodel.errors import DataModelError
from exprsn_pds.datamodel.varint import read_varint
from exprsn_pds.syntax.base import quote
from exprsn_pds.syntax.cid import CID_STRING_MAX_LENGTH

#: The only CID version atproto uses.
CID_VERSION = 1
#: Multicodec of DAG-CBOR blocks: records, MST nodes, commits.
DAG_CBOR_CODEC = 0x71
#: Multicodec of raw bytes: blobs.
RAW_CODEC = 0x55
#: Multihash code of SHA-256.
SHA2_256 = 0x12
#: Length of a SHA-256 digest, in bytes.
SHA2_256_BYTES = 32
#: Longest multihash digest accepted, in bytes (the multihash and libipld limit).
MAX_DIGEST_BYTES = 64
#: Multibase prefix of base32 (lowercase, unpadded): the blessed string form.
BASE32_PREFIX = "b"

_DAG_CBOR_PREFIX = bytes((CID_VERSION, DAG_CBOR_CODEC, SHA2_256, SHA2_256_BYTES))
_RAW_PREFIX = bytes((CID_VERSION, RAW_CODEC, SHA2_256, SHA2_256_BYTES))
_BLESSED_PREFIXES = frozenset((_DAG_CBOR_PREFIX, _RAW_PREFIX))
_BLESSED_LENGTH = len(_DAG_CBOR_PREFIX) + SHA2_256_BYTES
_BASE32_BODY = re.compile("[a-z2-7]+")
_BASE32_BITS = 5
_BASE32_RADIX = 32
# RFC 4648 base32 digits (a-z, 2-7) onto the digits int(..., 32) reads (0-9, a-v).
_TO_INT_DIGITS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdefghijklmnopqrstuv"
)


def cid_length(data: bytes | memoryview, offset: int = 0) -> int:
    """Length in bytes of the binary CIDv1 that starts at ``offset`` in ``data``.

    Raises ``ValueError`` if no well-formed CIDv1 starts there.
    """
    version, position = read_varint(data, offset)
    if version != CID_VERSION:
        raise ValueError(f"only CIDv1 is supported, not version {version}")
    _codec, position = read_varint(data, position)
    _hash_code, position = read_varint(data, position)
    digest_bytes, position = read_varint(data, position)
    if digest_bytes > MAX_DIGEST_BYTES:
        raise ValueError(f"digest longer than {MAX_DIGEST_BYTES} bytes")
    end = position + digest_bytes
    if end > len(data):
        raise ValueError("digest runs past the end of the data")
    return end - offset


def _base32_bytes(body: str) -> bytes | None:
    """The bytes of unpadded lowercase base32 ``body`` (already checked to be ``[a-z2-7]+``).

    ``None`` unless it is the canonical encoding: a length no byte count encodes to, or
    set bits after the last whole byte, would not round-trip. The digits are mapped onto
    Python's own base-32 digits so that ``int`` decodes them, several times faster than
    :func:`base64.b32decode`.
    """
    byte_count, spare_bits = divmod(len(body) * _BASE32_BITS, 8)
    if spare_bits >= _BASE32_BITS:
        return None
    value = int(body.translate(_TO_INT_DIGITS), _BASE32_RADIX)
    if value & ((1 << spare_bits) - 1):
        return None
    return (value >> spare_bits).to_bytes(byte_count, "big")


def _check_binary(raw: object) -> None:
    """Raise :class:`DataModelError` unless ``raw`` is exactly one binary CIDv1."""
    if not isinstance(raw, bytes):
        raise DataModelError(f"a binary CID must be bytes, not {type(raw).__name__}")
    try:
        length = cid_length(raw)
    except ValueError as exc:
        raise DataModelError(f"invalid binary CID: {exc}") from None
    if length != len(raw):
        raise DataModelError(f"invalid binary CID: {len(raw) - length} bytes after it")


class Cid:
    """A CIDv1: an immutable, hashable value; CIDs order by their binary form.

    ``Cid(raw)`` and :meth:`from_bytes` check the binary form, :meth:`parse` reads the
    base32 string, ``str(cid)`` writes it. A ``Cid`` never equals ``bytes``: in the data
    model a link and a byte string are different kinds of value.
    """

    __slots__ = ("_raw", "_text")

    _raw: bytes
    _text: str | None

    def __init__(self, raw: bytes) -> None:
        if type(raw) is not bytes or not (
            len(raw) == _BLESSED_LENGTH and raw[: len(_DAG_CBOR_PREFIX)] in _BLESSED_PREFIXES
        ):
            _check_binary(raw)
        self._raw = raw
        self._text = None

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> Self:
        """The CID whose binary form is ``raw``; raise :class:`DataModelError` if invalid."""
        return cls(bytes(raw))

    @classmethod
    def parse(cls, text: str) -> Self:
        """Read a base32 CIDv1 string (``b...``); raise :class:`DataModelError` if invalid."""
        if not isinstance(text, str):
            raise DataModelError(f"a CID string must be a str, not {type(text).__name__}")
        if (
            len(text) > CID_STRING_MAX_LENGTH
            or not text.startswith(BASE32_PREFIX)
            or _BASE32_BODY.fullmatch(text, len(BASE32_PREFIX)) is None
        ):
            raise DataModelError(
                f"invalid CID {quote(text)}: must be a base32 CIDv1 string ('b' then a-z, 2-7)"
            )
        raw = _base32_bytes(text[len(BASE32_PREFIX) :])
        if raw is None:
            raise DataModelError(f"invalid CID {quote(text)}: not canonical base32")
        try:
            cid = cls(raw)
        except DataModelError as exc:
            raise DataModelError(f"invalid CID {quote(text)}: {exc}") from None
        cid._text = text
        return cid

    @classmethod
    def for_dag_cbor(cls, block: bytes) -> Self:
        """The blessed CID of a DAG-CBOR block (codec ``dag-cbor``, SHA-256)."""
        return cls(_DAG_CBOR_PREFIX + hashlib.sha256(block).digest())

    @classmethod
    def for_raw(cls, data: bytes) -> Self:
        """The blessed CID of a blob's bytes (codec ``raw``, SHA-256)."""
        return cls(_RAW_PREFIX + hashlib.sha256(data).digest())

    @property
    def codec(self) -> int:
        """The multicodec of the linked content: :data:`DAG_CBOR_CODEC`, :data:`RAW_CODEC` ..."""
        codec, _ = read_varint(self._raw, 1)
        return codec

    @property
    def hash_code(self) -> int:
        """The multihash code of the digest, e.g. :data:`SHA2_256`."""
        _, position = read_varint(self._raw, 1)
        hash_code, _ = read_varint(self._raw, position)
        return hash_code

    @property
    def digest(self) -> bytes:
        """The hash digest (the multihash without its code and length)."""
        _, position = read_varint(self._raw, 1)
        _, position = read_varint(self._raw, position)
        _, position = read_varint(self._raw, position)
        return self._raw[position:]

    def __str__(self) -> str:
        if self._text is None:
            encoded = base64.b32encode(self._raw).decode("ascii").rstrip("=").lower()
            self._text = BASE32_PREFIX + encoded
        return self._text

    def __repr__(self) -> str:
        return f"Cid({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Cid):
            return self._raw == other._raw
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._raw)

    def __lt__(self, other: Cid) -> bool:
        if isinstance(other, Cid):
            return self._raw < other._raw
        return NotImplemented

    def __le__(self, other: Cid) -> bool:
        if isinstance(other, Cid):
            return self._raw <= other._raw
        return NotImplemented

    def __gt__(self, other: Cid) -> bool:
        if isinstance(other, Cid):
            return self._raw > other._raw
        return NotImplemented

    def __ge__(self, other: Cid) -> bool:
        if isinstance(other, Cid):
            return self._raw >= other._raw
        return NotImplemented

    # Last in the class body: below this name, ``bytes`` would mean the property.
    @property
    def bytes(self) -> bytes:
        """The binary form, as it appears inside a DAG-CBOR link or a CAR section."""
        return self._raw
