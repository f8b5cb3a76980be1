"""Structural checks of whole lexicon documents and of their primary defs."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..syntax import Language, Nsid, RecordKey
from .errors import LexiconError
from .refs import MAIN
from .schema_fields import (
    FIELD_TYPES,
    Schema,
    allow_keys,
    check_field,
    check_params,
    fail,
    optional_bool,
    optional_list,
    optional_str,
    require_object,
    type_of,
)

#: The lexicon language version this registry understands.
LEXICON_VERSION = 1
#: Def types that describe a whole record or endpoint; at most one per file, named ``main``.
PRIMARY_TYPES = frozenset(("record", "query", "procedure", "subscription", "permission-set"))
#: Def types that may be declared under ``defs`` (refs, unions, unknown and params may not).
NAMED_TYPES = (FIELD_TYPES - {"ref", "union", "unknown"}) | {"token"}
#: Record key types other than ``literal:<key>``.
RECORD_KEY_TYPES = frozenset(("tid", "nsid", "any"))
LITERAL_KEY_PREFIX = "literal:"
_DOCUMENT_KEYS = frozenset(("lexicon", "id", "description", "defs", "$type"))
_BODY_TYPES = frozenset(("object", "ref", "union"))
_REPO_ACTIONS = frozenset(("create", "update", "delete"))
_WILDCARD = "*"
_WHITESPACE = re.compile(r"\s")


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _check_record_key_type(key: object, where: str) -> None:
    if key in RECORD_KEY_TYPES:
        return
    if (
        isinstance(key, str)
        and key.startswith(LITERAL_KEY_PREFIX)
        and RecordKey.is_valid(key.removeprefix(LITERAL_KEY_PREFIX))
    ):
        return
    raise fail(where, f'"key" must be tid, nsid, any or literal:<record key>, not {key!r}')


def _check_record(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("key", "record"))
    _check_record_key_type(schema.get("key"), where)
    check_field(schema.get("record"), f"{where}/record", ("object",))


def _check_body(value: object, where: str) -> None:
    body = require_object(value, where)
    for key in body:
        if key not in ("description", "encoding", "schema"):
            raise fail(where, f"unexpected field {key!r} in a body")
    optional_str(body, "description", where)
    if not isinstance(body.get("encoding"), str):
        raise fail(where, 'a body needs an "encoding" string (a MIME type)')
    if "schema" in body:
        check_field(body["schema"], f"{where}/schema", _BODY_TYPES)


def _check_errors(schema: Schema, where: str) -> None:
    errors = schema.get("errors", [])
    if not isinstance(errors, list):
        raise fail(where, '"errors" must be a list')
    for index, value in enumerate(errors):
        error_where = f"{where}/errors/{index}"
        error = require_object(value, error_where)
        name = error.get("name")
        if not isinstance(name, str) or not name or _WHITESPACE.search(name):
            raise fail(error_where, '"name" must be a non-empty string without whitespace')
        optional_str(error, "description", error_where)


def _check_method(
    schema: Schema, where: str, bodies: tuple[str, ...], extra_keys: tuple[str, ...] = ()
) -> None:
    allow_keys(schema, where, ("parameters", "errors", *bodies, *extra_keys))
    if "parameters" in schema:
        check_params(schema["parameters"], f"{where}/parameters")
    for body in bodies:
        if body in schema:
            _check_body(schema[body], f"{where}/{body}")
    _check_errors(schema, where)


def _check_query(schema: Schema, where: str) -> None:
    _check_method(schema, where, ("output",))


def _check_procedure(schema: Schema, where: str) -> None:
    _check_method(schema, where, ("input", "output"))


def _check_subscription(schema: Schema, where: str) -> None:
    _check_method(schema, where, (), ("message",))
    message = require_object(schema.get("message"), f"{where}/message")
    for key in message:
        if key not in ("description", "schema"):
            raise fail(f"{where}/message", f"unexpected field {key!r} in a message")
    check_field(message.get("schema"), f"{where}/message/schema", ("union",))


def _check_localized(schema: Schema, key: str, where: str) -> None:
    value = schema.get(key)
    if value is None:
        return
    if not isinstance(value, dict) or not all(
        Language.is_valid(lang) and isinstance(text, str) for lang, text in value.items()
    ):
        raise fail(where, f"{key!r} must map language tags to strings")


def _unique_strings(permission: Schema, key: str, where: str) -> list[Any]:
    values = optional_list(permission, key, where, _is_str, "strings")
    if len(set(values)) != len(values):
        raise fail(where, f"{key!r} must not repeat a value")
    return values


def _check_repo_permission(permission: Schema, where: str) -> None:
    collections = _unique_strings(permission, "collection", where)
    if not collections or not all(Nsid.is_valid(collection) for collection in collections):
        raise fail(where, '"collection" must be a non-empty list of NSIDs')
    if not _REPO_ACTIONS.issuperset(_unique_strings(permission, "action", where)):
        raise fail(where, f'"action" values must be among {sorted(_REPO_ACTIONS)}')


def _check_rpc_permission(permission: Schema, where: str) -> None:
    methods = _unique_strings(permission, "lxm", where)
    if not methods or not all(lxm == _WILDCARD or Nsid.is_valid(lxm) for lxm in methods):
        raise fail(where, '"lxm" must be a non-empty list of NSIDs (or "*")')
    optional_str(permission, "aud", where)
    optional_bool(permission, "inheritAud", where)
    if "aud" not in permission and not permission.get("inheritAud"):
        raise fail(where, '"aud" is required unless "inheritAud" is true')
    if permission.get("aud") == _WILDCARD and _WILDCARD in methods:
        raise fail(where, '"aud" and "lxm" cannot both be the wildcard')


# Resource -> check of its fields; fields of other resources are not interpreted.
_RESOURCE_CHECKS: dict[str, Callable[[Schema, str], None]] = {
    "repo": _check_repo_permission,
    "rpc": _check_rpc_permission,
}


def _check_permission(value: object, where: str) -> None:
    permission = require_object(value, where)
    if type_of(permission, where) != "permission":
        raise fail(where, 'must have type "permission"')
    resource = permission.get("resource")
    if not isinstance(resource, str):
        raise fail(where, 'a permission needs a "resource" string')
    check = _RESOURCE_CHECKS.get(resource)
    if check is not None:
        check(permission, where)


def _check_permission_set(schema: Schema, where: str) -> None:
    allow_keys(schema, where, ("title", "title:lang", "detail", "detail:lang", "permissions"))
    for key in ("title", "detail"):
        optional_str(schema, key, where)
        _check_localized(schema, f"{key}:lang", where)
    permissions = schema.get("permissions")
    if not isinstance(permissions, list):
        raise fail(where, '"permissions" must be a list')
    for index, permission in enumerate(permissions):
        _check_permission(permission, f"{where}/permissions/{index}")


_PRIMARY_CHECKS: dict[str, Callable[[Schema, str], None]] = {
    "record": _check_record,
    "query": _check_query,
    "procedure": _check_procedure,
    "subscription": _check_subscription,
    "permission-set": _check_permission_set,
}


def _check_def(name: str, value: object, where: str) -> None:
    schema = require_object(value, where)
    kind = type_of(schema, where)
    if kind in PRIMARY_TYPES:
        if name != MAIN:
            raise fail(where, f"a {kind} def must be named {MAIN!r}")
        _PRIMARY_CHECKS[kind](schema, where)
    elif kind in NAMED_TYPES:
        check_field(schema, where, NAMED_TYPES)
    else:
        raise fail(where, f"type {kind!r} cannot be declared as a named def")


def check_document(document: object) -> str:
    """Check the structure of a lexicon document and return its id.

    Raises :class:`LexiconError` naming the lexicon id and def at fault.
    """
    if not isinstance(document, Mapping):
        raise LexiconError("a lexicon document must be a JSON object")
    lexicon_id = document.get("id")
    if not isinstance(lexicon_id, str) or not Nsid.is_valid(lexicon_id):
        raise LexiconError(f'a lexicon "id" must be an NSID, not {lexicon_id!r}')
    version = document.get("lexicon")
    if type(version) is not int or version != LEXICON_VERSION:
        raise LexiconError(f'{lexicon_id}: "lexicon" must be the integer {LEXICON_VERSION}')
    for key in document:
        if key not in _DOCUMENT_KEYS:
            raise LexiconError(f"{lexicon_id}: unexpected top-level field {key!r}")
    if not isinstance(document.get("description", ""), str):
        raise LexiconError(f'{lexicon_id}: "description" must be a string')
    defs = document.get("defs")
    if not isinstance(defs, dict) or not defs:
        raise LexiconError(f'{lexicon_id}: "defs" must be a non-empty JSON object')
    for name, schema in defs.items():
        if not name or "#" in name:
            raise LexiconError(f"{lexicon_id}: invalid def name {name!r}")
        _check_def(name, schema, f"{lexicon_id}#{name}")
    return lexicon_id
