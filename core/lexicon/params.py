"""XRPC query parameters: turn query-string text into typed values, then check them.

A string parameter whose lexicon sets no ``maxLength`` (cursors, mostly) is still held to
the bound the caller passes, so no unbounded text reaches a handler.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .schema_fields import Schema
from .validators import Check, Invalid

#: Raw parameters: one string per name, or a list for repeated names.
RawParams = Mapping[str, str | list[str]]
#: ``coerce(raw_params, max_unbounded_bytes)``; see :func:`compile_params`.
Coerce = Callable[[RawParams, int | None], dict[str, Any]]

_INTEGER = re.compile(r"-?[0-9]+")
# The atproto data model's integers are signed 64-bit: at most 19 digits.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_INT_MAX_DIGITS = len(str(_INT_MAX))
_BOOLEANS = {"true": True, "false": False}


def _parse_boolean(text: str) -> bool:
    try:
        return _BOOLEANS[text]
    except KeyError:
        raise Invalid('must be a boolean ("true" or "false")') from None


def _parse_integer(text: str) -> int:
    if _INTEGER.fullmatch(text) is None:
        raise Invalid("must be an integer")
    # Checked before int(): Python refuses to convert thousands of digits.
    if len(text.lstrip("-").lstrip("0")) > _INT_MAX_DIGITS:
        raise Invalid("must be an integer of at most 64 bits")
    number = int(text)
    if not _INT_MIN <= number <= _INT_MAX:
        raise Invalid("must be an integer of at most 64 bits")
    return number


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
    #: A string (or array of strings) the lexicon sets no ``maxLength`` for.
    unbounded: bool


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


def _is_unbounded_string(field: Schema) -> bool:
    scalar = field["items"] if field["type"] == "array" else field
    return scalar["type"] == "string" and "maxLength" not in scalar


def _check_bound(raw: str | list[str], max_bytes: int) -> None:
    for index, text in enumerate([raw] if isinstance(raw, str) else raw):
        if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            error = Invalid(f"must not be longer than {max_bytes} bytes (UTF-8)")
            if isinstance(raw, list):
                error.segments.append(str(index))
            raise error


def compile_params(schema: Schema, checks: Mapping[str, Check]) -> Coerce:
    """The coercion of a ``params`` schema whose property checks are ``checks``.

    The result maps raw parameters to typed ones: integers (64-bit) and booleans parsed,
    a repeated name gathered into an array, defaults filled in; a string the lexicon
    leaves without ``maxLength`` may be at most ``max_unbounded_bytes`` long (UTF-8) when
    that is given. It raises :class:`Invalid` for a missing required parameter or a bad
    value; unknown parameters are ignored.
    """
    required = frozenset(schema.get("required", ()))
    params = []
    for name, field in schema["properties"].items():
        if field["type"] == "array":
            parse = _array(_PARSERS[field["items"]["type"]])
        else:
            parse = _scalar(_PARSERS[field["type"]])
        params.append(
            _Param(
                name,
                parse,
                checks[name],
                field.get("default"),
                name in required,
                _is_unbounded_string(field),
            )
        )

    def coerce(raw_params: RawParams, max_unbounded_bytes: int | None) -> dict[str, Any]:
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
                if param.unbounded and max_unbounded_bytes is not None:
                    _check_bound(raw, max_unbounded_bytes)
                value = param.parse(raw)
                param.check(value)
            except Invalid as error:
                error.segments.append(param.name)
                raise
            result[param.name] = value
        return result

    return coerce
