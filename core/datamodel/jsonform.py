"""The atproto JSON form of data-model values, both ways.

JSON has no links or byte strings, so atproto writes them as ``{"$link": "<cid>"}``
and ``{"$bytes": "<base64>"}``; blobs are ``{"$type": "blob", "ref": {"$link": ...},
"mimeType": ..., "size": ...}``. :func:`json_to_ipld` also checks the data-model rules
that JSON alone does not: no floats (a float that is a whole number, as Python's
``json`` reads ``123.0``, is the integer it names), signed 64-bit integers, ``$type``
a non-empty string, well-formed ``$link``/``$bytes``/blob objects.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from exprsn_pds.datamodel.cid import Cid
from exprsn_pds.datamodel.errors import DataModelError
from exprsn_pds.datamodel.rules import TOO_DEEP, check_int, not_allowed

#: Key of the JSON form of a link.
LINK_KEY = "$link"
#: Key of the JSON form of a byte string.
BYTES_KEY = "$bytes"
#: Key naming an object's lexicon type.
TYPE_KEY = "$type"
#: ``$type`` of a blob reference.
BLOB_TYPE = "blob"

_BASE64 = re.compile("[A-Za-z0-9+/]*={0,2}")
_BASE64_BLOCK_CHARS = 4


def json_to_ipld(value: Any) -> Any:
    """The data-model value of a JSON value (as ``json.loads`` gives it).

    ``$link`` objects become :class:`Cid`, ``$bytes`` objects ``bytes``; blobs keep their
    shape with ``ref`` as a :class:`Cid`. Raises :class:`DataModelError` for anything the
    data model refuses.
    """
    try:
        return _from_json(value)
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None


def json_to_record(value: Any) -> dict[str, Any]:
    """Like :func:`json_to_ipld`, for a record: the top level must be an object."""
    if not isinstance(value, dict):
        raise DataModelError(f"a record must be a JSON object, not {type(value).__name__}")
    record: dict[str, Any] = json_to_ipld(value)
    return record


def _from_json(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return check_int(value)
    if kind is dict:
        return _from_json_object(value)
    if kind is list:
        return _convert_list(value, _from_json)
    if isinstance(value, float):
        if value.is_integer():
            return check_int(int(value))
        raise not_allowed(value)
    if isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return check_int(value)
    if isinstance(value, dict):
        return _from_json_object(value)
    if isinstance(value, list):
        return _convert_list(value, _from_json)
    raise not_allowed(value)


def _convert_list(items: list[Any], convert: Callable[[Any], Any]) -> list[Any]:
    """``convert`` applied to each item; an error names the index it came from."""
    out = []
    for index, item in enumerate(items):
        try:
            out.append(convert(item))
        except DataModelError as exc:
            exc.inside(index)
            raise
    return out


def _from_json_object(obj: dict[Any, Any]) -> Any:
    if LINK_KEY in obj:
        return Cid.parse(_only_string(obj, LINK_KEY))
    if BYTES_KEY in obj:
        return _bytes_from_base64(_only_string(obj, BYTES_KEY))
    out: dict[str, Any] = {}
    for key, item in obj.items():
        if not isinstance(key, str):
            raise DataModelError(f"object keys must be strings, not {type(key).__name__}")
        try:
            out[key] = _from_json(item)
        except DataModelError as exc:
            exc.inside(key)
            raise
    if TYPE_KEY in out:
        kind = out[TYPE_KEY]
        if not isinstance(kind, str) or not kind:
            raise DataModelError(f"$type must be a non-empty string, not {kind!r}").inside(TYPE_KEY)
        if kind == BLOB_TYPE:
            _check_blob(out)
    return out


def _only_string(obj: dict[Any, Any], key: str) -> str:
    """The value of ``obj``'s single key ``key``, which must be a string."""
    if len(obj) != 1:
        raise DataModelError(f"a {key} object must have no other keys")
    value = obj[key]
    if not isinstance(value, str):
        raise DataModelError(f"{key} must be a string, not {type(value).__name__}")
    return value


def _bytes_from_base64(text: str) -> bytes:
    """Decode standard base64, with or without ``=`` padding."""
    if _BASE64.fullmatch(text) is None:
        raise DataModelError("$bytes must be standard base64")
    unpadded = text.rstrip("=")
    try:
        return base64.b64decode(unpadded + "=" * (-len(unpadded) % _BASE64_BLOCK_CHARS))
    except binascii.Error as exc:
        raise DataModelError(f"$bytes is not valid base64: {exc}") from None


def _check_blob(blob: dict[str, Any]) -> None:
    """Check the fields of a converted ``$type: blob`` object."""
    if not isinstance(blob.get("ref"), Cid):
        raise DataModelError("a blob needs a ref that is a $link").inside("ref")
    mime_type = blob.get("mimeType")
    if not isinstance(mime_type, str) or not mime_type:
        raise DataModelError("a blob needs a non-empty mimeType string").inside("mimeType")
    size = blob.get("size")
    if type(size) is not int or size < 1:
        raise DataModelError("a blob needs a size that is a positive integer").inside("size")


def ipld_to_json(value: Any) -> Any:
    """The atproto JSON form of a data-model value (links as ``$link``, bytes as ``$bytes``)."""
    try:
        return _to_json(value)
    except RecursionError:
        raise DataModelError(TOO_DEEP) from None


def _to_json(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict or isinstance(value, dict):
        out = {}
        for key, item in value.items():
            try:
                out[key] = _to_json(item)
            except DataModelError as exc:
                exc.inside(key)
                raise
        return out
    if kind is list or isinstance(value, list):
        return _convert_list(value, _to_json)
    if isinstance(value, Cid):
        return {LINK_KEY: str(value)}
    if isinstance(value, bytes):
        return {BYTES_KEY: base64.b64encode(value).decode("ascii").rstrip("=")}
    if isinstance(value, str | bool | int):
        return value
    raise not_allowed(value)
