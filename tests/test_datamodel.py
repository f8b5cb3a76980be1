"""Behaviour of the data model: CIDs, DAG-CBOR (links vs byte strings), the JSON form."""

from __future__ import annotations

import base64
import copy
import hashlib
import pickle
import sys
from typing import Any, cast

import libipld
import pytest

from exprsn_pds.datamodel import (
    DAG_CBOR_CODEC,
    RAW_CODEC,
    SHA2_256,
    Cid,
    DataModelError,
    decode,
    encode,
    ipld_to_json,
    json_to_ipld,
    json_to_record,
    pycbor,
)
from exprsn_pds.syntax import Did

RECORD_CID = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"
BLOB_CID = "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity"
DIGEST = hashlib.sha256(b"anything").digest()
# Binary forms that parse as CIDs, to be stored as plain byte strings.
CID_LIKE_BYTES = b"\x01\x71\x12\x20" + DIGEST
CID_V0_LIKE_BYTES = b"\x12\x20" + DIGEST
PREFIXED_CID_BYTES = b"\x00" + CID_LIKE_BYTES
# A link and a byte string holding the same 36 bytes, as DAG-CBOR heads write them.
LINK_HEAD = b"\xd8\x2a\x58\x25\x00"
BYTES_HEAD_36 = b"\x58\x24"
IDENTITY_HASH = 0x00
DAG_PB_CODEC = 0x70
MAX_DIGEST_BYTES = 64

POST = {
    "$type": "app.bsky.feed.post",
    "text": "Hello world! A typical post, about a hundred characters long, with a tag. #atproto",
    "createdAt": "2024-05-01T12:34:56.789Z",
    "langs": ["en"],
    "facets": [
        {
            "index": {"byteStart": 74, "byteEnd": 82},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "atproto"}],
        }
    ],
    "reply": {
        "root": {"uri": "at://did:plc:abc/app.bsky.feed.post/3k2a", "cid": RECORD_CID},
        "parent": {"uri": "at://did:plc:abc/app.bsky.feed.post/3k2a", "cid": RECORD_CID},
    },
}


def mst_node() -> dict[str, Any]:
    """An MST node: links, nulls, integers and key bytes."""
    return {
        "l": Cid.for_dag_cbor(b"left"),
        "e": [
            {
                "p": index,
                "k": b"app.bsky.feed.post/3k2a%d" % index,
                "v": Cid.for_dag_cbor(b"record %d" % index),
                "t": None if index % 2 else Cid.for_dag_cbor(b"tree %d" % index),
            }
            for index in range(4)
        ],
    }


def cid_with(codec: int, hash_code: int, digest: bytes) -> Cid:
    """A CIDv1 of any codec and hash (all these numbers fit one varint byte here)."""
    return Cid.from_bytes(bytes((1, codec, hash_code, len(digest))) + digest)


# --- Cid ---------------------------------------------------------------------------


def test_cid_string_round_trips() -> None:
    assert str(Cid.parse(RECORD_CID)) == RECORD_CID
    assert repr(Cid.parse(RECORD_CID)) == f"Cid('{RECORD_CID}')"


def test_cid_parts() -> None:
    record, blob = Cid.parse(RECORD_CID), Cid.parse(BLOB_CID)
    assert (record.codec, blob.codec) == (DAG_CBOR_CODEC, RAW_CODEC)
    assert record.hash_code == SHA2_256
    assert record.bytes == bytes((1, DAG_CBOR_CODEC, SHA2_256, 32)) + record.digest
    assert len(record.digest) == len(DIGEST)


def test_cid_for_dag_cbor_hashes_the_block() -> None:
    block = encode({"a": 1})
    cid = Cid.for_dag_cbor(block)
    assert cid.codec == DAG_CBOR_CODEC
    assert cid.digest == hashlib.sha256(block).digest()


def test_cid_for_raw_hashes_the_data() -> None:
    cid = Cid.for_raw(b"blob bytes")
    assert cid.codec == RAW_CODEC
    assert cid.digest == hashlib.sha256(b"blob bytes").digest()
    assert str(cid).startswith("bafkrei")


def test_cid_from_bytes_round_trips() -> None:
    cid = Cid.parse(RECORD_CID)
    assert Cid.from_bytes(cid.bytes) == cid
    assert Cid.from_bytes(memoryview(cid.bytes)) == cid
    assert Cid(cid.bytes) == cid


def test_cid_accepts_other_well_formed_cidv1() -> None:
    cid = cid_with(DAG_PB_CODEC, IDENTITY_HASH, b"abc")
    assert (cid.codec, cid.hash_code, cid.digest) == (DAG_PB_CODEC, IDENTITY_HASH, b"abc")
    assert Cid.parse(str(cid)) == cid


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param(".", id="punctuation"),
        pytest.param("QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR", id="cidv0"),
        pytest.param(RECORD_CID.upper(), id="uppercase base32"),
        pytest.param("z" + RECORD_CID[1:], id="other multibase"),
        pytest.param(RECORD_CID[:-1] + "b", id="non-canonical trailing bits"),
        pytest.param(RECORD_CID[:-8], id="truncated digest"),
        pytest.param(RECORD_CID[:-1], id="impossible base32 length"),
        pytest.param(RECORD_CID + "a" * 300, id="too long"),
    ],
)
def test_cid_parse_rejects(text: str) -> None:
    with pytest.raises(DataModelError, match="invalid CID"):
        Cid.parse(text)


def test_cid_parse_rejects_a_non_string() -> None:
    with pytest.raises(DataModelError, match="must be a str"):
        Cid.parse(cast(Any, b"bafy"))


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(CID_V0_LIKE_BYTES, id="cidv0"),
        pytest.param(CID_LIKE_BYTES + b"x", id="trailing byte"),
        pytest.param(CID_LIKE_BYTES[:-1], id="short digest"),
        pytest.param(b"\x02" + CID_LIKE_BYTES[1:], id="version 2"),
        pytest.param(b"\x01\x71\x12\x41" + bytes(65), id="digest over 64 bytes"),
        pytest.param(b"\x01\xf1\x00\x12\x20" + DIGEST, id="non-minimal varint"),
    ],
)
def test_cid_from_bytes_rejects(raw: bytes) -> None:
    with pytest.raises(DataModelError, match="invalid binary CID"):
        Cid.from_bytes(raw)


def test_cid_is_a_hashable_value_ordered_by_bytes() -> None:
    low, high = Cid.for_dag_cbor(b"1"), Cid.for_dag_cbor(b"2")
    if high.bytes < low.bytes:
        low, high = high, low
    assert Cid.parse(str(low)) == low
    assert {low: "x"}[Cid.from_bytes(low.bytes)] == "x"
    assert low < high <= high and high > low >= low
    assert sorted([high, low]) == [low, high]


def test_cid_never_equals_its_bytes() -> None:
    cid = Cid.parse(RECORD_CID)
    assert cid != cid.bytes
    assert cid.bytes not in {cid}
    with pytest.raises(TypeError):
        assert cid < cast(Any, cid.bytes)


def test_cid_has_no_attributes_to_set() -> None:
    with pytest.raises(AttributeError):
        Cid.parse(RECORD_CID).version = 0  # type: ignore[attr-defined]


def test_cid_survives_pickle_and_deepcopy() -> None:
    cid = Cid.parse(RECORD_CID)
    assert pickle.loads(pickle.dumps(cid)) == cid
    assert copy.deepcopy({"a": [cid]}) == {"a": [cid]}


# --- DAG-CBOR: links and byte strings ------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(CID_LIKE_BYTES, id="cidv1 dag-cbor bytes"),
        pytest.param(b"\x01\x55\x12\x20" + DIGEST, id="cidv1 raw bytes"),
        pytest.param(b"\x01\x55\x00\x00", id="empty identity cid bytes"),
        pytest.param(CID_LIKE_BYTES + b"tail", id="cid bytes with a tail"),
        pytest.param(CID_V0_LIKE_BYTES, id="cidv0 bytes"),
        pytest.param(PREFIXED_CID_BYTES, id="0x00 then cid bytes"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x01\x02", id="short"),
    ],
)
def test_bytes_stay_a_byte_string_both_ways(data: bytes) -> None:
    block = encode({"b": data})
    assert pycbor.decode(block) == {"b": data}  # a byte string, read independently
    assert b"\xd8\x2a" not in block
    decoded = decode(block)["b"]
    assert type(decoded) is bytes
    assert decoded == data


def test_cid_like_bytes_are_written_as_a_byte_string() -> None:
    assert encode(CID_LIKE_BYTES) == BYTES_HEAD_36 + CID_LIKE_BYTES


def test_cid_is_written_as_a_tag_42_link() -> None:
    cid = Cid.from_bytes(CID_LIKE_BYTES)
    assert encode(cid) == LINK_HEAD + CID_LIKE_BYTES
    assert decode(LINK_HEAD + CID_LIKE_BYTES) == cid


def test_same_cid_as_link_and_as_bytes_in_one_block() -> None:
    cid = Cid.from_bytes(CID_LIKE_BYTES)
    value = {"link": cid, "bytes": CID_LIKE_BYTES, "list": [CID_LIKE_BYTES, cid]}
    decoded = decode(encode(value))
    assert decoded == value
    assert type(decoded["bytes"]) is bytes and type(decoded["list"][0]) is bytes
    assert type(decoded["link"]) is Cid and type(decoded["list"][1]) is Cid


def test_every_kind_of_value_round_trips() -> None:
    value = {
        "null": None,
        "bools": [True, False],
        "ints": [0, 23, 24, 255, 256, 65535, 65536, 2**32, 2**63 - 1, -1, -(2**63)],
        "cbor extremes": [2**64 - 1, -(2**64)],
        "text": "a~öñ©⽘☎𓋓😀👨‍👩‍👧‍👧",
        "bytes": b"\x00\xff",
        "link": Cid.parse(RECORD_CID),
        "blob": {"$type": "blob", "ref": Cid.parse(BLOB_CID), "mimeType": "image/png", "size": 1},
        "nested": [[[]], {}, [{"": ""}]],
    }
    assert decode(encode(value)) == value


def test_mst_node_round_trips_with_its_links() -> None:
    node = mst_node()
    decoded = decode(encode(node))
    assert decoded == node
    assert all(type(entry["v"]) is Cid for entry in decoded["e"])


def test_encode_leaves_the_value_unchanged() -> None:
    node = mst_node()
    before = copy.deepcopy(node)
    encode(node)
    assert node == before
    assert type(node["l"]) is Cid


def test_map_keys_are_sorted_length_first() -> None:
    assert decode(encode({"bb": 1, "a": 2, "c": 3})) == {"a": 2, "c": 3, "bb": 1}
    assert list(decode(encode({"bb": 1, "a": 2, "c": 3}))) == ["a", "c", "bb"]


def test_string_subclasses_encode_as_strings() -> None:
    assert encode({"did": Did("did:plc:abc")}) == encode({"did": "did:plc:abc"})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param({"a": 1.5}, r"floats are not allowed.*\(at a\)", id="float"),
        pytest.param({"a": {"b": [0, 2.0]}}, r"floats.*\(at a\.b\[1\]\)", id="nested float"),
        pytest.param({"a": float("nan")}, "floats are not allowed", id="nan"),
        pytest.param({"l": Cid.parse(RECORD_CID), "f": 1.0}, r"floats.*\(at f\)", id="beside link"),
        pytest.param({"a": [2**64]}, r"beyond 64 bits.*\(at a\[0\]\)", id="int too big"),
        pytest.param({"a": -(2**64) - 1}, "beyond 64 bits", id="int too small"),
        pytest.param({"a": {1: 2}}, r"map keys must be strings.*\(at a\)", id="int key"),
        pytest.param({"a": (1, 2)}, "tuple is not a data-model type", id="tuple"),
        pytest.param({"a": {1}}, "set is not a data-model type", id="set"),
        pytest.param({"a": bytearray(b"x")}, "bytearray is not", id="bytearray"),
        pytest.param([CID_LIKE_BYTES, 1.5], r"floats.*\(at \[1\]\)", id="float beside cid bytes"),
        pytest.param({"a": "\ud800"}, "Unicode|encode", id="lone surrogate"),
    ],
)
def test_encode_refuses(value: Any, message: str) -> None:
    with pytest.raises(DataModelError, match=message):
        encode(value)


def test_deep_nesting_is_a_data_model_error() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(DataModelError, match="nested too deeply"):
        encode(deep)
    with pytest.raises(DataModelError, match="nested too deeply"):
        decode(b"\x81" * 100_000 + b"\x80")
    with pytest.raises(DataModelError, match="nested too deeply"):
        pycbor.encode(deep)
    with pytest.raises(DataModelError, match="nested too deeply"):
        pycbor.decode(b"\x81" * 100_000 + b"\x80")


def test_deep_block_that_needs_the_check_pass_is_a_data_model_error() -> None:
    # libipld reads nesting almost to the recursion limit; the check pass must not crash.
    depth = sys.getrecursionlimit() - 50
    block = b"\x81" * depth + LINK_HEAD + CID_LIKE_BYTES
    try:
        value = decode(block)
    except DataModelError as error:
        assert "nested too deeply" in str(error)
    else:
        for _ in range(depth):
            value = value[0]
        assert value == Cid.from_bytes(CID_LIKE_BYTES)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        pytest.param(b"", "not valid DAG-CBOR", id="empty"),
        pytest.param(b"\xff", "not valid DAG-CBOR", id="garbage"),
        pytest.param(b"\x01\x01", "not valid DAG-CBOR", id="two items"),
        pytest.param(b"\xa2\x61b\x01\x61a\x02", "not valid DAG-CBOR", id="unsorted keys"),
        pytest.param(b"\xa1\x01\x02", "not valid DAG-CBOR", id="int key"),
        pytest.param(b"\xc1\x01", "not valid DAG-CBOR", id="tag 1"),
        pytest.param(b"\xfb\x3f\xf8" + bytes(6), "floats are not allowed", id="float64"),
        pytest.param(b"\xa1\x61a\xfa\x3f\x80\x00\x00", r"floats.*\(at a\)", id="float32"),
        pytest.param(LINK_HEAD[:3] + b"\x23\x00" + CID_V0_LIKE_BYTES, "CIDv1", id="cidv0 link"),
        pytest.param(b"\xd8\x2a\x58\x26\x00" + CID_LIKE_BYTES + b"x", "after it", id="link tail"),
    ],
)
def test_decode_refuses(block: bytes, message: str) -> None:
    with pytest.raises(DataModelError, match=message):
        decode(block)


def test_decode_reads_a_laxly_encoded_block_exactly() -> None:
    # A link whose length head is wider than needed, beside the same bytes as a byte string.
    block = b"\xa2\x61a\xd8\x2a\x59\x00\x25\x00" + CID_LIKE_BYTES + b"\x61b" + BYTES_HEAD_36
    block += CID_LIKE_BYTES
    assert decode(block) == {"a": Cid.from_bytes(CID_LIKE_BYTES), "b": CID_LIKE_BYTES}


# --- what the workarounds assume about libipld ----------------------------------------


def test_libipld_writes_cid_like_bytes_as_a_link() -> None:
    # The reason for the workaround: if this fails, libipld changed and cbor.py can shrink.
    assert libipld.encode_dag_cbor(CID_LIKE_BYTES)[:2] == b"\xd8\x2a"
    assert type(libipld.decode_dag_cbor(LINK_HEAD + CID_LIKE_BYTES)) is bytes


def test_libipld_takes_only_bytes_starting_0x01_or_0x12_for_links() -> None:
    for first in range(256):
        for rest in (CID_LIKE_BYTES[1:], CID_V0_LIKE_BYTES[1:]):
            written_as_link = libipld.encode_dag_cbor(bytes((first,)) + rest)[0] == LINK_HEAD[0]
            assert not written_as_link or first in (0x01, 0x12), first


@pytest.mark.parametrize(
    "cid",
    [
        pytest.param(Cid.parse(RECORD_CID), id="dag-cbor"),
        pytest.param(Cid.parse(BLOB_CID), id="raw"),
        pytest.param(cid_with(DAG_PB_CODEC, IDENTITY_HASH, b""), id="empty identity"),
        pytest.param(cid_with(DAG_CBOR_CODEC, 0x13, bytes(MAX_DIGEST_BYTES)), id="64-byte digest"),
        pytest.param(Cid.from_bytes(b"\x01\x80\x01\x12\x20" + DIGEST), id="two-byte codec"),
    ],
)
def test_libipld_writes_every_cid_as_a_link(cid: Cid) -> None:
    block = encode([cid])
    assert block[1:3] == b"\xd8\x2a"
    assert decode(block) == [cid]


# --- the pure-Python codec agrees with libipld ------------------------------------------

AGREEMENT_VALUES = [
    pytest.param(POST, id="post"),
    pytest.param(mst_node(), id="mst node"),
    pytest.param([23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1], id="int widths"),
    pytest.param([-24, -25, -256, -257, -(2**32) - 1, -(2**64)], id="negative widths"),
    pytest.param(["x" * 23, "x" * 24, "x" * 255, "x" * 256, "é" * 40_000], id="text widths"),
    pytest.param({"aaa": 1, "b": 2, "ab": 3, "é": 4, "z": 5}, id="key order"),
    pytest.param({"t": True, "f": False, "n": None, "e": [], "m": {}}, id="simple values"),
]


@pytest.mark.parametrize("value", AGREEMENT_VALUES)
def test_pure_python_encoder_matches_libipld(value: Any) -> None:
    assert pycbor.encode(value) == encode(value)


@pytest.mark.parametrize("value", AGREEMENT_VALUES)
def test_pure_python_decoder_matches_libipld(value: Any) -> None:
    assert pycbor.decode(encode(value)) == decode(encode(value)) == value


def test_pure_python_decoder_refuses_a_truncated_block() -> None:
    with pytest.raises(DataModelError, match="ends in the middle"):
        pycbor.decode(encode({"a": "text"})[:-1])


# --- the JSON form -------------------------------------------------------------------


def test_json_links_bytes_and_blobs_convert_both_ways() -> None:
    data = {
        "link": {"$link": RECORD_CID},
        "bytes": {"$bytes": "AAEC"},
        "blob": {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/png", "size": 9},
    }
    value = json_to_ipld(data)
    assert value == {
        "link": Cid.parse(RECORD_CID),
        "bytes": b"\x00\x01\x02",
        "blob": {"$type": "blob", "ref": Cid.parse(BLOB_CID), "mimeType": "image/png", "size": 9},
    }
    assert ipld_to_json(value) == data


def test_json_bytes_accept_padding_and_are_written_without() -> None:
    assert json_to_ipld({"$bytes": "AA=="}) == b"\x00"
    assert json_to_ipld({"$bytes": "AA"}) == b"\x00"
    assert ipld_to_json(b"\x00") == {"$bytes": "AA"}
    assert ipld_to_json(b"") == {"$bytes": ""}


def test_json_conversion_leaves_the_input_unchanged() -> None:
    data = {"a": [{"$link": RECORD_CID}], "n": 1.0}
    json_to_ipld(data)
    assert data == {"a": [{"$link": RECORD_CID}], "n": 1.0}


def test_json_integer_like_floats_become_integers() -> None:
    assert json_to_ipld([1.0, -0.0, 2.0**53]) == [1, 0, 2**53]
    assert all(type(item) is int for item in json_to_ipld([1.0, -0.0]))


def test_legacy_blob_passes_through_as_an_object() -> None:
    legacy = {"cid": BLOB_CID, "mimeType": "image/png"}
    assert json_to_ipld({"image": legacy}) == {"image": legacy}


def test_blob_may_carry_more_fields() -> None:
    blob = {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "a/b", "size": 1, "x": 2}
    assert json_to_ipld(blob)["x"] == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"a": 1.5}, r"floats are not allowed.*\(at a\)", id="float"),
        pytest.param({"a": float("inf")}, "floats are not allowed", id="infinity"),
        pytest.param({"a": 2**63}, "signed 64-bit", id="int too big"),
        pytest.param({"a": -(2**63) - 1}, "signed 64-bit", id="int too small"),
        pytest.param({"a": 1e300}, "signed 64-bit", id="huge whole float"),
        pytest.param({"a": [{"$type": ""}]}, r"\$type must be.*\(at a\[0\]\.\$type\)", id="$type"),
        pytest.param({"$bytes": "AA-_"}, "standard base64", id="url-safe base64"),
        pytest.param({"$bytes": "A"}, "not valid base64", id="base64 length"),
        pytest.param({"$bytes": "AA=A"}, "standard base64", id="inner padding"),
        pytest.param({"$link": RECORD_CID, "$type": "x"}, "no other keys", id="link and type"),
        pytest.param(
            {"b": {"$type": "blob", "ref": RECORD_CID, "mimeType": "a/b", "size": 1}},
            r"ref that is a \$link.*\(at b\.ref\)",
            id="blob ref as string",
        ),
        pytest.param(
            {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "", "size": 1},
            "mimeType",
            id="blob empty mimeType",
        ),
        pytest.param(
            {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "a/b", "size": 0},
            "positive integer",
            id="blob size 0",
        ),
        pytest.param(
            {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "a/b", "size": True},
            "positive integer",
            id="blob size bool",
        ),
        pytest.param({1: "a"}, "keys must be strings", id="int key"),
        pytest.param({"a": (1,)}, "tuple is not", id="tuple"),
    ],
)
def test_json_to_ipld_refuses(data: Any, message: str) -> None:
    with pytest.raises(DataModelError, match=message):
        json_to_ipld(data)


@pytest.mark.parametrize("data", [[], "text", 1, None], ids=["list", "str", "int", "null"])
def test_a_record_must_be_an_object(data: Any) -> None:
    with pytest.raises(DataModelError, match="must be a JSON object"):
        json_to_record(data)


def test_ipld_to_json_refuses_floats() -> None:
    with pytest.raises(DataModelError, match=r"floats.*\(at a\[0\]\)"):
        ipld_to_json({"a": [0.5]})


def test_json_round_trip_through_cbor() -> None:
    encoded = base64.b64encode(CID_LIKE_BYTES).decode("ascii").rstrip("=")
    data = {"$type": "x.y.z", "b": {"$bytes": encoded}, "l": {"$link": RECORD_CID}}
    assert ipld_to_json(decode(encode(json_to_ipld(data)))) == data
