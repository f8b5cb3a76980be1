"""``createSession``, ``refreshSession``, ``getSession``, ``deleteSession``."""

from __future__ import annotations

from typing import Any

from exprsn_pds import AccountTakedown, ExpiredToken, Scope, XrpcContext, authenticated
from exprsn_pds.plugins.session.views import session_view

EMAIL_SCOPES = frozenset({Scope.ACCESS.value, Scope.APP_PASS_PRIVILEGED.value})


async def create_session(ctx: XrpcContext) -> dict[str, Any]:
    """Log in with a handle, e-mail address or DID and a password (or app password).

    A taken-down account may only open a limited session, and only when it asks with
    ``allowTakendown``.
    """
    body = ctx.input
    login = await ctx.pds.accounts.login(body["identifier"], body["password"])
    account = login.account
    if account.takedown_ref and not body.get("allowTakendown"):
        raise AccountTakedown()
    if account.takedown_ref:
        tokens = await ctx.pds.sessions.create(account.did, takendown=True)
    else:
        tokens = await ctx.pds.sessions.create(account.did, login.app_password)
    return await session_view(ctx.pds, account, tokens)


async def refresh_session(ctx: XrpcContext) -> dict[str, Any]:
    """Trade a refresh token for a new pair; the old one keeps working for the grace period."""
    caller = authenticated(ctx.auth)
    token_id = caller.claims.get("jti")
    rotated = await ctx.pds.sessions.rotate(str(token_id)) if token_id else None
    if rotated is None:
        raise ExpiredToken("Token has been revoked")
    account = await ctx.pds.accounts.require(str(caller.did))
    return await session_view(ctx.pds, account, rotated)


async def get_session(ctx: XrpcContext) -> dict[str, Any]:
    """The caller's account: handle, DID, DID document, e-mail (for full sessions), status."""
    caller = authenticated(ctx.auth)
    account = await ctx.pds.accounts.require(str(caller.did))
    return await session_view(ctx.pds, account, with_email=caller.scope in EMAIL_SCOPES)


async def delete_session(ctx: XrpcContext) -> None:
    """Log out: revoke the refresh token presented."""
    token_id = authenticated(ctx.auth).claims.get("jti")
    if token_id:
        await ctx.pds.sessions.revoke(str(token_id))
