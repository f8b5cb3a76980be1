"""Structural checks of the field schemas a lexicon def is built from.

Each check takes the schema and ``where`` (``"<lexicon id>#<def>/<path>"``) and raises
:class:`LexiconError` naming that place. References are only checked for syntax here;
whether they resolve is checked when the registry is frozen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from .errors import LexiconError
from .formats import STRING_FORMATS
from .refs import is_valid_ref

#: Types that describe a value inside an object, array, body or params.
FIELD_TYPES = frozenset(
    (
        *("boolean", "integer", "string", "bytes", "cid-link", "blob"),
        *("array", "object", "ref", "union", "unknown"),
    )
)
#: Types a ``params`` property may have (arrays only of the scalar ones).
PARAM_SCALAR_TYPES = frozenset(("boolean", "integer", "string"))
PARAM_TYPES = PARAM_SCALAR_TYPES | {"array"}
_COMMON_KEYS = frozenset(("type", "description"))
# A MIME type pattern in ``accept``: "type/subtype", "type/*" or "*/*".
_MIME_PATTERN = re.compile(r"(?:\*/\*|[a-zA-Z0-9][\w.+-]*/(?:\*|[a-zA-Z0-9][\w.+-]*))")

Schema = Mapping[str, Any]


def fail(where: str, problem: str) -> LexiconError:
    """The error for ``problem`` at ``where`` (raise it)."""
    return LexiconError(f"{where}: {problem}")


def require_object(value: object, where: str) -> Schema:
    """``value`` as a JSON object, or a :class:`LexiconError`."""
    if not isinstance(value, dict):
        raise fail(where, "must be a JSON object")
    return value


def type_of(schema: Schema, where: str) -> str:
    """The ``type`` of a schema, which every schema must have."""
    kind = schema.get("type")
    if not isinstance(kind, str):
        raise fail(where, 'must have a string "type"')
    return kind


def allow_keys(schema: Schema, where: str, keys: Collection[str]) -> None:
    """Refuse keys a schema of this type does not define (typos fail at start-up)."""
    for key in schema:
        if key not in keys and key not in _COMMON_KEYS:
            raise fail(where, f"unexpected field {key!r} for type {schema['type']!r}")
    description = schema.get("description")
    if description is not None and not isinstance(description, str):
        raise fail(where, '"description" must be a string')


def is_int(value: object) -> bool:
    """Whether ``value`` is a JSON integer (``bool`` is not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def optional_int(schema: Schema, key: str, where: str, *, minimum: int | None = 0) -> None:
    """``schema[key]``, if present, is an integer of at least ``minimum``."""
    value = schema.get(key)
    if value is None:
        return
    if not is_int(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise fail(where, f"{key!r} must be an integer{bound}")


def optional_bool(schema: Schema, key: str, where: str) -> None:
    """``schema[key]``, if present, is a boolean."""
    if key in schema and not isinstance(schema[key], bool):
        raise fail(where, f"{key!r} must be a boolean")


def optional_str(schema: Schema, key: str, where: str) -> None:
    """``schema[key]``, if present, is a string."""
    if key in schema and not isinstance(schema[key], str):
        raise fail(where, f"{key!r} must be a string")


def optional_list(
    schema: Schema, key: str, where: str, item_ok: Callable[[Any], bool], what: str
) -> list[Any]:
    """``schema[key]``, if present, is a list whose items pass ``item_ok``; [] if absent."""
    value = schema.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(item_ok(item) for item in value):
        raise fail(where, f"{key!r} must be a list of {what}")
    return value


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _range(schema: Schema, where: str, low: str, high: str, *, minimum: int | None = 0) -> None:
    optional_int(schema, low, where, minimum=minimum)
    optional_int(schema, high, where, minimum=minimum)
    if low in schema and high in schema and schema[low] > schema[high]:
        raise fail(where, f"{low!r} is greater than {high!r}")


def _not_both_const_and_default(schema: Schema, where: str) -> None:
    if "const" in schema and "default" in schema:
        raise fail(where, '"const" and "default" are mutually exclusive')


def _check_boolean(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("default", "const"))
    optional_bool(schema, "default", where)
    optional_bool(schema, "const", where)
    _not_both_const_and_default(schema, where)


def _check_integer(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("minimum", "maximum", "enum", "default", "const"))
    _range(schema, where, "minimum", "maximum", minimum=None)
    optional_list(schema, "enum", where, is_int, "integers")
    optional_int(schema, "default", where, minimum=None)
    optional_int(schema, "const", where, minimum=None)
    _not_both_const_and_default(schema, where)


def _check_string(schema: Schema, where: str) -> None:
    allow_keys(
        schema,
        where,
        (
            *("format", "maxLength", "minLength", "maxGraphemes", "minGraphemes"),
            *("knownValues", "enum", "default", "const"),
        ),
    )
    string_format = schema.get("format")
    if string_format is not None and string_format not in STRING_FORMATS:
        raise fail(where, f"unknown string format {string_format!r}")
    _range(schema, where, "minLength", "maxLength")
    _range(schema, where, "minGraphemes", "maxGraphemes")
    optional_list(schema, "knownValues", where, _is_str, "strings")
    optional_list(schema, "enum", where, _is_str, "strings")
    optional_str(schema, "default", where)
    optional_str(schema, "const", where)
    _not_both_const_and_default(schema, where)


def _check_bytes(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("minLength", "maxLength"))
    _range(schema, where, "minLength", "maxLength")


def _check_no_fields(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ())


def _check_blob(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("accept", "maxSize"))
    optional_list(
        schema,
        "accept",
        where,
        lambda item: isinstance(item, str) and _MIME_PATTERN.fullmatch(item) is not None,
        'MIME types or patterns like "image/*"',
    )
    optional_int(schema, "maxSize", where)


def _check_array(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("items", "minLength", "maxLength"))
    if "items" not in schema:
        raise fail(where, 'an array needs "items"')
    check_field(schema["items"], f"{where}/items")
    _range(schema, where, "minLength", "maxLength")


def check_properties(
    schema: Schema, where: str, *, allowed_types: Collection[str], nullable: bool
) -> None:
    """The ``properties``/``required`` (and ``nullable``) of an object or params schema."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        raise fail(where, '"properties" must be a JSON object')
    for name, field in properties.items():
        check_field(field, f"{where}/properties/{name}", allowed_types)
    for key in ("required", "nullable") if nullable else ("required",):
        for name in optional_list(schema, key, where, _is_str, "property names"):
            if name not in properties:
                raise fail(where, f"{key} property {name!r} is not defined in properties")


def _check_object(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("properties", "required", "nullable"))
    check_properties(schema, where, allowed_types=FIELD_TYPES, nullable=True)


def _check_ref(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("ref",))
    ref = schema.get("ref")
    if not isinstance(ref, str) or not is_valid_ref(ref):
        raise fail(where, '"ref" must be a reference like "nsid", "nsid#name" or "#name"')


def _check_union(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("refs", "closed"))
    if "refs" not in schema:
        raise fail(where, 'a union needs "refs"')
    refs = optional_list(
        schema,
        "refs",
        where,
        lambda item: isinstance(item, str) and is_valid_ref(item),
        'references like "nsid", "nsid#name" or "#name"',
    )
    optional_bool(schema, "closed", where)
    if schema.get("closed") and not refs:
        raise fail(where, "a closed union needs at least one ref")


_FIELD_CHECKS: dict[str, Callable[[Schema, str], None]] = {
    "boolean": _check_boolean,
    "integer": _check_integer,
    "string": _check_string,
    "bytes": _check_bytes,
    "cid-link": _check_no_fields,
    "blob": _check_blob,
    "array": _check_array,
    "object": _check_object,
    "ref": _check_ref,
    "union": _check_union,
    "unknown": _check_no_fields,
    "token": _check_no_fields,
}


def check_field(value: object, where: str, allowed_types: Collection[str] = FIELD_TYPES) -> None:
    """Check a field schema whose type must be one of ``allowed_types``."""
    schema = require_object(value, where)
    kind = type_of(schema, where)
    if kind not in allowed_types:
        raise fail(where, f"type {kind!r} is not allowed here (allowed: {sorted(allowed_types)})")
    _FIELD_CHECKS[kind](schema, where)


def check_params(value: object, where: str) -> None:
    """Check a ``params`` schema: scalar properties, or arrays of scalars."""
    schema = require_object(value, where)
    if type_of(schema, where) != "params":
        raise fail(where, 'must have type "params"')
    allow_keys(schema, where, ("properties", "required"))
    check_properties(schema, where, allowed_types=PARAM_TYPES, nullable=False)
    for name, field in schema["properties"].items():
        if field["type"] == "array":
            check_field(field["items"], f"{where}/properties/{name}/items", PARAM_SCALAR_TYPES)
