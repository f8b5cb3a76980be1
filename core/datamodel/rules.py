"""Rules of the atproto data model shared by the codecs and the JSON conversion."""

from __future__ import annotations

from exprsn_pds.datamodel.errors import DataModelError

#: Smallest integer of the atproto data model (signed 64-bit), held to at the JSON edge.
INT_MIN = -(2**63)
#: Largest integer of the atproto data model (signed 64-bit), held to at the JSON edge.
INT_MAX = 2**63 - 1
#: Smallest integer DAG-CBOR can hold (major type 1, 64-bit argument).
CBOR_INT_MIN = -(2**64)
#: Largest integer DAG-CBOR can hold (major type 0, 64-bit argument).
CBOR_INT_MAX = 2**64 - 1
#: The message when a value is nested deeper than Python's recursion limit allows.
TOO_DEEP = "value is nested too deeply"

# libipld writes a ``bytes`` value as a link when it parses as a CID, and reads links
# back as ``bytes``. Binary CIDs start with 0x01 (CIDv1) or 0x12 (a CIDv0 multihash)
# and are at least this long; ``bytes`` not like that can never be taken for a link.
_LINK_FIRST_BYTES = frozenset((0x01, 0x12))
_LINK_MIN_BYTES = 4


def could_be_link(data: bytes) -> bool:
    """Whether libipld might take ``data`` for a binary CID."""
    return len(data) >= _LINK_MIN_BYTES and data[0] in _LINK_FIRST_BYTES


def check_int(number: int) -> int:
    """``number`` if it fits the atproto data model's signed 64-bit integers."""
    if not INT_MIN <= number <= INT_MAX:
        raise DataModelError(f"integer out of the signed 64-bit range: {number}")
    return number


def check_cbor_int(number: int) -> int:
    """``number`` if DAG-CBOR can hold it (64 bits of magnitude, and a sign)."""
    if not CBOR_INT_MIN <= number <= CBOR_INT_MAX:
        raise DataModelError(f"integer beyond 64 bits: {number}")
    return number


def not_allowed(value: object) -> DataModelError:
    """The error for a value that has no place in the data model."""
    if isinstance(value, float):
        return DataModelError(f"floats are not allowed in the data model: {value!r}")
    return DataModelError(f"{type(value).__name__} is not a data-model type")
