"""The blob XRPC methods: upload, download and the two listings."""

from __future__ import annotations

from typing import Any

from exprsn_pds import InvalidRequest, XrpcContext, XrpcResponse, caller_did
from exprsn_pds.datamodel import Cid, DataModelError

#: What getBlob sends besides the type: no sniffing, no active content, a download.
CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"


def blob_headers(cid: str, size: int) -> dict[str, str]:
    """The response headers of a served blob (its content type goes separately)."""
    return {
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Content-Disposition": f"attachment; filename={cid}",
    }


def _cid(text: str) -> Cid:
    try:
        return Cid.parse(text)
    except DataModelError as error:
        raise InvalidRequest(f"Invalid CID: {error}") from error


async def upload_blob(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.uploadBlob``: store the body as a temporary blob; its reference."""
    did = caller_did(ctx.auth)
    declared = ctx.request.mimetype if ctx.request is not None else None
    ref = await ctx.pds.blobs.upload(did, ctx.body_chunks(), declared or None)
    return {"blob": ref.to_json()}


async def get_blob(ctx: XrpcContext) -> XrpcResponse:
    """``com.atproto.sync.getBlob``: a permanent blob's bytes, served as a download."""
    did = await ctx.pds.repos.readable(ctx.params["did"], ctx.auth)
    blob, chunks = await ctx.pds.blobs.read(did, _cid(ctx.params["cid"]))
    headers = blob_headers(blob.cid, blob.size)
    return XrpcResponse(chunks, content_type=blob.mime_type, headers=headers)


async def list_blobs(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.sync.listBlobs``: CIDs of a repo's blobs, optionally since a revision."""
    params = ctx.params
    did = await ctx.pds.repos.readable(params["did"], ctx.auth)
    limit = params["limit"]
    cids = await ctx.pds.blobs.list_blobs(
        did, since=params.get("since"), cursor=params.get("cursor"), limit=limit
    )
    answer: dict[str, Any] = {"cids": cids}
    if len(cids) == limit:
        answer["cursor"] = cids[-1]
    return answer


async def list_missing_blobs(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.listMissingBlobs``: blobs the caller's records use but we lack."""
    limit = ctx.params["limit"]
    blobs = await ctx.pds.blobs.missing_blobs(
        caller_did(ctx.auth), cursor=ctx.params.get("cursor"), limit=limit
    )
    answer: dict[str, Any] = {"blobs": blobs}
    if len(blobs) == limit:
        answer["cursor"] = blobs[-1]["cid"]
    return answer
