"""Lexicon field schemas as JSON Schema (the dialect of OpenAPI 3.1).

Every ``ref`` and union member becomes a ``$ref`` to ``#/components/schemas/<name>``;
:class:`SchemaBuilder` collects the defs that are reached, and the defs they reach, so
the components hold exactly what the documented methods use.

Where the two languages differ, the JSON Schema is the looser of the two (it never
refuses what the lexicon accepts): a lexicon ``maxLength`` counts UTF-8 bytes, so it is
kept as a bound on characters (never more characters than bytes), and grapheme limits
appear in the description only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from exprsn_pds.lexicon import LexiconRegistry, refs

JsonSchema = dict[str, Any]

COMPONENT_PREFIX: Final = "#/components/schemas/"
# NSIDs hold no "_", so "<nsid>_<def>" names no other def's component.
_DEF_SEPARATOR: Final = "_"
_MAX_UTF8_BYTES_PER_CHAR: Final = 4
# Lexicon string formats whose JSON Schema format has another name.
_FORMATS: Final = {"datetime": "date-time"}
_NUMBER_KEYS: Final = ("minimum", "maximum", "enum", "const", "default")
_STRING_KEYS: Final = ("enum", "const", "default")

_CID_LINK: Final[JsonSchema] = {
    "type": "object",
    "required": ["$link"],
    "properties": {"$link": {"type": "string", "format": "cid"}},
    "additionalProperties": False,
}


def component_name(ref: str) -> str:
    """The component name of the def at canonical reference ``ref``."""
    nsid, name = refs.split(ref)
    return nsid if name == refs.MAIN else f"{nsid}{_DEF_SEPARATOR}{name}"


def _described(schema: JsonSchema, field: Mapping[str, Any]) -> JsonSchema:
    if "description" in field:
        schema["description"] = field["description"]
    return schema


def _copy(field: Mapping[str, Any], keys: tuple[str, ...], schema: JsonSchema) -> JsonSchema:
    schema.update((key, field[key]) for key in keys if key in field)
    return schema


def _string(field: Mapping[str, Any]) -> JsonSchema:
    schema = _copy(field, _STRING_KEYS, {"type": "string"})
    if "format" in field:
        schema["format"] = _FORMATS.get(field["format"], field["format"])
    if "maxLength" in field:
        schema["maxLength"] = field["maxLength"]
    shortest = max(
        math.ceil(field.get("minLength", 0) / _MAX_UTF8_BYTES_PER_CHAR),
        field.get("minGraphemes", 0),
    )
    if shortest:
        schema["minLength"] = shortest
    if "knownValues" in field:
        schema["examples"] = list(field["knownValues"])
    limits = [
        f"{word} {field[key]} {unit}"
        for key, word, unit in (
            ("minLength", "at least", "bytes (UTF-8)"),
            ("maxLength", "at most", "bytes (UTF-8)"),
            ("minGraphemes", "at least", "graphemes"),
            ("maxGraphemes", "at most", "graphemes"),
        )
        if key in field
    ]
    if limits:
        note = "Lexicon limits: " + ", ".join(limits) + "."
        schema["description"] = f"{field['description']} {note}" if "description" in field else note
        return schema
    return _described(schema, field)


def _bytes(field: Mapping[str, Any]) -> JsonSchema:
    data: JsonSchema = {"type": "string", "contentEncoding": "base64"}
    return {
        "type": "object",
        "required": ["$bytes"],
        "properties": {"$bytes": data},
        "additionalProperties": False,
    }


def _blob(field: Mapping[str, Any]) -> JsonSchema:
    mime_type: JsonSchema = {"type": "string"}
    if "accept" in field:
        mime_type["description"] = "One of: " + ", ".join(field["accept"])
    size: JsonSchema = {"type": "integer", "minimum": 0}
    if "maxSize" in field:
        size["maximum"] = field["maxSize"]
    return {
        "type": "object",
        "required": ["$type", "ref", "mimeType", "size"],
        "properties": {
            "$type": {"const": "blob"},
            "ref": _CID_LINK,
            "mimeType": mime_type,
            "size": size,
        },
    }


class SchemaBuilder:
    """Turns lexicon fields into JSON Schema and gathers the component defs they use."""

    def __init__(self, lexicons: LexiconRegistry) -> None:
        self._lexicons = lexicons
        self.components: dict[str, JsonSchema] = {}
        self._names: dict[str, str] = {}  # component name -> canonical ref
        self._pending: list[str] = []

    def field(self, field: Mapping[str, Any], lexicon_id: str) -> JsonSchema:
        """The JSON Schema of one lexicon field of lexicon ``lexicon_id``."""
        kind = field["type"]
        if kind == "boolean":
            return _described(_copy(field, ("const", "default"), {"type": "boolean"}), field)
        if kind == "integer":
            return _described(_copy(field, _NUMBER_KEYS, {"type": "integer"}), field)
        if kind == "string":
            return _string(field)
        if kind == "bytes":
            return _described(_bytes(field), field)
        if kind == "cid-link":
            return _described(dict(_CID_LINK), field)
        if kind == "blob":
            return _described(_blob(field), field)
        if kind == "unknown":
            return _described({"type": "object"}, field)
        if kind == "array":
            schema = {"type": "array", "items": self.field(field["items"], lexicon_id)}
            if "minLength" in field:
                schema["minItems"] = field["minLength"]
            if "maxLength" in field:
                schema["maxItems"] = field["maxLength"]
            return _described(schema, field)
        if kind == "object":
            return self.object(field, lexicon_id)
        if kind == "ref":
            return _described(self.reference(refs.canonical(field["ref"], lexicon_id)), field)
        if kind == "union":
            return _described(self._union(field, lexicon_id), field)
        raise ValueError(f"lexicon type {kind!r} has no JSON Schema")

    def object(self, field: Mapping[str, Any], lexicon_id: str) -> JsonSchema:
        """An ``object`` (or ``params``) schema: properties, required and nullable ones."""
        nullable = set(field.get("nullable", ()))
        properties: dict[str, JsonSchema] = {}
        for name, member in field.get("properties", {}).items():
            value = self.field(member, lexicon_id)
            properties[name] = {"anyOf": [value, {"type": "null"}]} if name in nullable else value
        schema: JsonSchema = {"type": "object", "properties": properties}
        if field.get("required"):
            schema["required"] = list(field["required"])
        return _described(schema, field)

    def reference(self, ref: str) -> JsonSchema:
        """A ``$ref`` to the component of canonical ``ref``, which is queued for building."""
        name = component_name(ref)
        known = self._names.setdefault(name, ref)
        if known != ref:
            raise ValueError(f"{ref} and {known} would share component {name}")
        if name not in self.components and ref not in self._pending:
            self._pending.append(ref)
        return {"$ref": f"{COMPONENT_PREFIX}{name}"}

    def _union(self, field: Mapping[str, Any], lexicon_id: str) -> JsonSchema:
        variants: list[JsonSchema] = []
        for member in field["refs"]:
            ref = refs.canonical(member, lexicon_id)
            variants.append(
                {
                    "allOf": [self.reference(ref)],
                    "properties": {"$type": {"const": ref}},
                    "required": ["$type"],
                }
            )
        if not field.get("closed"):
            variants.append(
                {
                    "type": "object",
                    "properties": {"$type": {"type": "string"}},
                    "required": ["$type"],
                }
            )
        return {"anyOf": variants}

    def build_components(self) -> dict[str, JsonSchema]:
        """Build every queued def (and those they reach); the components, sorted by name."""
        while self._pending:
            ref = self._pending.pop()
            nsid, _ = refs.split(ref)
            definition = self._lexicons.get_def(ref)
            body = definition["record"] if definition["type"] == "record" else definition
            self.components[component_name(ref)] = _described(self.field(body, nsid), definition)
        return dict(sorted(self.components.items()))
