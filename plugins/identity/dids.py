"""``resolveDid``, ``resolveIdentity`` and ``refreshIdentity``."""

from __future__ import annotations

from typing import Any

from exprsn_pds import INVALID_HANDLE, DidNotFound, HandleNotFound, XrpcContext
from exprsn_pds.identity.did_document import handle_of
from exprsn_pds.syntax import Did


async def resolve_did(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.identity.resolveDid``: the DID document (``DidNotFound`` if none)."""
    document = await ctx.pds.identity.resolve_did(ctx.params["did"])
    if document is None:
        raise DidNotFound()
    return {"didDoc": document}


async def resolve_identity(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.identity.resolveIdentity``: DID, document and bi-directionally
    verified handle (``handle.invalid`` when the two do not point at each other)."""
    return await _identity_info(ctx, ctx.params["identifier"], force_refresh=False)


async def refresh_identity(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.identity.refreshIdentity``: as ``resolveIdentity``, but resolved
    afresh (the cached handle and document are replaced). Needs a session, so that
    anonymous callers cannot make this server fetch from other hosts at will."""
    return await _identity_info(ctx, ctx.input["identifier"], force_refresh=True)


async def _identity_info(
    ctx: XrpcContext, identifier: str, *, force_refresh: bool
) -> dict[str, Any]:
    identity = ctx.pds.identity
    if Did.is_valid(identifier):
        did = identifier
    else:
        found = await identity.resolve_handle(identifier, force_refresh=force_refresh)
        if found is None:
            raise HandleNotFound()
        did = found
    document = await identity.resolve_did(did, force_refresh=force_refresh)
    if document is None:
        raise DidNotFound()
    claimed = (handle_of(document) or INVALID_HANDLE).lower()
    verified = (
        claimed != INVALID_HANDLE
        and await identity.resolve_handle(claimed, force_refresh=force_refresh) == did
    )
    return {"did": did, "handle": claimed if verified else INVALID_HANDLE, "didDoc": document}
