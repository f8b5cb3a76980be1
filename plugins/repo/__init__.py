"""The ``repo`` plugin (essential): ``com.atproto.repo.*`` record reads and writes, imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exprsn_pds import Forbidden, InvalidRequest, XrpcContext, XrpcRegistrar, hookimpl
from exprsn_pds.accounts.visibility import check_visible, visible_repo
from exprsn_pds.auth import account_full_auth, optional_auth, write_auth
from exprsn_pds.datamodel import Cid, DataModelError, ipld_to_json
from exprsn_pds.pds import Pds
from exprsn_pds.plugins.repo.imports import import_repo
from exprsn_pds.plugins.repo.imports import pds_check_record as pds_check_record
from exprsn_pds.plugins.repo.records import (
    ValidationStatus,
    check_collection,
    choose_rkey,
    prepare_record,
)
from exprsn_pds.ratelimit import RateLimit
from exprsn_pds.ratelimit.official import REPO_WRITE_DAY, REPO_WRITE_HOUR, REPO_WRITE_POINTS
from exprsn_pds.repo.store import RepoState
from exprsn_pds.repo.writes import (
    UNSET,
    Action,
    CommitResult,
    RecordWrite,
    Unset,
    WriteResult,
    check_swap_commit,
)
from exprsn_pds.xrpc.types import Handler

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


def _repo_not_found(identifier: str) -> InvalidRequest:
    return InvalidRequest(f"Could not find repo: {identifier}", error="RepoNotFound")


async def _own_did(ctx: XrpcContext, identifier: str) -> str:
    """The caller's DID when ``identifier`` names the caller's own repo; else as _own_repo.

    The caller naming its own DID costs no query: the write itself finds a missing repo
    (RepoNotFound, as here).
    """
    if ctx.auth is not None and identifier == ctx.auth.did:
        return identifier
    return (await _own_repo(ctx, identifier)).did


async def _own_repo(ctx: XrpcContext, identifier: str) -> RepoState:
    """The caller's repo, named by a DID or a local handle; 400 RepoNotFound, 403 if not
    the caller's."""
    did = await ctx.pds.identity.resolve_to_did(identifier)
    repo = await ctx.pds.repo_reader.state(did) if did else None
    if repo is None:
        raise _repo_not_found(identifier)
    if ctx.auth is None or ctx.auth.did != repo.did:
        raise Forbidden("Cannot write to another account's repository")
    return repo


def _cid_or_unset(value: str | None, present: bool) -> Cid | Unset | None:
    if not present:
        return UNSET
    if value is None:
        return None
    try:
        return Cid.parse(value)
    except (DataModelError, ValueError) as error:
        raise InvalidRequest(f"Invalid CID: {value!r}") from error


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
    swap_commit = _cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
    result = await ctx.pds.repo_writer.apply_writes(did, [write], swap_commit=swap_commit)
    return _written(result.results[0], result, status)


async def put_record(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.putRecord``: create or replace; an unchanged record is a no-op."""
    body = ctx.input
    repo = await _own_repo(ctx, body["repo"])
    collection = check_collection(body["collection"])
    current = await ctx.pds.repo_reader.get_record(repo.did, collection, body["rkey"])
    action = Action.UPDATE if current is not None else Action.CREATE
    swap_record = _cid_or_unset(body.get("swapRecord"), "swapRecord" in body)
    write, status = _write(
        ctx, action, collection, body["rkey"], body["record"], body.get("validate"), swap_record
    )
    swap_commit = _cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
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
    swap_record = _cid_or_unset(body.get("swapRecord"), "swapRecord" in body)
    swap_commit = _cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
    current = await ctx.pds.repo_reader.get_record(repo.did, collection, body["rkey"])
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
    swap_commit = _cid_or_unset(body.get("swapCommit"), "swapCommit" in body)
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


async def get_record(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.getRecord``: one record, optionally a specific version."""
    params = ctx.params
    cid = _cid_or_unset(params.get("cid"), "cid" in params)
    did = await ctx.pds.identity.resolve_to_did(params["repo"])
    if did is None:
        raise _repo_not_found(params["repo"])
    status, record = await ctx.pds.repo_reader.find_record(
        did, params["collection"], params["rkey"], cid if isinstance(cid, Cid) else None
    )
    if status is None:
        raise _repo_not_found(params["repo"])
    check_visible(status, did, params["repo"], ctx.auth)
    if record is None:
        raise InvalidRequest(
            f"Could not locate record: at://{did}/{params['collection']}/{params['rkey']}",
            error="RecordNotFound",
        )
    return {"uri": record.uri, "cid": str(record.cid), "value": ipld_to_json(record.value)}


async def list_records(ctx: XrpcContext) -> dict[str, Any]:
    """``com.atproto.repo.listRecords``: a page of a collection, newest first by default."""
    params = ctx.params
    repo = await visible_repo(ctx.pds, params["repo"], ctx.auth)
    records = await ctx.pds.repo_reader.list_records(
        repo.did,
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
    repo = await visible_repo(ctx.pds, ctx.params["repo"], None)  # nobody sees past it
    identity = await ctx.pds.identity.describe(repo.did)
    return {
        "handle": identity.handle,
        "did": repo.did,
        "didDoc": identity.did_document,
        "collections": await ctx.pds.repo_reader.collections(repo.did),
        "handleIsCorrect": identity.handle_is_correct,
    }


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


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar, pds: Pds) -> None:
    """Serve ``com.atproto.repo``: records (writes cost repo-write points) and imports.

    ``importRepo`` takes CARs as large as ``repo.import_max_bytes``.
    """
    writes: tuple[tuple[str, Handler, int | Callable[[XrpcContext], int]], ...] = (
        ("createRecord", create_record, REPO_WRITE_POINTS[Action.CREATE]),
        ("putRecord", put_record, REPO_WRITE_POINTS[Action.UPDATE]),
        ("deleteRecord", delete_record, REPO_WRITE_POINTS[Action.DELETE]),
        ("applyWrites", apply_writes, apply_writes_points),
    )
    for name, handler, points in writes:
        registry.add(
            f"com.atproto.repo.{name}",
            handler,
            auth=write_auth,
            rate_limits=[limit.costing(points) for limit in REPO_WRITE_LIMITS],
        )
    registry.add("com.atproto.repo.getRecord", get_record, auth=optional_auth)
    registry.add("com.atproto.repo.listRecords", list_records, auth=optional_auth)
    registry.add("com.atproto.repo.describeRepo", describe_repo)
    registry.add(
        "com.atproto.repo.importRepo",
        import_repo,
        auth=account_full_auth,
        max_body_bytes=pds.settings.repo_import_max_bytes,
    )
