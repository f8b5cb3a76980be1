"""Validator closures for lexicon field types.

A check is built once per schema, with every constraint captured in the closure, and
called per value with no schema lookups. A failing check raises :class:`Invalid`; each
container it passes through on the way out adds its segment to the path.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeGuard

import grapheme

from ..syntax import CidString
from .formats import STRING_FORMATS
from .refs import is_valid_ref
from .schema_fields import Schema

Check = Callable[[Any], None]

_BASE64_QUANTUM = 4
# UTF-8 needs at most this many bytes per code point.
_MAX_UTF8_BYTES_PER_CHAR = 4
_BLOB_TYPE = "blob"


class Invalid(Exception):
    """A value failed a check: ``reason``, and the path to it, innermost segment first."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segments: list[str] = []


class Slot:
    """The check of one def, filled in after every def has a slot, so refs may be cyclic."""

    __slots__ = ("check",)

    def __init__(self) -> None:
        self.check: Check = _unfilled

    def __call__(self, value: Any) -> None:
        self.check(value)


def _unfilled(value: Any) -> None:
    raise RuntimeError("lexicon def used before it was compiled")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _is_integer(value: Any) -> TypeGuard[int | float]:
    # JSON does not tell 2 from 2.0, so an integral float counts as an integer.
    if isinstance(value, int):
        return not isinstance(value, bool)
    return isinstance(value, float) and value.is_integer()


def boolean_check(schema: Schema) -> Check:
    """Check for ``boolean``: ``const`` if given."""
    const = schema.get("const")

    def check(value: Any) -> None:
        if not isinstance(value, bool):
            raise Invalid("must be a boolean")
        if const is not None and value is not const:
            raise Invalid(f"must be {_show(const)}")

    return check


def integer_check(schema: Schema) -> Check:
    """Check for ``integer``: ``minimum``, ``maximum``, ``enum``, ``const``."""
    minimum, maximum, const = schema.get("minimum"), schema.get("maximum"), schema.get("const")
    enum = frozenset(schema["enum"]) if "enum" in schema else None

    def check(value: Any) -> None:
        if not _is_integer(value):
            raise Invalid("must be an integer")
        if const is not None and value != const:
            raise Invalid(f"must be {const}")
        if enum is not None and value not in enum:
            raise Invalid(f"must be one of {sorted(enum)}")
        if minimum is not None and value < minimum:
            raise Invalid(f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise Invalid(f"must be at most {maximum}")

    return check


def _utf8_length(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def _length_check(min_bytes: int | None, max_bytes: int | None) -> Callable[[str], None]:
    def check(value: str) -> None:
        chars = len(value)
        # A code point is 1 to 4 UTF-8 bytes, so the char count often settles it.
        if (
            max_bytes is not None
            and chars * _MAX_UTF8_BYTES_PER_CHAR > max_bytes
            and (chars > max_bytes or _utf8_length(value) > max_bytes)
        ):
            raise Invalid(f"must not be longer than {max_bytes} bytes (UTF-8)")
        if min_bytes is not None and chars < min_bytes and _utf8_length(value) < min_bytes:
            raise Invalid(f"must not be shorter than {min_bytes} bytes (UTF-8)")

    return check


def _grapheme_check(min_count: int | None, max_count: int | None) -> Callable[[str], None]:
    def check(value: str) -> None:
        chars = len(value)
        # A grapheme is one or more code points, so the char count often settles it.
        if (
            max_count is not None
            and chars > max_count
            and int(grapheme.length(value, until=max_count + 1)) > max_count
        ):
            raise Invalid(f"must not be longer than {max_count} graphemes")
        if min_count is not None and (
            chars < min_count or int(grapheme.length(value, until=min_count)) < min_count
        ):
            raise Invalid(f"must not be shorter than {min_count} graphemes")

    return check


def string_check(schema: Schema) -> Check:
    """Check for ``string``: format, byte and grapheme lengths, ``enum``, ``const``.

    ``knownValues`` is advisory and not checked.
    """
    string_format = schema.get("format")
    is_format = STRING_FORMATS[string_format] if string_format is not None else None
    const = schema.get("const")
    enum = frozenset(schema["enum"]) if "enum" in schema else None
    lengths = _length_check(schema.get("minLength"), schema.get("maxLength"))
    has_lengths = "minLength" in schema or "maxLength" in schema
    graphemes = _grapheme_check(schema.get("minGraphemes"), schema.get("maxGraphemes"))
    has_graphemes = "minGraphemes" in schema or "maxGraphemes" in schema

    def check(value: Any) -> None:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        if const is not None and value != const:
            raise Invalid(f"must be {_show(const)}")
        if enum is not None and value not in enum:
            raise Invalid(f"must be one of {_show(sorted(enum))}")
        if has_lengths:
            lengths(value)
        if has_graphemes:
            graphemes(value)
        if is_format is not None and not is_format(value):
            raise Invalid(f"must be a valid {string_format}")

    return check


def _decode_base64(text: str) -> bytes | None:
    """Standard base64 with or without padding, or ``None`` if malformed."""
    padded = text + "=" * (-len(text) % _BASE64_QUANTUM)
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error:
        return None


def _bytes_of(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("$bytes"), str):
        return _decode_base64(value["$bytes"])
    return None


def bytes_check(schema: Schema) -> Check:
    """Check for ``bytes`` (``{"$bytes": base64}`` or Python ``bytes``): lengths."""
    min_length, max_length = schema.get("minLength"), schema.get("maxLength")

    def check(value: Any) -> None:
        data = _bytes_of(value)
        if data is None:
            raise Invalid('must be bytes ({"$bytes": "<base64>"})')
        if min_length is not None and len(data) < min_length:
            raise Invalid(f"must not be shorter than {min_length} bytes")
        if max_length is not None and len(data) > max_length:
            raise Invalid(f"must not be longer than {max_length} bytes")

    return check


def _is_link(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and len(value) == 1
        and isinstance(value.get("$link"), str)
        and CidString.is_valid(value["$link"])
    )


def cid_link_check(schema: Schema) -> Check:
    """Check for ``cid-link``: ``{"$link": "<cid>"}``."""

    def check(value: Any) -> None:
        if not _is_link(value):
            raise Invalid('must be a CID link ({"$link": "<cid>"})')

    return check


def _accepts(patterns: Iterable[str]) -> Callable[[str], bool]:
    exact = frozenset(pattern for pattern in patterns if not pattern.endswith("/*"))
    prefixes = tuple(pattern[:-1] for pattern in patterns if pattern.endswith("/*"))
    if "*/" in prefixes:
        return lambda mime_type: True
    return lambda mime_type: mime_type in exact or mime_type.startswith(prefixes)


def _blob_parts(value: Any) -> tuple[str, int | None] | None:
    """(MIME type, size or ``None`` for the legacy form) of a well-formed blob."""
    if not isinstance(value, dict):
        return None
    mime_type = value.get("mimeType")
    if not isinstance(mime_type, str) or not mime_type:
        return None
    if value.get("$type") == _BLOB_TYPE:
        size = value.get("size")
        if not _is_link(value.get("ref")) or not _is_integer(size) or size < 0:
            return None
        return mime_type, int(size)
    if "$type" not in value and CidString.is_valid(value.get("cid")):
        return mime_type, None
    return None


def blob_check(schema: Schema) -> Check:
    """Check for ``blob``, also in the legacy ``{"cid", "mimeType"}`` form.

    Constraints: ``accept`` (MIME types, ``type/*`` patterns) and ``maxSize``.
    """
    accepts = _accepts(schema["accept"]) if "accept" in schema else None
    max_size = schema.get("maxSize")

    def check(value: Any) -> None:
        parts = _blob_parts(value)
        if parts is None:
            raise Invalid('must be a blob ({"$type": "blob", "ref", "mimeType", "size"})')
        mime_type, size = parts
        if accepts is not None and not accepts(mime_type):
            raise Invalid(f"has MIME type {mime_type!r}, which is not accepted")
        if max_size is not None and size is not None and size > max_size:
            raise Invalid(f"must not be larger than {max_size} bytes")

    return check


def unknown_check(schema: Schema) -> Check:
    """Check for ``unknown``: any object that is not a bytes, link or blob value."""

    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise Invalid("must be an object")
        if "$bytes" in value or "$link" in value or value.get("$type") == _BLOB_TYPE:
            raise Invalid("must be an object, not bytes, a CID link or a blob")

    return check


def _at(error: Invalid, segment: str) -> Invalid:
    error.segments.append(segment)
    return error


def array_check(schema: Schema, items: Check) -> Check:
    """Check for ``array`` whose elements pass ``items``: ``minLength``, ``maxLength``."""
    min_length, max_length = schema.get("minLength"), schema.get("maxLength")

    def check(value: Any) -> None:
        if not isinstance(value, list):
            raise Invalid("must be an array")
        if min_length is not None and len(value) < min_length:
            raise Invalid(f"must not have fewer than {min_length} elements")
        if max_length is not None and len(value) > max_length:
            raise Invalid(f"must not have more than {max_length} elements")
        for index, item in enumerate(value):
            try:
                items(item)
            except Invalid as error:
                raise _at(error, str(index)) from None

    return check


def object_check(
    properties: Mapping[str, Check], required: Iterable[str], nullable: Iterable[str]
) -> Check:
    """Check for ``object``: required properties, nulls only where nullable, each property.

    Properties the schema does not define are allowed and not checked.
    """
    fields = tuple(properties.items())
    required_names = tuple(required)
    nullable_names = frozenset(nullable)

    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise Invalid("must be an object")
        for name in required_names:
            if name not in value:
                raise Invalid(f'must have the property "{name}"')
        for name, field in fields:
            if name not in value:
                continue
            item = value[name]
            if item is None:
                if name in nullable_names:
                    continue
                raise _at(Invalid("must not be null"), name)
            try:
                field(item)
            except Invalid as error:
                raise _at(error, name) from None

    return check


def union_check(variants: Mapping[str, Check], *, closed: bool) -> Check:
    """Check for ``union``: dispatch on ``$type`` (with or without ``#main``).

    An open union lets an unlisted ``$type`` through if it looks like a type name.
    """

    def check(value: Any) -> None:
        if not isinstance(value, dict):
            raise Invalid("must be an object")
        type_name = value.get("$type")
        if not isinstance(type_name, str):
            raise Invalid('must have a "$type" string')
        variant = variants.get(type_name.removesuffix("#main"))
        if variant is not None:
            variant(value)
        elif closed:
            raise Invalid(f"has $type {type_name!r}, which is not one of {sorted(variants)}")
        elif not is_valid_ref(type_name, allow_local=False):
            raise Invalid(f"has an invalid $type {type_name!r}")

    return check
