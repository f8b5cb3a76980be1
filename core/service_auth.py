"""Service auth: short-lived JWTs an account's repo key signs for another service.

A token (atproto spec "XRPC", inter-service auth) is ``header.payload.signature`` with
header ``{"typ": "JWT", "alg": "ES256K" | "ES256"}``, payload ``iss`` (the account DID,
or ``did#service``), ``aud`` (the service's DID), ``exp``, ``iat``, ``lxm`` (the one XRPC
method it is good for) and ``jti``, and a 64-byte low-S ``r || s`` signature over
``header.payload``, base64url without padding.

:func:`mint_service_jwt` makes one; :func:`verify_service_jwt` checks one against the key
the issuer's DID document names. Errors carry the official names (``BadJwt``,
``JwtExpired``, ``BadJwtAudience``, ``BadJwtLexiconMethod``, ``BadJwtIss``,
``BadJwtSignature``, ``BadJwtType``).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from exprsn_pds.crypto import PrivateKey, PublicKey
from exprsn_pds.datamodel import DataModelError, parse_json
from exprsn_pds.syntax import Did

#: Lifetime of a token minted without ``exp`` (as the official PDS).
DEFAULT_LIFETIME_S: Final = 60
#: The furthest ``exp`` a verifier accepts: the longest a PDS issues (1 h) plus clock skew.
MAX_ACCEPTED_LIFETIME_S: Final = 3600 + 300
JWT_TYP: Final = "JWT"
_SESSION_TYPS: Final = frozenset({"at+jwt", "refresh+jwt", "dpop+jwt"})
_JTI_BYTES: Final = 16
# A JWT's header and claims are objects of claims a level or two deep; anything nested
# deeper than this is refused before it can exhaust the JSON parser's stack.
_JWT_MAX_LEVELS: Final = 16

#: Methods no service-auth token may be requested for: account management must be done
#: directly with the PDS (the official PDS's ``PROTECTED_METHODS``).
PROTECTED_METHODS: Final = frozenset(
    {
        "com.atproto.admin.sendEmail",
        "com.atproto.identity.requestPlcOperationSignature",
        "com.atproto.identity.signPlcOperation",
        "com.atproto.identity.updateHandle",
        "com.atproto.server.activateAccount",
        "com.atproto.server.confirmEmail",
        "com.atproto.server.createAppPassword",
        "com.atproto.server.deactivateAccount",
        "com.atproto.server.getAccountInviteCodes",
        "com.atproto.server.getSession",
        "com.atproto.server.listAppPasswords",
        "com.atproto.server.requestAccountDelete",
        "com.atproto.server.requestEmailConfirmation",
        "com.atproto.server.requestEmailUpdate",
        "com.atproto.server.revokeAppPassword",
        "com.atproto.server.updateEmail",
    }
)
#: Methods only a full-access or privileged app-password session may get a token for
#: (the official PDS's ``PRIVILEGED_METHODS``: account creation and chat).
PRIVILEGED_METHODS: Final = frozenset(
    {
        "com.atproto.server.createAccount",
        "chat.bsky.actor.deleteAccount",
        "chat.bsky.actor.exportAccountData",
        "chat.bsky.convo.deleteMessageForSelf",
        "chat.bsky.convo.getConvo",
        "chat.bsky.convo.getConvoForMembers",
        "chat.bsky.convo.getLog",
        "chat.bsky.convo.getMessages",
        "chat.bsky.convo.leaveConvo",
        "chat.bsky.convo.listConvos",
        "chat.bsky.convo.muteConvo",
        "chat.bsky.convo.sendMessage",
        "chat.bsky.convo.sendMessageBatch",
        "chat.bsky.convo.unmuteConvo",
        "chat.bsky.convo.updateRead",
    }
)


class ServiceJwtError(Exception):
    """A service token that is malformed, expired, misdirected or badly signed."""

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message)
        self.message = message
        self.error = error


@dataclass(frozen=True)
class ServiceJwtClaims:
    """The verified claims of a service token."""

    iss: str
    aud: str
    exp: int
    lxm: str | None
    jti: str | None
    raw: dict[str, Any]

    @property
    def did(self) -> str:
        """The issuer's DID (``iss`` without a ``#service`` fragment)."""
        return self.iss.split("#", 1)[0]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def mint_service_jwt(
    *,
    key: PrivateKey,
    iss: str,
    aud: str,
    lxm: str | None,
    exp: int | None = None,
    now: float | None = None,
) -> str:
    """A service token from ``iss`` for ``aud``, signed with ``key`` (the repo key)."""
    issued = int(time.time() if now is None else now)
    payload: dict[str, Any] = {
        "iat": issued,
        "iss": iss,
        "aud": aud,
        "exp": exp if exp is not None else issued + DEFAULT_LIFETIME_S,
        "jti": secrets.token_hex(_JTI_BYTES),
    }
    if lxm is not None:
        payload["lxm"] = lxm
    signing_input = f"{_b64url_json({'typ': JWT_TYP, 'alg': key.jwt_alg})}.{_b64url_json(payload)}"
    return f"{signing_input}.{_b64url(key.sign(signing_input.encode()))}"


KeyLookup = Callable[[str, bool], Awaitable[PublicKey | None]]
"""``lookup(iss, force_refresh)``: the issuer's signing key, or ``None``."""


async def verify_service_jwt(
    token: str,
    *,
    audience: str | None,
    lxm: str | None,
    get_key: KeyLookup,
    now: float | None = None,
) -> ServiceJwtClaims:
    """The claims of ``token``, or :class:`ServiceJwtError`.

    ``audience`` / ``lxm`` ``None`` skip that check. The key is looked up again, fresh,
    when the signature does not match (the issuer may have rotated it).
    """
    header, payload, signing_input, signature = _split(token)
    if header.get("typ") in _SESSION_TYPS:
        raise ServiceJwtError(f"Invalid jwt type {header.get('typ')!r}", "BadJwtType")
    current = time.time() if now is None else now
    if current > payload["exp"]:
        raise ServiceJwtError("jwt expired", "JwtExpired")
    if payload["exp"] > current + MAX_ACCEPTED_LIFETIME_S:
        raise ServiceJwtError("jwt expiration is too far in the future", "BadJwt")
    if audience is not None and payload["aud"] != audience:
        raise ServiceJwtError("jwt audience does not match service did", "BadJwtAudience")
    if lxm is not None and payload.get("lxm") != lxm:
        missing = "missing" if payload.get("lxm") is None else "bad"
        raise ServiceJwtError(
            f'{missing} jwt lexicon method ("lxm"). must match: {lxm}', "BadJwtLexiconMethod"
        )
    iss = payload["iss"]
    if not is_did_reference(iss):
        raise ServiceJwtError("jwt iss is not a valid did", "BadJwtIss")
    key = await get_key(iss, False)
    valid = key is not None and _signature_ok(key, header, signing_input, signature)
    if not valid:
        fresh = await get_key(iss, True)
        valid = (
            fresh is not None
            and fresh != key
            and _signature_ok(fresh, header, signing_input, signature)
        )
    if not valid:
        raise ServiceJwtError("jwt signature does not match jwt issuer", "BadJwtSignature")
    return ServiceJwtClaims(
        iss=iss,
        aud=payload["aud"],
        exp=int(payload["exp"]),
        lxm=payload.get("lxm"),
        jti=payload.get("jti"),
        raw=payload,
    )


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ServiceJwtError("poorly formatted jwt", "BadJwt")
    try:
        header = parse_json(_b64url_decode(parts[0]), max_levels=_JWT_MAX_LEVELS)
        payload = parse_json(_b64url_decode(parts[1]), max_levels=_JWT_MAX_LEVELS)
        signature = _b64url_decode(parts[2])
    except (DataModelError, ValueError, binascii.Error):
        raise ServiceJwtError("poorly formatted jwt", "BadJwt") from None
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        raise ServiceJwtError("poorly formatted jwt", "BadJwt")
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("iss"), str)
        and isinstance(payload.get("aud"), str)
        and isinstance(payload.get("exp"), int | float)
        and not isinstance(payload.get("exp"), bool)
        and isinstance(payload.get("lxm", ""), str)
    ):
        raise ServiceJwtError("poorly formatted jwt", "BadJwt")
    return header, payload, f"{parts[0]}.{parts[1]}".encode(), signature


def _b64url_decode(text: str) -> bytes:
    if "=" in text:
        raise ValueError("padded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_did_reference(value: str) -> bool:
    """Whether ``value`` is a DID or a ``did#service`` reference (an ``iss`` or ``aud``)."""
    did, hash_sign, fragment = value.partition("#")
    if hash_sign and (not fragment or "#" in fragment):
        return False
    return Did.is_valid(did)


def _signature_ok(
    key: PublicKey, header: dict[str, Any], signing_input: bytes, signature: bytes
) -> bool:
    """Low-S compact signature by ``key``, with ``alg`` naming the key's curve."""
    return header.get("alg") == key.jwt_alg and key.verify(signing_input, signature)
