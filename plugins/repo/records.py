"""Turning an XRPC record write into a :class:`RecordWrite`: $type, rkey, validation."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from exprsn_pds import InvalidRequest
from exprsn_pds.datamodel import Cid, DataModelError, json_to_record
from exprsn_pds.lexicon import LexiconRegistry, LexiconValidationError
from exprsn_pds.repo.writes import UNSET, Unset
from exprsn_pds.syntax import InvalidSyntax, Nsid, RecordKey, Tid, TidClock

LITERAL_PREFIX = "literal:"


class ValidationStatus(StrEnum):
    """What ``validationStatus`` reports for a written record."""

    VALID = "valid"
    UNKNOWN = "unknown"


def check_collection(collection: str) -> str:
    """``collection`` if it is an NSID; 400 otherwise."""
    if not Nsid.is_valid(collection):
        raise InvalidRequest(f"Invalid collection: {collection!r}")
    return collection


def prepare_record(
    lexicons: LexiconRegistry, collection: str, record: Any, validate: bool | None
) -> tuple[dict[str, Any], ValidationStatus | None]:
    """The data-model record and its validation status; 400 on any problem.

    ``validate``: ``True`` requires a known, valid record; ``False`` skips the lexicon;
    ``None`` validates when the lexicon is known and reports ``unknown`` otherwise.
    """
    if not isinstance(record, dict):
        raise InvalidRequest("Record must be an object")
    record_type = record.get("$type", collection)
    if record_type != collection:
        raise InvalidRequest(f"Invalid $type: expected {collection}, got {record_type}")
    record = {**record, "$type": collection}
    try:
        value = json_to_record(record)
    except DataModelError as error:
        raise InvalidRequest(f"Invalid record: {error}") from error
    known = lexicons.main_type(collection) == "record"
    if validate is False:
        return value, None
    if not known:
        if validate:
            raise InvalidRequest(f"Lexicon not found: lex:{collection}")
        return value, ValidationStatus.UNKNOWN
    try:
        lexicons.validate_record(collection, record)
    except LexiconValidationError as error:
        raise InvalidRequest(f"Invalid {collection} record: {error}") from error
    return value, ValidationStatus.VALID


def choose_rkey(
    lexicons: LexiconRegistry, collection: str, rkey: str | None, clock: TidClock
) -> str:
    """The given record key, checked against the lexicon's key type, or a new one."""
    key_type = (
        lexicons.record_key_type(collection)
        if lexicons.main_type(collection) == "record"
        else "any"
    )
    if rkey is None:
        if key_type.startswith(LITERAL_PREFIX):
            return key_type.removeprefix(LITERAL_PREFIX)
        return str(clock.next())
    try:
        RecordKey.parse(rkey)
    except InvalidSyntax as error:
        raise InvalidRequest(f"Invalid record key: {error}") from error
    if key_type == "tid" and not Tid.is_valid(rkey):
        raise InvalidRequest(f"Invalid record key for {collection}: must be a TID")
    if key_type == "nsid" and not Nsid.is_valid(rkey):
        raise InvalidRequest(f"Invalid record key for {collection}: must be an NSID")
    if key_type.startswith(LITERAL_PREFIX) and rkey != key_type.removeprefix(LITERAL_PREFIX):
        raise InvalidRequest(f"Invalid record key for {collection}: must be {key_type}")
    return rkey


def cid_or_unset(value: str | None, present: bool) -> Cid | Unset | None:
    """A CID input: ``UNSET`` when absent, ``None`` when null, else parsed (400 if bad)."""
    if not present:
        return UNSET
    if value is None:
        return None
    try:
        return Cid.parse(value)
    except (DataModelError, ValueError) as error:
        raise InvalidRequest(f"Invalid CID: {value!r}") from error
