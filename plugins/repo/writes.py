"""``com.atproto.repo`` record writes: create, put, delete, applyWrites."""

from __future__ import annotations

from typing import Any

from exprsn_pds import (
    Action,
    CommitResult,
    Forbidden,
    InvalidRequest,
    RecordWrite,
    RepoNotFound,
    RepoRow,
    WriteResult,
    XrpcContext,
)
from exprsn_pds.datamodel import Cid
from exprsn_pds.plugins.repo.records import (
    ValidationStatus,
    check_collection,
    choose_rkey,
    cid_or_unset,
    prepare_record,
)
from exprsn_pds.ratelimit import RateLimit
from exprsn_pds.ratelimit.official import REPO_WRITE_DAY, REPO_WRITE_HOUR, REPO_WRITE_POINTS
from exprsn_pds.repo.writes import UNSET, Unset, check_swap_commit

APPLY_WRITES_TYPES = {
    "com.atproto.repo.applyWrites#create": Action.CREATE,
    "com.atproto.repo.applyWrites#update": Action.UPDATE,
    "com.atproto.repo.applyWrites#delete": Action.DELETE,
}
RESULT_TYPES = {
    Action.CREATE: "com.atproto.repo.applyWrites#createResult",
    Action.UPDATE: "com.atproto.repo.applyWrites#updateResult",
    Action.DELETE: "com.atproto.repo.applyWrites#deleteResult",
}


async def _own_did(ctx: XrpcContext, identifier: str) -> str:
    """The caller's DID when ``identifier`` names the caller's own repo; else as _own_repo.

    The caller naming its own DID costs no query: the write itself finds a missing repo
    (RepoNotFound, as here).
    """
    if ctx.auth is not None and identifier == ctx.auth.did:
        return identifier
    return (await _own_repo(ctx, identifier)).did


async def _own_repo(ctx: XrpcContext, identifier: str) -> RepoRow:
    """The caller's repo, named by a DID or a local handle; 400 RepoNotFound, 403 if not
    the caller's."""
    did = await ctx.pds.identity.resolve_to_did(identifier)
    repo = await ctx.pds.repos.state(did) if did else None
    if repo is None:
        raise RepoNotFound(identifier)
    if ctx.auth is None or ctx.auth.did != repo.did:
        raise Forbidden("Cannot write to another account's repository")
    return repo


def _commit_meta(result: CommitResult) -> dict[str, str]:
    return {"cid": str(result.commit), "rev": result.rev}


def _write(
    ctx: XrpcContext,
    action: Action,
    collection: str,
    rkey: str | None,
    record: Any,
    validate: bool | None,
    swap_record: Cid | Unset | None = UNSET,
) -> tuple[RecordWrite, ValidationStatus | None]:
    lexicons = ctx.pds.lexicons
    collection = check_collection(collection)
    if action is not Action.CREATE and rkey is None:
        raise InvalidRequest(f"{action.value} needs an rkey")
    key = choose_rkey(lexicons, collection, rkey, ctx.pds.tid_clock)
    if action is Action.DELETE:
        return RecordWrite(action, collection, key, None, swap_record), None
    value, status = prepare_record(lexicons, collection, record, validate)
    return RecordWrite(action, collection, key, value, swap_record), status


async def create_record(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.createRecord``: add a record (rkey generated unless given)."""
    body = ctx.input
    did = await _own_did(ctx, body["repo"])
    write, status = _write(
        ctx,
        Action.CREATE,
        body["collection"],
        body.get("rkey"),
        body["record"],
        body.get("validate"),
    )
    swap_commit = cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
    result = await ctx.pds.repo_writer.apply_writes(did, [write], swap_commit=swap_commit)
    return _written(result.results[0], result, status)


async def put_record(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.putRecord``: create or replace; an unchanged record is a no-op."""
    body = ctx.input
    repo = await _own_repo(ctx, body["repo"])
    collection = check_collection(body["collection"])
    current = await ctx.pds.repos.get_record(repo.did, collection, body["rkey"])
    action = Action.UPDATE if current is not None else Action.CREATE
    swap_record = cid_or_unset(body.get("swapRecord"), "swapRecord" in body)
    write, status = _write(
        ctx, action, collection, body["rkey"], body["record"], body.get("validate"), swap_record
    )
    swap_commit = cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
    if current is not None and write.record == current.value and isinstance(swap_record, Unset):
        check_swap_commit(swap_commit, repo.head)
        answer: dict[str, Any] = {"uri": current.uri, "cid": str(current.cid)}
        if status is not None:
            answer["validationStatus"] = status.value
        return answer
    result = await ctx.pds.repo_writer.apply_writes(repo.did, [write], swap_commit=swap_commit)
    return _written(result.results[0], result, status)


async def delete_record(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.deleteRecord``: remove a record; deleting nothing is a no-op."""
    body = ctx.input
    repo = await _own_repo(ctx, body["repo"])
    collection = check_collection(body["collection"])
    swap_record = cid_or_unset(body.get("swapRecord"), "swapRecord" in body)
    swap_commit = cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
    current = await ctx.pds.repos.get_record(repo.did, collection, body["rkey"])
    if current is None and isinstance(swap_record, Unset):
        check_swap_commit(swap_commit, repo.head)
        return {}
    write = RecordWrite(Action.DELETE, collection, body["rkey"], None, swap_record)
    result = await ctx.pds.repo_writer.apply_writes(repo.did, [write], swap_commit=swap_commit)
    return {"commit": _commit_meta(result)}


async def apply_writes(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.applyWrites``: several creates/updates/deletes in one commit."""
    body = ctx.input
    did = await _own_did(ctx, body["repo"])
    if not body["writes"]:
        raise InvalidRequest("writes must name at least one create, update or delete")
    validate = body.get("validate")
    writes: list[RecordWrite] = []
    statuses: list[ValidationStatus | None] = []
    for item in body["writes"]:
        action = APPLY_WRITES_TYPES.get(item.get("$type", ""))
        if action is None:
            raise InvalidRequest(f"Unknown write type: {item.get('$type')!r}")
        write, status = _write(
            ctx, action, item["collection"], item.get("rkey"), item.get("value"), validate
        )
        writes.append(write)
        statuses.append(status)
    swap_commit = cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
    result = await ctx.pds.repo_writer.apply_writes(did, writes, swap_commit=swap_commit)
    return {
        "commit": _commit_meta(result),
        "results": [
            {"$type": RESULT_TYPES[done.action], **_written(done, None, status)}
            for done, status in zip(result.results, statuses, strict=True)
        ],
    }


def _written(
    done: WriteResult, result: CommitResult | None, status: ValidationStatus | None
) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    if done.action is not Action.DELETE:
        answer = {"uri": done.uri, "cid": str(done.cid)}
        if status is not None:
            answer["validationStatus"] = status.value
    if result is not None:
        answer["commit"] = _commit_meta(result)
    return answer


REPO_WRITE_LIMITS: tuple[RateLimit, ...] = (REPO_WRITE_HOUR, REPO_WRITE_DAY)


def apply_writes_points(ctx: XrpcContext) -> int:
    """What an ``applyWrites`` call costs: the sum of its operations' points.

    An operation of unknown type costs the least; the handler refuses it anyway.
    """
    cheapest = min(REPO_WRITE_POINTS.values())
    return sum(
        REPO_WRITE_POINTS.get(APPLY_WRITES_TYPES.get(write.get("$type", ""), ""), cheapest)
        for write in ctx.input["writes"]
    )
