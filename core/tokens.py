"""Session tokens: HS256 JWTs as the official PDS issues them.

Access tokens carry ``typ: at+jwt`` and a scope (full access or an app password's);
refresh tokens ``typ: refresh+jwt``. ``aud`` is the service DID, ``sub`` the account DID.
Both name their session in ``sid`` (an id kept across refreshes), so that the access
tokens of a session that ended can be refused (:mod:`exprsn_pds.accounts.revocation`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

ALGORITHM = "HS256"
ACCESS_TYP = "at+jwt"
REFRESH_TYP = "refresh+jwt"
SESSION_CLAIM = "sid"
#: How many verified tokens :func:`verify` remembers.
VERIFIED_CACHE_SIZE = 4096


class Scope(StrEnum):
    """What a session token may do."""

    ACCESS = "com.atproto.access"
    APP_PASS = "com.atproto.appPass"
    APP_PASS_PRIVILEGED = "com.atproto.appPassPrivileged"
    TAKENDOWN = "com.atproto.takendown"
    REFRESH = "com.atproto.refresh"


class TokenExpired(Exception):
    """The token was valid once but has expired."""


class TokenInvalid(Exception):
    """The token is malformed, forged, or of the wrong kind."""


@dataclass(frozen=True)
class TokenClaims:
    """The verified claims of a session token."""

    did: str
    scope: Scope
    jti: str | None
    expires_at: int
    raw: dict[str, Any]
    session_id: str | None = None


def mint(
    *,
    secret: str,
    did: str,
    audience: str,
    scope: Scope,
    ttl_s: int,
    typ: str,
    jti: str | None = None,
    session_id: str | None = None,
    now: float | None = None,
) -> str:
    """A signed token for ``did`` (of session ``session_id`` when given)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "scope": scope.value,
        "sub": did,
        "aud": audience,
        "iat": issued,
        "exp": issued + ttl_s,
    }
    if typ == REFRESH_TYP:
        claims["jti"] = jti or uuid.uuid4().hex
    if session_id is not None:
        claims[SESSION_CLAIM] = session_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"typ": typ})


def verify(
    token: str, *, secret: str, audience: str, typ: str, scopes: frozenset[Scope]
) -> TokenClaims:
    """The claims of ``token``; :class:`TokenExpired` or :class:`TokenInvalid` otherwise.

    A client sends the same token with every request, so the outcome of checking its
    signature and claims is remembered (only successes, for at most
    :data:`VERIFIED_CACHE_SIZE` tokens); what changes with time, expiry, is checked on
    every call, and a token once valid stays so until it expires.
    """
    claims = _verified(token, secret, audience, typ)
    if claims.expires_at <= time.time():
        raise TokenExpired("Token has expired")
    if claims.scope not in scopes:
        raise TokenInvalid("Bad token scope")
    return dataclasses.replace(claims, raw=dict(claims.raw))


@functools.lru_cache(maxsize=VERIFIED_CACHE_SIZE)
def _verified(token: str, secret: str, audience: str, typ: str) -> TokenClaims:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise TokenInvalid("Token could not be verified") from error
    if header.get("typ") != typ:
        raise TokenInvalid("Invalid token type")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": ["exp", "sub", "scope"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise TokenExpired("Token has expired") from error
    except jwt.PyJWTError as error:
        raise TokenInvalid("Token could not be verified") from error
    try:
        scope = Scope(claims["scope"])
    except ValueError as error:
        raise TokenInvalid("Bad token scope") from error
    return TokenClaims(
        did=str(claims["sub"]),
        scope=scope,
        jti=claims.get("jti"),
        expires_at=int(claims["exp"]),
        raw=claims,
        session_id=_optional_string(claims.get(SESSION_CLAIM)),
    )


def _optional_string(value: object) -> str | None:
    return value if isinstance(value, str) else None
