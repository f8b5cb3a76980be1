"""CAR v1 files: a DAG-CBOR header ``{"version": 1, "roots": [...]}`` then sections.

Each part is prefixed by its length as a varint; a section is a binary CID followed by
the block's bytes. Reading checks every block against its CID (SHA-256). For streams
built piece by piece (e.g. from an async source) use :func:`car_header` and
:func:`car_section`; :func:`iter_car` and :func:`write_car` do it for an iterable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from exprsn_pds.datamodel.cbor import decode, encode
from exprsn_pds.datamodel.cid import SHA2_256, Cid, cid_length
from exprsn_pds.datamodel.errors import CarError, DataModelError
from exprsn_pds.datamodel.varint import encode_varint, read_varint

#: The CAR format version written and accepted.
CAR_VERSION = 1


def car_header(roots: Iterable[Cid]) -> bytes:
    """The length-prefixed header that starts a CAR file with these roots."""
    header = encode({"version": CAR_VERSION, "roots": list(roots)})
    return encode_varint(len(header)) + header


def car_section(cid: Cid, block: bytes) -> bytes:
    """One length-prefixed section: ``cid``'s binary form, then ``block``.

    The block is written as given; the caller vouches that it matches its CID.
    """
    raw = cid.bytes
    return encode_varint(len(raw) + len(block)) + raw + block


def iter_car(roots: Iterable[Cid], blocks: Iterable[tuple[Cid, bytes]]) -> Iterator[bytes]:
    """Stream a CAR file: its header, then one chunk per ``(cid, block)`` section."""
    yield car_header(roots)
    for cid, block in blocks:
        yield car_section(cid, block)


def write_car(roots: Iterable[Cid], blocks: Iterable[tuple[Cid, bytes]]) -> bytes:
    """A whole CAR file in memory; see :func:`iter_car`."""
    return b"".join(iter_car(roots, blocks))


def read_car(data: bytes) -> tuple[list[Cid], dict[Cid, bytes]]:
    """The roots and blocks of a CAR v1 file.

    Raises :class:`CarError` for a truncated or malformed file, a header that is not
    version 1, a block whose CID is not SHA-256, or a block that does not match its CID.
    Repeated blocks are fine; roots may be empty.
    """
    view = memoryview(data)
    header, position = _read_part(view, 0, "header")
    roots = _check_header(header)
    blocks: dict[Cid, bytes] = {}
    while position < len(view):
        section, position = _read_part(view, position, "section")
        cid, block = _split_section(section)
        blocks[cid] = block
    return roots, blocks


def _read_part(view: memoryview, position: int, what: str) -> tuple[memoryview, int]:
    """The length-prefixed part at ``position`` and the position after it."""
    try:
        length, start = read_varint(view, position)
    except ValueError as exc:
        raise CarError(f"bad CAR {what} length at byte {position}: {exc}") from None
    end = start + length
    if length == 0 or end > len(view):
        problem = "is empty" if length == 0 else "runs past the end of the file"
        raise CarError(f"CAR {what} at byte {position} {problem}")
    return view[start:end], end


def _check_header(part: memoryview) -> list[Cid]:
    try:
        header: Any = decode(bytes(part))
    except DataModelError as exc:
        raise CarError(f"bad CAR header: {exc}") from None
    if not isinstance(header, dict):
        raise CarError("bad CAR header: not a map")
    version = header.get("version")
    if type(version) is not int or version != CAR_VERSION:
        raise CarError(f"unsupported CAR version {version!r}, expected {CAR_VERSION}")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(root, Cid) for root in roots):
        raise CarError("bad CAR header: roots must be a list of links")
    return roots


def _split_section(section: memoryview) -> tuple[Cid, bytes]:
    try:
        cid = Cid(bytes(section[: cid_length(section)]))
    except (ValueError, DataModelError) as exc:
        raise CarError(f"bad CID in CAR section: {exc}") from None
    block = bytes(section[len(cid.bytes) :])
    if cid.hash_code != SHA2_256:
        raise CarError(f"block {cid} is not hashed with SHA-256")
    if hashlib.sha256(block).digest() != cid.digest:
        raise CarError(f"block {cid} does not match its CID")
    return cid, block
