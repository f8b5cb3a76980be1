"""Where lexicon documents come from: JSON files in folders, and the lexrpc package."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import LexiconError

_LEXRPC_PACKAGE = "lexrpc"
_LEXRPC_DATA_FOLDER = "lexicons"


def lexrpc_lexicon_folder() -> Path:
    """The folder of official lexicon JSON files shipped inside the installed ``lexrpc``."""
    spec = importlib.util.find_spec(_LEXRPC_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LexiconError(f"the {_LEXRPC_PACKAGE} package is not installed")
    return Path(spec.submodule_search_locations[0]) / _LEXRPC_DATA_FOLDER


def read_folder(folder: Path) -> Iterator[tuple[Path, Any]]:
    """(path, parsed JSON) of every ``*.json`` under ``folder``, recursively, sorted by path."""
    if not folder.is_dir():
        raise LexiconError(f"lexicon folder {folder} does not exist")
    for path in sorted(folder.rglob("*.json")):
        try:
            yield path, json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise LexiconError(f"{path}: cannot read lexicon JSON: {error}") from error


def in_namespaces(lexicon_id: str, namespaces: tuple[str, ...]) -> bool:
    """Whether ``lexicon_id`` is one of ``namespaces`` or lies under one (``com.atproto``)."""
    return any(
        lexicon_id == namespace or lexicon_id.startswith(namespace + ".")
        for namespace in namespaces
    )
