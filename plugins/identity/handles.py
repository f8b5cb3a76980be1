"""``resolveHandle`` and ``updateHandle``."""

from __future__ import annotations

from typing import Any

from exprsn_pds import HandleNotFound, InvalidRequest, XrpcContext, caller_did
from exprsn_pds.identity.handles import normalize_handle, service_domain_of


async def resolve_handle(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.identity.resolveHandle``: hosted accounts, then DNS and HTTPS.

    As the official PDS: a handle under this server's domains without an account is
    ``HandleNotFound``; an external one that does not resolve is ``InvalidRequest``.
    """
    handle = normalize_handle(ctx.params["handle"])
    did = await ctx.pds.identity.resolve_handle(handle)
    if did is not None:
        return {"did": did}
    if service_domain_of(handle, ctx.pds.settings.service_handle_domains) is not None:
        raise HandleNotFound()
    raise InvalidRequest("Unable to resolve handle")


async def update_handle(ctx: XrpcContext) -> None:
    """``com.atproto.identity.updateHandle``: the caller's new handle (rules in
    :meth:`~exprsn_pds.identity.IdentityService.update_handle`)."""
    await ctx.pds.identity.update_handle(caller_did(ctx.auth), ctx.input["handle"])
