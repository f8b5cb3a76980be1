"""``com.atproto.repo`` reads: getRecord, listRecords, describeRepo."""

from __future__ import annotations

from typing import Any

from exprsn_pds import RecordNotFound, XrpcContext
from exprsn_pds.datamodel import Cid, ipld_to_json
from exprsn_pds.plugins.repo.records import cid_or_unset


async def get_record(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.getRecord``: one record, optionally a specific version."""
    params = ctx.params
    cid = cid_or_unset(params.get("cid"), "cid" in params)
    did, record = await ctx.pds.repos.visible_record(
        params["repo"],
        params["collection"],
        params["rkey"],
        cid if isinstance(cid, Cid) else None,
        ctx.auth,
    )
    if record is None:
        raise RecordNotFound(f"at://{did}/{params['collection']}/{params['rkey']}")
    return {"uri": record.uri, "cid": str(record.cid), "value": ipld_to_json(record.value)}


async def list_records(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.listRecords``: a page of a collection, newest first by default."""
    params = ctx.params
    did = await ctx.pds.repos.readable(params["repo"], ctx.auth)
    records = await ctx.pds.repos.list_records(
        did,
        params["collection"],
        limit=params["limit"],
        cursor=params.get("cursor"),
        reverse=params.get("reverse", False),
    )
    answer: dict[str, Any] = {
        "records": [
            {"uri": r.uri, "cid": str(r.cid), "value": ipld_to_json(r.value)} for r in records
        ]
    }
    if len(records) == params["limit"]:
        answer["cursor"] = records[-1].uri.rsplit("/", 1)[1]
    return answer


async def describe_repo(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.describeRepo``: handle, DID, DID document and collections."""
    did = await ctx.pds.repos.readable(ctx.params["repo"], None)  # nobody sees past it
    identity = await ctx.pds.identity.describe(did)
    return {
        "handle": identity.handle,
        "did": did,
        "didDoc": identity.did_document,
        "collections": await ctx.pds.repos.collections(did),
        "handleIsCorrect": identity.handle_is_correct,
    }
