"""did:plc operations: build, sign, hash and check them (the did:plc method, v1).

An operation is a JSON object: ``type`` ``plc_operation``, ``rotationKeys`` (did:keys
allowed to sign the next operation), ``verificationMethods`` (``atproto``: the repo
signing did:key), ``alsoKnownAs`` (``at://<handle>``), ``services`` (``atproto_pds``),
``prev`` (the CID of the previous operation, ``null`` in the genesis one) and ``sig``:
base64url (no padding) of a low-S compact signature over the DAG-CBOR of the operation
without ``sig``. The DID is ``did:plc:`` + the first 24 characters of base32-lower
(SHA-256 of the signed genesis operation's DAG-CBOR).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Final

from exprsn_pds.crypto import InvalidKey, PrivateKey, parse_did_key
from exprsn_pds.datamodel import Cid, encode

OPERATION_TYPE: Final = "plc_operation"
TOMBSTONE_TYPE: Final = "plc_tombstone"
LEGACY_CREATE_TYPE: Final = "create"
ATPROTO_KEY: Final = "atproto"
PDS_SERVICE: Final = "atproto_pds"
PDS_SERVICE_TYPE: Final = "AtprotoPersonalDataServer"
DID_PLC_PREFIX: Final = "did:plc:"
DID_HASH_CHARS: Final = 24
AT_URI_PREFIX: Final = "at://"

_OPERATION_FIELDS: Final = frozenset(
    {"type", "rotationKeys", "verificationMethods", "alsoKnownAs", "services", "prev", "sig"}
)
_SERVICE_FIELDS: Final = frozenset({"type", "endpoint"})


class InvalidOperation(ValueError):
    """An operation that is not a well-formed, signed ``plc_operation``."""


def atproto_operation(
    *,
    signing_key: str,
    rotation_keys: Iterable[str],
    handle: str,
    pds_endpoint: str,
    prev: Cid | None,
) -> dict[str, Any]:
    """An unsigned atproto ``plc_operation`` (genesis when ``prev`` is ``None``)."""
    return {
        "type": OPERATION_TYPE,
        "rotationKeys": list(rotation_keys),
        "verificationMethods": {ATPROTO_KEY: signing_key},
        "alsoKnownAs": [f"{AT_URI_PREFIX}{handle}"],
        "services": {PDS_SERVICE: {"type": PDS_SERVICE_TYPE, "endpoint": pds_endpoint}},
        "prev": str(prev) if prev is not None else None,
    }


def sign_operation(operation: Mapping[str, Any], key: PrivateKey) -> dict[str, Any]:
    """``operation`` (without ``sig``) with ``sig`` added, signed by ``key``."""
    unsigned = {name: value for name, value in operation.items() if name != "sig"}
    signature = key.sign(encode(unsigned))
    return {**unsigned, "sig": base64.urlsafe_b64encode(signature).decode().rstrip("=")}


def operation_cid(operation: Mapping[str, Any]) -> Cid:
    """The CID of a signed operation (what the next operation's ``prev`` names)."""
    return Cid.for_dag_cbor(encode(dict(operation)))


def did_for_genesis(operation: Mapping[str, Any]) -> str:
    """The did:plc a signed genesis operation creates."""
    digest = hashlib.sha256(encode(dict(operation))).digest()
    encoded = base64.b32encode(digest).decode().lower().rstrip("=")
    return DID_PLC_PREFIX + encoded[:DID_HASH_CHARS]


def normalize_operation(operation: Mapping[str, Any]) -> dict[str, Any]:
    """A signed operation in ``plc_operation`` form (legacy ``create`` ops converted)."""
    if operation.get("type") != LEGACY_CREATE_TYPE:
        return dict(operation)
    handle = str(operation["handle"])
    endpoint = str(operation["service"])
    return {
        "type": OPERATION_TYPE,
        "rotationKeys": [operation["recoveryKey"], operation["signingKey"]],
        "verificationMethods": {ATPROTO_KEY: operation["signingKey"]},
        "alsoKnownAs": [handle if handle.startswith(AT_URI_PREFIX) else AT_URI_PREFIX + handle],
        "services": {PDS_SERVICE: {"type": PDS_SERVICE_TYPE, "endpoint": endpoint}},
        "prev": operation.get("prev"),
        "sig": operation["sig"],
    }


def update_operation(
    last: Mapping[str, Any],
    *,
    handle: str | None = None,
    signing_key: str | None = None,
    pds_endpoint: str | None = None,
    rotation_keys: Iterable[str] | None = None,
) -> dict[str, Any]:
    """An unsigned operation following ``last`` (signed, as the directory returned it).

    It keeps everything of ``last`` but what is given: ``handle`` replaces the first
    ``at://`` entry of ``alsoKnownAs`` (or goes first), the others replace their field.
    """
    if last.get("type") == TOMBSTONE_TYPE:
        raise InvalidOperation("the DID is tombstoned: no operation can follow")
    previous = normalize_operation(last)
    updated: dict[str, Any] = {
        "type": OPERATION_TYPE,
        "rotationKeys": list(previous["rotationKeys"]),
        "verificationMethods": dict(previous["verificationMethods"]),
        "alsoKnownAs": list(previous["alsoKnownAs"]),
        "services": dict(previous["services"]),
        "prev": str(operation_cid(last)),
    }
    if handle is not None:
        updated["alsoKnownAs"] = _with_handle(updated["alsoKnownAs"], handle)
    if signing_key is not None:
        updated["verificationMethods"][ATPROTO_KEY] = signing_key
    if pds_endpoint is not None:
        updated["services"][PDS_SERVICE] = {"type": PDS_SERVICE_TYPE, "endpoint": pds_endpoint}
    if rotation_keys is not None:
        updated["rotationKeys"] = list(rotation_keys)
    return updated


def _with_handle(also_known_as: list[str], handle: str) -> list[str]:
    entry = AT_URI_PREFIX + handle
    for index, existing in enumerate(also_known_as):
        if existing.startswith(AT_URI_PREFIX):
            return [*also_known_as[:index], entry, *also_known_as[index + 1 :]]
    return [entry, *also_known_as]


def check_operation(operation: object) -> dict[str, Any]:
    """Return ``operation`` if it is a well-formed signed ``plc_operation``.

    Checks the shape (no unknown fields, right types, did:key rotation keys); the
    signature is checked by :func:`signed_by`.
    """
    if not isinstance(operation, dict):
        raise InvalidOperation("an operation is a JSON object")
    if operation.get("type") != OPERATION_TYPE:
        raise InvalidOperation(f"operation type must be {OPERATION_TYPE!r}")
    if set(operation) != _OPERATION_FIELDS:
        raise InvalidOperation(f"an operation has exactly the fields {sorted(_OPERATION_FIELDS)}")
    if not _is_string_list(operation["rotationKeys"]) or not operation["rotationKeys"]:
        raise InvalidOperation("rotationKeys must be a non-empty list of did:key strings")
    for key in operation["rotationKeys"]:
        try:
            parse_did_key(key)
        except InvalidKey as error:
            raise InvalidOperation(f"invalid rotation key: {error}") from None
    if not _is_string_map(operation["verificationMethods"]):
        raise InvalidOperation("verificationMethods must map names to did:key strings")
    if not _is_string_list(operation["alsoKnownAs"]):
        raise InvalidOperation("alsoKnownAs must be a list of strings")
    services = operation["services"]
    if not isinstance(services, dict) or not all(
        isinstance(name, str)
        and isinstance(entry, dict)
        and set(entry) == _SERVICE_FIELDS
        and all(isinstance(value, str) for value in entry.values())
        for name, entry in services.items()
    ):
        raise InvalidOperation("services must map names to {type, endpoint} strings")
    if operation["prev"] is not None and not isinstance(operation["prev"], str):
        raise InvalidOperation("prev must be a CID string or null")
    if not isinstance(operation["sig"], str):
        raise InvalidOperation("sig must be a base64url string")
    return operation


def signed_by(operation: Mapping[str, Any], allowed_keys: Iterable[str]) -> str | None:
    """The did:key among ``allowed_keys`` whose signature ``operation`` carries, or ``None``."""
    signature = _decode_signature(str(operation.get("sig", "")))
    if signature is None:
        return None
    message = encode({name: value for name, value in operation.items() if name != "sig"})
    for did_key in allowed_keys:
        try:
            if parse_did_key(did_key).verify(message, signature):
                return did_key
        except InvalidKey:
            continue
    return None


def _decode_signature(sig: str) -> bytes | None:
    if sig.endswith("="):
        return None
    try:
        return base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    except (binascii.Error, ValueError):
        return None


def _is_string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_string_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(name, str) and isinstance(item, str) for name, item in value.items()
    )
