"""XRPC query parameters: turn query-string text into typed values, then check them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .schema_fields import Schema
from .validators import Check, Invalid

#: Raw parameters: one string per name, or a list for repeated names.
RawParams = Mapping[str, str | list[str]]
Coerce = Callable[[RawParams], dict[str, Any]]

_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS = {"true": True, "false": False}


def _parse_boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text]
    except KeyError:
        raise Invalid('must be a boolean ("true" or "false")') from None


def _parse_integer(text: str) -> int:
    if _INTEGER.fullmatch(text) is None:
        raise Invalid("must be an integer")
    return int(text)


def _parse_string(text: str) -> str:
    return text


_PARSERS: dict[str, Callable[[str], Any]] = {
    "boolean": _parse_boolean,
    "integer": _parse_integer,
    "string": _parse_string,
}


@dataclass(frozen=True)
class _Param:
    name: str
    parse: Callable[[str | list[str]], Any]
    check: Check
    default: Any
    required: bool


def _scalar(parse: Callable[[str], Any]) -> Callable[[str | list[str]], Any]:
    def parse_one(raw: str | list[str]) -> Any:
        if isinstance(raw, list):
            if len(raw) > 1:
                raise Invalid("must be given once")
            raw = raw[0]
        return parse(raw)

    return parse_one


def _array(parse: Callable[[str], Any]) -> Callable[[str | list[str]], Any]:
    def parse_all(raw: str | list[str]) -> list[Any]:
        values = []
        for index, text in enumerate([raw] if isinstance(raw, str) else raw):
            try:
                values.append(parse(text))
            except Invalid as error:
                error.segments.append(str(index))
                raise
        return values

    return parse_all


def compile_params(schema: Schema, checks: Mapping[str, Check]) -> Coerce:
    """The coercion of a ``params`` schema whose property checks are ``checks``.

    The result maps raw parameters to typed ones: integers and booleans parsed, a
    repeated name gathered into an array, defaults filled in. It raises :class:`Invalid`
    for a missing required parameter or a bad value; unknown parameters are ignored.
    """
    required = frozenset(schema.get("required", ()))
    params = []
    for name, field in schema["properties"].items():
        if field["type"] == "array":
            parse = _array(_PARSERS[field["items"]["type"]])
        else:
            parse = _scalar(_PARSERS[field["type"]])
        params.append(_Param(name, parse, checks[name], field.get("default"), name in required))

    def coerce(raw_params: RawParams) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for param in params:
            raw = raw_params.get(param.name)
            if raw is None or raw == []:
                if param.default is not None:
                    result[param.name] = param.default
                elif param.required:
                    raise Invalid(f'must have the parameter "{param.name}"')
                continue
            try:
                value = param.parse(raw)
                param.check(value)
            except Invalid as error:
                error.segments.append(param.name)
                raise
            result[param.name] = value
        return result

    return coerce
