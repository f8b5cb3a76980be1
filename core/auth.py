"""Who is calling: credentials and the verifiers that produce them.

An XRPC method names its verifier at registration (``registry.add(nsid, handler,
auth=admin_basic_auth)``); the dispatcher runs it before the handler. Session
verifiers (access/refresh JWTs, service JWTs) come from the plugins that own them.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.accounts.store import account_standing
from exprsn_pds.errors import (
    AccountDeactivated,
    AccountNotFound,
    AccountTakedown,
    AuthRequired,
    ExpiredToken,
    InvalidToken,
)
from exprsn_pds.service_auth import ServiceJwtError, verify_service_jwt
from exprsn_pds.tokens import ACCESS_TYP, REFRESH_TYP, Scope, TokenExpired, TokenInvalid
from exprsn_pds.tokens import verify as verify_token

if TYPE_CHECKING:
    from quart import Request

    from exprsn_pds.crypto import PublicKey
    from exprsn_pds.pds import Pds

ADMIN_USERNAME = "admin"
XRPC_PATH_PREFIX = "/xrpc/"
#: The key a labeler signs with (``iss`` ``did#atproto_labeler``); others use ``#atproto``.
LABELER_SERVICE = "atproto_labeler"
LABELER_KEY_ID = "atproto_label"
ATPROTO_KEY_ID = "atproto"
ADMIN_KIND = "admin"
ACCESS_KIND = "access"
ANONYMOUS_KIND = "anonymous"


@dataclass(frozen=True)
class Credentials:
    """The verified identity of a caller."""

    kind: str  # "admin", "access", "app_password", "refresh", "service", ...
    did: str | None = None
    scope: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


AuthVerifier = Callable[["Request", "Pds"], Awaitable[Credentials]]


def authenticated(auth: Credentials | None) -> Credentials:
    """``auth`` when it names the caller's DID; 401 AuthRequired otherwise."""
    if auth is None or auth.did is None:
        raise AuthRequired("Authentication Required")
    return auth


def caller_did(auth: Credentials | None) -> str:
    """The DID of an authenticated caller; 401 AuthRequired for a caller without one."""
    return str(authenticated(auth).did)


async def admin_basic_auth(request: Request, pds: Pds) -> Credentials:
    """HTTP Basic ``admin:<PDS_ADMIN_PASSWORD>``; anything else is 401 AuthRequired."""
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise AuthRequired("Admin credentials required")
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError) as error:
        raise AuthRequired("Malformed Basic credentials") from error
    expected = pds.settings.admin_password.encode()
    user_ok = hmac.compare_digest(username.encode(), ADMIN_USERNAME.encode())
    password_ok = hmac.compare_digest(password.encode(), expected)
    if not (user_ok and password_ok):
        raise AuthRequired("Invalid admin credentials")
    return Credentials(kind=ADMIN_KIND)


ACCESS_SCOPES = frozenset(
    {Scope.ACCESS, Scope.APP_PASS, Scope.APP_PASS_PRIVILEGED, Scope.TAKENDOWN}
)
WRITE_SCOPES = frozenset({Scope.ACCESS, Scope.APP_PASS, Scope.APP_PASS_PRIVILEGED})
FULL_ACCESS_SCOPES = frozenset({Scope.ACCESS})
REFRESH_SCOPES = frozenset({Scope.REFRESH})


def _bearer(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthRequired("Authentication Required")
    return token.strip()


async def check_account_standing(
    client: BaseDBAsyncClient, did: str, *, takedown: bool, deactivated: bool
) -> None:
    """400 AccountNotFound, or 401 AccountTakedown / AccountDeactivated when checked."""
    standing = await account_standing(client, did)
    if standing is None:
        raise AccountNotFound()
    if takedown and standing.takedown_ref:
        raise AccountTakedown()
    if deactivated and standing.deactivated:
        raise AccountDeactivated()


def _session_verifier(
    typ: str,
    scopes: frozenset[Scope],
    kind: str,
    *,
    check_takedown: bool = False,
    check_deactivated: bool = False,
) -> AuthVerifier:
    async def verify_session(request: Request, pds: Pds) -> Credentials:
        try:
            claims = verify_token(
                _bearer(request),
                secret=pds.settings.jwt_secret,
                audience=pds.settings.service_did,
                typ=typ,
                scopes=scopes,
            )
        except TokenExpired as error:
            raise ExpiredToken("Token has expired") from error
        except TokenInvalid as error:
            raise InvalidToken(str(error)) from error
        if typ == ACCESS_TYP and await pds.sessions.revocations.is_revoked(claims):
            raise InvalidToken("Token has been revoked")
        if check_takedown or check_deactivated:
            await check_account_standing(
                pds.database.client,
                claims.did,
                takedown=check_takedown,
                deactivated=check_deactivated,
            )
        return Credentials(kind=kind, did=claims.did, scope=claims.scope.value, claims=claims.raw)

    return verify_session


access_auth: AuthVerifier = _session_verifier(ACCESS_TYP, ACCESS_SCOPES, ACCESS_KIND)
"""A session access token (full, app password, or a taken-down account's)."""

write_auth: AuthVerifier = _session_verifier(
    ACCESS_TYP, WRITE_SCOPES, ACCESS_KIND, check_takedown=True, check_deactivated=True
)
"""A session that may change its repo: the account is neither taken down nor deactivated."""

account_standard_auth: AuthVerifier = _session_verifier(
    ACCESS_TYP, WRITE_SCOPES, ACCESS_KIND, check_takedown=True
)
"""A session, full or app password, of an account not taken down; deactivated is fine.

For what a deactivated (e.g. migrating) account may still do: upload blobs, confirm
its e-mail address.
"""

full_access_auth: AuthVerifier = _session_verifier(ACCESS_TYP, FULL_ACCESS_SCOPES, ACCESS_KIND)
"""A full-access session token: not an app password."""

account_full_auth: AuthVerifier = _session_verifier(
    ACCESS_TYP, FULL_ACCESS_SCOPES, ACCESS_KIND, check_takedown=True
)
"""A full-access session of an account not taken down; deactivated is fine.

For importing a repo, changing e-mail, requesting deletion, listing invite codes.
"""

refresh_auth: AuthVerifier = _session_verifier(REFRESH_TYP, REFRESH_SCOPES, "refresh")
"""A refresh token (only ``refreshSession`` and ``deleteSession`` take one)."""


def service_auth(*, issuers: frozenset[str] | None = None) -> AuthVerifier:
    """A verifier of inter-service JWTs (``Credentials(kind="service", did=<issuer DID>)``).

    The token must be addressed to this server (``aud`` = ``server.service_did``), bound
    to the method called (``lxm``), unexpired, and signed by the key the issuer's DID
    document names. ``issuers`` (``did`` or ``did#service``), when given, are the only
    ones trusted. The full ``iss`` and the claims are in ``Credentials.claims``.
    """

    async def verify_service(request: Request, pds: Pds) -> Credentials:
        token = _bearer(request)
        nsid = request.path.removeprefix(XRPC_PATH_PREFIX)

        async def signing_key(iss: str, force_refresh: bool) -> PublicKey | None:
            if issuers is not None and iss not in issuers:
                raise ServiceJwtError("Untrusted issuer", "UntrustedIss")
            did, _, service = iss.partition("#")
            key_id = LABELER_KEY_ID if service == LABELER_SERVICE else ATPROTO_KEY_ID
            return await pds.identity.signing_key(did, key_id=key_id, force_refresh=force_refresh)

        try:
            claims = await verify_service_jwt(
                token, audience=pds.settings.service_did, lxm=nsid, get_key=signing_key
            )
        except ServiceJwtError as error:
            raise AuthRequired(error.message, error=error.error) from error
        return Credentials(kind="service", did=claims.did, claims=claims.raw)

    return verify_service


ANONYMOUS = Credentials(kind=ANONYMOUS_KIND)
"""The credentials of a caller who presented none."""


async def optional_auth(request: Request, pds: Pds) -> Credentials:
    """No credentials, a session access token, or the admin's Basic credentials.

    For public reads that owners and the admin may see more of (a taken-down or
    deactivated repo). Credentials that are presented must be valid: a bad token is
    refused as it would be anywhere else, never silently read as anonymous.
    """
    scheme = request.headers.get("Authorization", "").partition(" ")[0].lower()
    if not scheme:
        return ANONYMOUS
    if scheme == "basic":
        return await admin_basic_auth(request, pds)
    return await access_auth(request, pds)
