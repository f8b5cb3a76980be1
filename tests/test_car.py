"""CAR v1 files: written, streamed, and read back with every block checked against its CID."""

from __future__ import annotations

import hashlib

import libipld
import pytest

from exprsn_pds.datamodel import (
    CarError,
    Cid,
    car_header,
    car_section,
    decode,
    encode,
    iter_car,
    read_car,
    write_car,
)
from exprsn_pds.datamodel.varint import encode_varint

IDENTITY_HASH = 0x00
RAW_CODEC = 0x55


def blocks() -> list[tuple[Cid, bytes]]:
    """A commit-like block, a record, and a blob."""
    record = encode(
        {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2024-01-01T00:00:00Z"}
    )
    record_cid = Cid.for_dag_cbor(record)
    commit = encode({"did": "did:plc:abc", "version": 3, "data": record_cid, "prev": None})
    blob = b"\x89PNG not really"
    return [(Cid.for_dag_cbor(commit), commit), (record_cid, record), (Cid.for_raw(blob), blob)]


def sample_car() -> tuple[Cid, bytes]:
    """The root and bytes of a small CAR file."""
    parts = blocks()
    return parts[0][0], write_car([parts[0][0]], parts)


def section(cid_bytes: bytes, block: bytes) -> bytes:
    """One length-prefixed CAR section."""
    return encode_varint(len(cid_bytes) + len(block)) + cid_bytes + block


def header(value: object) -> bytes:
    """A length-prefixed CAR header holding ``value``."""
    data = encode(value)
    return encode_varint(len(data)) + data


def test_car_round_trips() -> None:
    parts = blocks()
    roots, read = read_car(write_car([parts[0][0]], parts))
    assert roots == [parts[0][0]]
    assert read == dict(parts)


def test_streamed_car_is_the_written_car() -> None:
    parts = blocks()
    chunks = list(iter_car([parts[0][0]], iter(parts)))
    assert len(chunks) == 1 + len(parts)
    assert b"".join(chunks) == write_car([parts[0][0]], parts)


def test_car_header_is_version_1_with_the_roots() -> None:
    root, car = sample_car()
    length = car[0]
    assert decode(car[1 : 1 + length]) == {"version": 1, "roots": [root]}


def test_libipld_reads_our_car() -> None:
    parts = [part for part in blocks() if part[0].codec != RAW_CODEC]
    header_value, read = libipld.decode_car(write_car([parts[0][0]], parts))
    assert header_value["version"] == 1
    assert set(read) == {cid.bytes for cid, _ in parts}


def test_car_may_have_no_roots_and_no_blocks() -> None:
    assert read_car(write_car([], [])) == ([], {})


def test_car_keeps_several_roots_in_order() -> None:
    parts = blocks()
    roots = [parts[2][0], parts[0][0]]
    assert read_car(write_car(roots, parts))[0] == roots


def test_repeated_blocks_are_fine() -> None:
    parts = blocks()
    assert read_car(write_car([], parts + parts))[1] == dict(parts)


def test_a_changed_byte_in_a_block_is_caught() -> None:
    _, car = sample_car()
    corrupted = bytearray(car)
    corrupted[-1] ^= 0x01
    with pytest.raises(CarError, match="does not match its CID"):
        read_car(bytes(corrupted))


def test_every_truncation_is_caught() -> None:
    parts = blocks()
    car = write_car([parts[0][0]], parts)
    boundaries = set()
    position = 0
    for chunk in iter_car([parts[0][0]], parts):
        position += len(chunk)
        boundaries.add(position)
    for cut in range(len(car)):
        if cut in boundaries:
            read_car(car[:cut])  # a shorter but whole CAR file
        else:
            with pytest.raises(CarError):
                read_car(car[:cut])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "header length", id="empty"),
        pytest.param(b"\x80", "header length", id="unfinished varint"),
        pytest.param(b"\xff" * 20, "header length", id="overlong varint"),
        pytest.param(b"\x00", "header at byte 0 is empty", id="empty header"),
        pytest.param(b"\x05\xff\xff\xff\xff\xff", "bad CAR header", id="garbage header"),
        pytest.param(header([1]), "not a map", id="header not a map"),
        pytest.param(header({"version": 2, "roots": []}), "unsupported CAR version 2", id="v2"),
        pytest.param(header({"version": True, "roots": []}), "version True", id="bool version"),
        pytest.param(header({"roots": []}), "version None", id="no version"),
        pytest.param(header({"version": 1}), "roots must be", id="no roots"),
        pytest.param(header({"version": 1, "roots": ["bafy"]}), "roots must be", id="string root"),
    ],
)
def test_bad_header_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(CarError, match=message):
        read_car(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"\x00", "section at byte .* is empty", id="empty section"),
        pytest.param(section(b"\x12\x20" + bytes(32), b""), "bad CID", id="cidv0"),
        pytest.param(section(b"\x01\x71\x12\x20" + bytes(8), b""), "bad CID", id="short cid"),
        pytest.param(
            section(bytes((1, RAW_CODEC, IDENTITY_HASH, 2)) + b"ab", b"ab"),
            "not hashed with SHA-256",
            id="identity hash",
        ),
        pytest.param(
            section(Cid.for_raw(b"one").bytes, b"two"), "does not match its CID", id="wrong block"
        ),
    ],
)
def test_bad_section_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(CarError, match=message):
        read_car(header({"version": 1, "roots": []}) + data)


def test_car_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        read_car(b"garbage")


def test_blocks_are_plain_bytes_matching_their_cid() -> None:
    _, read = read_car(sample_car()[1])
    for cid, block in read.items():
        assert type(block) is bytes
        assert cid.digest == hashlib.sha256(block).digest()


def test_car_pieces_make_the_streamed_car() -> None:
    parts = blocks()
    pieces = car_header([parts[0][0]]) + b"".join(car_section(cid, data) for cid, data in parts)
    assert pieces == write_car([parts[0][0]], parts)
