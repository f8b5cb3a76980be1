"""Turn a set of checked lexicon documents into validator closures, resolving every ref.

Compilation happens once, when the registry is frozen. A reference that does not resolve,
or that points at a def it may not point at, is a :class:`LexiconError` naming the place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import refs
from .errors import LexiconError
from .params import Coerce, compile_params
from .schema_fields import Schema
from .validators import (
    Check,
    Slot,
    array_check,
    blob_check,
    boolean_check,
    bytes_check,
    cid_link_check,
    integer_check,
    object_check,
    string_check,
    union_check,
    unknown_check,
)

#: Def types with no data representation: they cannot be the target of a ref or union.
NON_VALUE_TYPES = frozenset(("token", "query", "procedure", "subscription", "permission-set"))
#: Def types a union may list.
UNION_MEMBER_TYPES = frozenset(("object", "record"))
METHOD_TYPES = frozenset(("query", "procedure", "subscription"))

_LEAF_CHECKS: dict[str, Callable[[Schema], Check]] = {
    "boolean": boolean_check,
    "integer": integer_check,
    "string": string_check,
    "bytes": bytes_check,
    "cid-link": cid_link_check,
    "blob": blob_check,
    "unknown": unknown_check,
}


@dataclass(frozen=True)
class CompiledMethod:
    """What validating one XRPC method needs, ready to call."""

    type: str
    params: Coerce | None
    input: Check | None
    output: Check | None
    input_encoding: str | None
    output_encoding: str | None
    errors: frozenset[str]


@dataclass(frozen=True)
class Compiled:
    """Checks of every value def (by canonical ref) and of every method (by NSID)."""

    values: Mapping[str, Check]
    methods: Mapping[str, CompiledMethod]


class _Compiler:
    def __init__(self, defs: Mapping[str, tuple[str, Schema]]) -> None:
        self._defs = defs
        self._slots = {
            ref: Slot()
            for ref, (_, schema) in defs.items()
            if schema["type"] not in NON_VALUE_TYPES
        }

    def _target(
        self, ref: str, lexicon_id: str, where: str, allowed: Callable[[str], bool]
    ) -> Slot:
        target = refs.canonical(ref, lexicon_id)
        if target not in self._defs:
            raise LexiconError(f"{where}: unresolved reference {ref!r} (to {target})")
        kind = self._defs[target][1]["type"]
        if not allowed(kind):
            raise LexiconError(f"{where}: reference {ref!r} points at a {kind} def")
        return self._slots[target]

    def field(self, schema: Schema, lexicon_id: str, where: str) -> Check:
        """The check of a field schema (its refs resolved against ``lexicon_id``)."""
        kind = schema["type"]
        if kind in _LEAF_CHECKS:
            return _LEAF_CHECKS[kind](schema)
        if kind == "array":
            items = self.field(schema["items"], lexicon_id, f"{where}/items")
            return array_check(schema, items)
        if kind == "object":
            return self._object(schema, lexicon_id, where)
        if kind == "ref":
            return self._target(
                schema["ref"], lexicon_id, where, lambda kind: kind not in NON_VALUE_TYPES
            )
        if kind == "union":
            variants = {
                refs.canonical(ref, lexicon_id): self._target(
                    ref, lexicon_id, where, lambda kind: kind in UNION_MEMBER_TYPES
                )
                for ref in schema["refs"]
            }
            return union_check(variants, closed=bool(schema.get("closed")))
        raise LexiconError(f"{where}: type {kind!r} has no data representation")

    def _properties(self, schema: Schema, lexicon_id: str, where: str) -> dict[str, Check]:
        return {
            name: self.field(field, lexicon_id, f"{where}/properties/{name}")
            for name, field in schema["properties"].items()
        }

    def _object(self, schema: Schema, lexicon_id: str, where: str) -> Check:
        properties = self._properties(schema, lexicon_id, where)
        return object_check(properties, schema.get("required", ()), schema.get("nullable", ()))

    def _body(self, schema: Schema, name: str, lexicon_id: str, where: str) -> Check | None:
        body = schema.get(name)
        if body is None or "schema" not in body:
            return None
        return self.field(body["schema"], lexicon_id, f"{where}/{name}/schema")

    def _method(self, schema: Schema, lexicon_id: str, where: str) -> CompiledMethod:
        params: Coerce | None = None
        if "parameters" in schema:
            parameters = schema["parameters"]
            checks = self._properties(parameters, lexicon_id, f"{where}/parameters")
            params = compile_params(parameters, checks)
        if schema["type"] == "subscription":
            # Compiled only so its refs are checked: frames name their type in the header.
            self.field(schema["message"]["schema"], lexicon_id, f"{where}/message/schema")
        return CompiledMethod(
            type=schema["type"],
            params=params,
            input=self._body(schema, "input", lexicon_id, where),
            output=self._body(schema, "output", lexicon_id, where),
            input_encoding=_encoding(schema, "input"),
            output_encoding=_encoding(schema, "output"),
            errors=frozenset(error["name"] for error in schema.get("errors", ())),
        )

    def compile(self) -> Compiled:
        methods: dict[str, CompiledMethod] = {}
        for ref, (lexicon_id, schema) in self._defs.items():
            where = f"{lexicon_id}#{refs.split(ref)[1]}"
            kind = schema["type"]
            if kind == "record":
                self._slots[ref].check = self._object(
                    schema["record"], lexicon_id, f"{where}/record"
                )
            elif kind in METHOD_TYPES:
                methods[ref] = self._method(schema, lexicon_id, where)
            elif ref in self._slots:
                self._slots[ref].check = self.field(schema, lexicon_id, where)
        values = {ref: slot.check for ref, slot in self._slots.items()}
        return Compiled(values=values, methods=methods)


def _encoding(schema: Schema, name: str) -> str | None:
    body: Any = schema.get(name)
    return None if body is None else str(body["encoding"])


def compile_defs(defs: Mapping[str, tuple[str, Schema]]) -> Compiled:
    """Compile every def; ``defs`` maps canonical refs to (lexicon id, def schema)."""
    return _Compiler(defs).compile()
