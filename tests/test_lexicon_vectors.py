"""The interop lexicon vectors: schema documents that must load or be rejected, and
record data that must validate or fail against the example catalog."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from exprsn_pds.lexicon import (
    LexiconError,
    LexiconRegistry,
    LexiconValidationError,
    lexrpc_lexicon_folder,
)

LEXICON_FOLDER = Path(os.environ["PDS_SHARED_DIR"]) / "interop" / "lexicon"


def items(name: str) -> list[Any]:
    """One parametrised case per item of a vector file, named by the item's name."""
    vectors: list[dict[str, Any]] = json.loads((LEXICON_FOLDER / name).read_text("utf-8"))
    return [pytest.param(item, id=item["name"]) for item in vectors]


@pytest.fixture(scope="module")
def catalog() -> LexiconRegistry:
    """The example catalog, plus the official lexicons it refers to (app.bsky.actor.defs)."""
    registry = LexiconRegistry()
    registry.add_folder(LEXICON_FOLDER / "catalog")
    registry.add_folder(lexrpc_lexicon_folder(), namespaces=["com.atproto", "app.bsky"])
    registry.freeze()
    return registry


@pytest.mark.parametrize("item", items("lexicon-valid.json"))
def test_valid_lexicon_loads(item: dict[str, Any]) -> None:
    registry = LexiconRegistry()
    registry.add_document(item["lexicon"])
    registry.freeze()
    assert registry.ids() == [item["lexicon"]["id"]]


@pytest.mark.parametrize("item", items("lexicon-invalid.json"))
def test_invalid_lexicon_is_rejected(item: dict[str, Any]) -> None:
    registry = LexiconRegistry()
    with pytest.raises(LexiconError):
        registry.add_document(item["lexicon"])
        registry.freeze()


@pytest.mark.parametrize("item", items("record-data-valid.json"))
def test_valid_record_data_validates(catalog: LexiconRegistry, item: dict[str, Any]) -> None:
    catalog.validate_record(item["data"]["$type"], item["data"])


@pytest.mark.parametrize("item", items("record-data-invalid.json"))
def test_invalid_record_data_fails(catalog: LexiconRegistry, item: dict[str, Any]) -> None:
    with pytest.raises(LexiconValidationError):
        catalog.validate_record(item["data"]["$type"], item["data"])


def test_catalog_loads_every_example_lexicon(catalog: LexiconRegistry) -> None:
    assert [nsid for nsid in catalog.ids() if nsid.startswith("example.")] == [
        "example.lexicon.permissionset",
        "example.lexicon.procedure",
        "example.lexicon.query",
        "example.lexicon.record",
        "example.lexicon.subscription",
    ]
