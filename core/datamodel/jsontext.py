"""JSON text from outside the server (request bodies, documents of other hosts) to values.

:func:`parse_json` takes RFC 8259 JSON and nothing looser, and refuses what would fail
further in rather than here:

- text that is not UTF-8 (JSON between systems is UTF-8);
- nesting deeper than ``max_levels``, counted on the text before parsing, so the parser
  itself never recurses further than that;
- a ``\\uD800``-style escape without its partner: it would become a lone surrogate,
  which no UTF-8 encoder (database driver, DAG-CBOR, the e-mail library) can write;
- ``NaN`` and ``Infinity``, which are not JSON.

A number written with a fraction or exponent that is whole (``2.0``, ``1e3``) is the
integer it names, as in the data model (JSON does not tell 2 from 2.0), so no handler
meets a float where its lexicon promised an integer.

Every refusal is a :class:`DataModelError` saying what is wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from exprsn_pds.datamodel.depth import too_deep
from exprsn_pds.datamodel.errors import DataModelError

# A string literal (quotes included) or one bracket: brackets inside strings do not nest.
_STRINGS_AND_BRACKETS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")
# An escape of a UTF-16 surrogate; only such an escape can put a surrogate in a value.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(data: bytes | str, *, max_levels: int) -> Any:
    """The value of a JSON text that nests at most ``max_levels`` levels, in valid Unicode."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DataModelError(f"JSON text is not UTF-8 (byte {error.start})") from None
    else:
        text = data
    if text.count("[") + text.count("{") > max_levels:
        _check_nesting(text, max_levels)
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_number)
    except ValueError as error:
        raise DataModelError(f"not valid JSON: {error}") from None
    if _SURROGATE_ESCAPE.search(text) is not None:
        _check_unicode(value)
    return value


def _check_nesting(text: str, max_levels: int) -> None:
    level = 0
    for match in _STRINGS_AND_BRACKETS.finditer(text):
        token = match.group()
        if token in _OPENERS:
            level += 1
            if level > max_levels:
                raise too_deep(max_levels)
        elif token in _CLOSERS:
            level -= 1


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _refuse_constant(name: str) -> Any:
    raise DataModelError(f"not valid JSON: {name} is not a JSON number")


def _check_unicode(value: Any) -> None:
    """Refuse a lone surrogate in any string (keys included) of a parsed value."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            strings: list[str] = [item]
        elif isinstance(item, dict):
            strings = list(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            strings = []
            pending.extend(item)
        else:
            continue
        if any(_SURROGATE.search(string) for string in strings):
            raise DataModelError("a string holds a lone UTF-16 surrogate, which is not Unicode")
