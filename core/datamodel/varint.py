"""Unsigned LEB128 varints as multiformats uses them (CIDs, CAR section lengths)."""

from __future__ import annotations

#: Longest varint multiformats allows, in bytes (63 bits of payload).
VARINT_MAX_BYTES = 9

_PAYLOAD_BITS = 7
_PAYLOAD_MASK = 0x7F
_CONTINUE = 0x80


def encode_varint(number: int) -> bytes:
    """The minimal varint encoding of a non-negative ``number``."""
    out = bytearray()
    while number >= _CONTINUE:
        out.append((number & _PAYLOAD_MASK) | _CONTINUE)
        number >>= _PAYLOAD_BITS
    out.append(number)
    return bytes(out)


def read_varint(data: bytes | memoryview, offset: int) -> tuple[int, int]:
    """Read the varint at ``offset``: ``(number, offset just after it)``.

    Raises ``ValueError`` when it runs past the end, is longer than
    :data:`VARINT_MAX_BYTES`, or is not minimally encoded.
    """
    number = 0
    for index in range(VARINT_MAX_BYTES):
        position = offset + index
        if position >= len(data):
            raise ValueError("varint runs past the end of the data")
        byte = data[position]
        number |= (byte & _PAYLOAD_MASK) << (_PAYLOAD_BITS * index)
        if byte < _CONTINUE:
            if byte == 0 and index > 0:
                raise ValueError("varint is not minimally encoded")
            return number, position + 1
    raise ValueError(f"varint is longer than {VARINT_MAX_BYTES} bytes")
