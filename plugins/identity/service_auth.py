"""``com.atproto.server.getServiceAuth``: a service JWT signed with the caller's repo key."""

from __future__ import annotations

import time
from typing import Any, Final

from exprsn_pds import BadExpiration, InvalidRequest, Scope, XrpcContext, caller_did
from exprsn_pds.service_auth import (
    PRIVILEGED_METHODS,
    PROTECTED_METHODS,
    is_did_reference,
    mint_service_jwt,
)

#: The furthest ``exp`` a caller may ask for: one hour with ``lxm``, one minute without.
MAX_LIFETIME_WITH_LXM_S: Final = 3600
MAX_LIFETIME_WITHOUT_LXM_S: Final = 60
PRIVILEGED_SCOPES: Final = frozenset({Scope.ACCESS.value, Scope.APP_PASS_PRIVILEGED.value})


async def get_service_auth(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.getServiceAuth``, with the official PDS's rules.

    ``aud`` is a DID or ``did#service``; ``exp`` is not past, at most an hour away, and
    at most a minute away without ``lxm``; protected methods (account management) are
    refused; privileged ones (account creation, chat) need a full-access or privileged
    app-password session.
    """
    did = caller_did(ctx.auth)
    aud: str = ctx.params["aud"]
    lxm: str | None = ctx.params.get("lxm")
    exp: int | None = ctx.params.get("exp")
    if not is_did_reference(aud):
        raise InvalidRequest("aud must be a valid atproto DID or did#serviceId reference")
    scope = ctx.auth.scope if ctx.auth is not None else None
    if lxm is not None and lxm in PRIVILEGED_METHODS and scope not in PRIVILEGED_SCOPES:
        raise InvalidRequest(
            f"insufficient access to request a service auth token for the following method: {lxm}"
        )
    if exp is not None:
        remaining = exp - time.time()
        if remaining < 0:
            raise BadExpiration("expiration is in past")
        if remaining > MAX_LIFETIME_WITH_LXM_S:
            raise BadExpiration(
                "cannot request a token with an expiration more than an hour in the future"
            )
        if lxm is None and remaining > MAX_LIFETIME_WITHOUT_LXM_S:
            raise BadExpiration(
                "cannot request a method-less token with an expiration more than a minute"
                " in the future"
            )
    if lxm is not None and lxm in PROTECTED_METHODS:
        raise InvalidRequest(
            f"cannot request a service auth token for the following protected method: {lxm}"
        )
    key = await ctx.pds.repos.signing_key(did)
    return {"token": mint_service_jwt(key=key, iss=did, aud=aud, lxm=lxm, exp=exp)}
