"""``com.atproto.sync`` reads: repo exports, record proofs, blocks, heads, status."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from exprsn_pds import AccountStatus, InvalidRequest, RepoRow, XrpcContext, XrpcResponse
from exprsn_pds.datamodel import Cid, car_header, car_section

CAR_ENCODING = "application/vnd.ipld.car"


async def get_repo(ctx: XrpcContext) -> XrpcResponse:
    """``com.atproto.sync.getRepo``: the whole repo, or the diff since a rev, as a CAR.

    The export is one snapshot of the current commit, however slowly it is read. Its
    first piece is read before the response starts, so a failure to open it is an
    XRPC error, not a cut stream.
    """
    did = await ctx.pds.repos.readable(ctx.params["did"], ctx.auth)
    stream = ctx.pds.repos.export(did, since=ctx.params.get("since"))
    first = await anext(stream)
    return XrpcResponse(_resumed(first, stream), content_type=CAR_ENCODING)


async def _resumed(first: bytes, rest: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    async with aclosing(rest):
        yield first
        async for chunk in rest:
            yield chunk


async def get_record(ctx: XrpcContext) -> XrpcResponse:
    """``com.atproto.sync.getRecord``: a CAR proving a record (or its absence)."""
    params = ctx.params
    did = await ctx.pds.repos.readable(params["did"], ctx.auth)
    car = await ctx.pds.repos.record_proof(did, params["collection"], params["rkey"])
    return XrpcResponse(car, content_type=CAR_ENCODING)


async def get_blocks(ctx: XrpcContext) -> XrpcResponse:
    """``com.atproto.sync.getBlocks``: the requested blocks of a repo, as a CAR."""
    did = await ctx.pds.repos.readable(ctx.params["did"], ctx.auth)
    cids_param = ctx.params["cids"]
    try:
        cids = [Cid.parse(text) for text in cids_param]
    except ValueError as error:
        raise InvalidRequest(f"Invalid CID: {error}") from error
    blocks = await ctx.pds.repos.blocks(did, cids)
    car = car_header([]) + b"".join(car_section(cid, blocks[cid]) for cid in cids)
    return XrpcResponse(car, content_type=CAR_ENCODING)


async def get_latest_commit(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.sync.getLatestCommit``: the current commit CID and rev."""
    repo = await ctx.pds.repos.visible(ctx.params["did"], ctx.auth)
    return {"cid": repo.head, "rev": repo.rev}


async def get_repo_status(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.sync.getRepoStatus``: whether the repo is active, and its rev."""
    repo = await ctx.pds.repos.hosted(ctx.params["did"])
    answer: dict[str, Any] = {"did": repo.did, "active": repo.status == AccountStatus.ACTIVE}
    if repo.status == AccountStatus.ACTIVE:
        answer["rev"] = repo.rev
    else:
        answer["status"] = repo.status
    return answer


async def list_repos(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.sync.listRepos``: every hosted repo, by DID, with a cursor."""
    limit = ctx.params["limit"]
    repos = await ctx.pds.repos.page(after=ctx.params.get("cursor") or None, limit=limit)
    answer: dict[str, Any] = {"repos": [_listed(repo) for repo in repos]}
    if len(repos) == limit:
        answer["cursor"] = repos[-1].did
    return answer


def _listed(repo: RepoRow) -> dict[str, Any]:
    listed: dict[str, Any] = {
        "did": repo.did,
        "head": repo.head,
        "rev": repo.rev,
        "active": repo.status == AccountStatus.ACTIVE,
    }
    if repo.status != AccountStatus.ACTIVE:
        listed["status"] = repo.status
    return listed
