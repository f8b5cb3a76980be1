"""``reserveSigningKey``: a repo signing key for an account that will move here."""

from __future__ import annotations

from typing import Any

from exprsn_pds import XrpcContext


async def reserve_signing_key(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.server.reserveSigningKey``: the ``did:key`` of a signing key kept
    for ``did`` (the same one each time until it expires), so the PLC operation that
    moves the DID here can name it before ``createAccount``; no login."""
    return {"signingKey": await ctx.pds.accounts.reserve_signing_key(ctx.input.get("did"))}
