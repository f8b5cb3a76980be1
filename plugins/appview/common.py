"""What every ``app.bsky.*`` handler of the plugin shares: who may call, the settings,
the labeler headers and the JSON answer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

from exprsn_pds import (
    ANONYMOUS,
    AuthRequired,
    Credentials,
    Pds,
    XrpcContext,
    XrpcResponse,
    access_auth,
)
from exprsn_pds.plugins.appview.settings import AppviewSettings

if TYPE_CHECKING:
    from quart import Request

ACCEPT_LABELERS: Final = "atproto-accept-labelers"
CONTENT_LABELERS: Final = "atproto-content-labelers"
REPO_REV: Final = "atproto-repo-rev"
REDACT: Final = "redact"
MAX_LABELERS: Final = 20


async def viewer_auth(request: Request, pds: Pds) -> Credentials:
    """A session access token; without one, 401 ``AuthMissing`` as through the official
    PDS, unless ``public_reads`` is on (then the caller is anonymous: no viewer state)."""
    if not request.headers.get("Authorization", "").strip():
        if AppviewSettings.of(pds).public_reads:
            return ANONYMOUS
        raise AuthRequired("Authentication Required", error="AuthMissing")
    return await access_auth(request, pds)


async def session_auth(request: Request, pds: Pds) -> Credentials:
    """A session access token; without one 401 ``AuthMissing``, as through the official
    PDS (``public_reads`` does not apply: the method answers for the caller's own)."""
    if not request.headers.get("Authorization", "").strip():
        raise AuthRequired("Authentication Required", error="AuthMissing")
    return await access_auth(request, pds)


def viewer_of(ctx: XrpcContext) -> str | None:
    """The caller's DID, ``None`` for an anonymous caller."""
    return None if ctx.auth is None else ctx.auth.did


def accepted_labelers(ctx: XrpcContext) -> set[str]:
    """The DIDs of the labelers whose labels the caller's views show (see
    :func:`labelers_header`)."""
    return {item.split(";", 1)[0] for item in labelers_header(ctx).split(",") if item}


def accepted_server_labeler(ctx: XrpcContext) -> str | None:
    """This server's DID when the caller accepts it as a labeler (its labels are then
    shown), else ``None``."""
    service = ctx.pds.settings.service_did
    return service if service in accepted_labelers(ctx) else None


def labelers_header(ctx: XrpcContext) -> str:
    """``atproto-content-labelers``: the labelers the caller asked for
    (``atproto-accept-labelers``, ``;redact`` kept), else the configured ones."""
    asked = ctx.request.headers.get(ACCEPT_LABELERS, "") if ctx.request is not None else ""
    chosen: list[str] = []
    for item in asked.split(","):
        did, _, params = item.strip().partition(";")
        did = did.strip()
        if not did.startswith("did:") or len(chosen) >= MAX_LABELERS:
            continue
        redact = REDACT in {param.strip() for param in params.split(";")}
        chosen.append(f"{did};{REDACT}" if redact else did)
    if not asked.strip():
        chosen = list(AppviewSettings.of(ctx.pds).labelers)
    return ",".join(chosen)


async def answer(
    ctx: XrpcContext, body: dict[str, Any], *, repo_rev: bool = False, labelers: bool = True
) -> XrpcResponse:
    """``body`` as JSON, checked against the method's output lexicon when
    ``xrpc.validate_output`` is on, with the labeler header (unless ``labelers`` is off: a
    view without labels) and, for reads a client checks its own writes against
    (``repo_rev``), the caller's ``atproto-repo-rev``."""
    if ctx.pds.settings.xrpc_validate_output:
        ctx.pds.lexicons.validate_output(ctx.nsid, body)
    headers: dict[str, str] = {}
    if labelers and (chosen := labelers_header(ctx)):
        headers[CONTENT_LABELERS] = chosen
    viewer = viewer_of(ctx)
    if repo_rev and viewer is not None and (repo := await ctx.pds.repos.state(viewer)):
        headers[REPO_REV] = repo.rev
    return XrpcResponse(json.dumps(body, separators=(",", ":")).encode(), headers=headers)
