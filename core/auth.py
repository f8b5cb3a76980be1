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

from exprsn_pds.accounts.models import Account
from exprsn_pds.errors import AuthRequired, ExpiredToken, Forbidden
from exprsn_pds.tokens import ACCESS_TYP, REFRESH_TYP, Scope, TokenExpired, TokenInvalid
from exprsn_pds.tokens import verify as verify_token

if TYPE_CHECKING:
    from quart import Request

    from exprsn_pds.pds import Pds

ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class Credentials:
    """The verified identity of a caller."""

    kind: str  # "admin", "access", "app_password", "refresh", "service", ...
    did: str | None = None
    scope: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)


AuthVerifier = Callable[["Request", "Pds"], Awaitable[Credentials]]


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
    return Credentials(kind="admin")


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


async def check_account_standing(did: str, *, takedown: bool, deactivated: bool) -> None:
    """403 AccountNotFound, or 401 AccountTakedown / AccountDeactivated when checked."""
    account = await Account.get_or_none(did=did)
    if account is None:
        raise Forbidden("Account not found", error="AccountNotFound")
    if takedown and account.takedown_ref:
        raise AuthRequired("Account has been taken down", error="AccountTakedown")
    if deactivated and account.deactivated_at is not None:
        raise AuthRequired("Account is deactivated", error="AccountDeactivated")


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
            raise AuthRequired(str(error), error="InvalidToken") from error
        if check_takedown or check_deactivated:
            await check_account_standing(
                claims.did, takedown=check_takedown, deactivated=check_deactivated
            )
        return Credentials(kind=kind, did=claims.did, scope=claims.scope.value, claims=claims.raw)

    return verify_session


access_auth: AuthVerifier = _session_verifier(ACCESS_TYP, ACCESS_SCOPES, "access")
"""A session access token (full, app password, or a taken-down account's)."""

write_auth: AuthVerifier = _session_verifier(
    ACCESS_TYP, WRITE_SCOPES, "access", check_takedown=True, check_deactivated=True
)
"""A session that may change its repo: the account is neither taken down nor deactivated."""

upload_auth: AuthVerifier = _session_verifier(
    ACCESS_TYP, WRITE_SCOPES, "access", check_takedown=True
)
"""A session whose account is not taken down; deactivated accounts may upload (migration)."""

full_access_auth: AuthVerifier = _session_verifier(ACCESS_TYP, FULL_ACCESS_SCOPES, "access")
"""A full-access session token: not an app password."""

refresh_auth: AuthVerifier = _session_verifier(REFRESH_TYP, REFRESH_SCOPES, "refresh")
"""A refresh token (only ``refreshSession`` and ``deleteSession`` take one)."""

account_standard_auth: AuthVerifier = _session_verifier(
    ACCESS_TYP, WRITE_SCOPES, "access", check_takedown=True
)
"""A session, full or app password, of an account that is not taken down (e-mail confirmation)."""

account_full_auth: AuthVerifier = _session_verifier(
    ACCESS_TYP, FULL_ACCESS_SCOPES, "access", check_takedown=True
)
"""A full-access session of an account that is not taken down (e-mail change, deletion)."""
