"""Every entry of the interop data-model vectors behaves as ``../shared/interop/SOURCE.md`` says.

- fixtures: the atproto JSON encodes to exactly ``cbor_base64``, whose CID is ``cid``,
  and decoding the CBOR gives back the JSON;
- valid: accepted as a record (``123.0``, read by Python's ``json`` as a float, is the
  integer 123);
- invalid: rejected, for the reason in ``note``.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from exprsn_pds.datamodel import (
    Cid,
    DataModelError,
    decode,
    encode,
    ipld_to_json,
    json_to_ipld,
    json_to_record,
)

DATA_MODEL_FOLDER = Path(os.environ["PDS_SHARED_DIR"]) / "interop" / "data-model"
BASE64_BLOCK_CHARS = 4


def load(name: str) -> list[dict[str, Any]]:
    """The entries of one vector file."""
    entries: list[dict[str, Any]] = json.loads(
        (DATA_MODEL_FOLDER / name).read_text(encoding="utf-8")
    )
    assert entries, f"{name} has no entries"
    return entries


def noted_cases(name: str) -> list[Any]:
    """One case per entry, named by its ``note``."""
    return [pytest.param(entry["json"], id=entry["note"]) for entry in load(name)]


def fixture_cases() -> list[Any]:
    """One case per fixture, named by its position and top-level keys."""
    return [
        pytest.param(entry, id=f"fixture{number}:{','.join(entry['json'])}")
        for number, entry in enumerate(load("data-model-fixtures.json"))
    ]


def cbor_of(entry: dict[str, Any]) -> bytes:
    """The fixture's CBOR bytes (base64 without padding)."""
    text: str = entry["cbor_base64"]
    return base64.b64decode(text + "=" * (-len(text) % BASE64_BLOCK_CHARS))


@pytest.mark.parametrize("entry", fixture_cases())
def test_fixture_json_encodes_to_the_exact_cbor(entry: dict[str, Any]) -> None:
    assert encode(json_to_ipld(entry["json"])) == cbor_of(entry)


@pytest.mark.parametrize("entry", fixture_cases())
def test_fixture_cbor_has_the_given_cid(entry: dict[str, Any]) -> None:
    assert str(Cid.for_dag_cbor(cbor_of(entry))) == entry["cid"]


@pytest.mark.parametrize("entry", fixture_cases())
def test_fixture_cbor_decodes_back_to_the_json(entry: dict[str, Any]) -> None:
    assert ipld_to_json(decode(cbor_of(entry))) == entry["json"]


@pytest.mark.parametrize("value", noted_cases("data-model-valid.json"))
def test_valid_data_is_accepted_and_encodes(value: Any) -> None:
    record = json_to_record(value)
    assert decode(encode(record)) == record


@pytest.mark.parametrize("value", noted_cases("data-model-invalid.json"))
def test_invalid_data_is_rejected(value: Any) -> None:
    with pytest.raises(DataModelError):
        json_to_record(value)


def test_integer_like_float_becomes_the_integer() -> None:
    (entry,) = [e for e in load("data-model-valid.json") if e["note"] == "float, but integer-like"]
    record = json_to_record(entry["json"])
    assert type(record["rcrd"]["a"]) is int
    assert record["rcrd"]["a"] == 123
