"""Computing a commit before it is stored: its ops checked, the MST edited, signed, its event.

Nothing here writes to the database: :func:`prepare_commit` works from a repo row (as a
writer remembers it, or as read under its lock) and the blocks its reader loads; the
writer stores the result (:mod:`exprsn_pds.repo.commit_store`) in one short transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.datamodel import Cid, write_car
from exprsn_pds.errors import InvalidRequest, InvalidSwap, RecordNotFound, RepoNotFound
from exprsn_pds.events import CommitEvent, RepoOp
from exprsn_pds.events.types import OpAction
from exprsn_pds.repo.blocks import BlockCache, RepoBlockReader
from exprsn_pds.repo.commit import signed_commit_block
from exprsn_pds.repo.keys import RepoKeys
from exprsn_pds.repo.mst import Mst, MstChange, MstOp, NodeCache
from exprsn_pds.repo.store import RepoRow
from exprsn_pds.repo.writes import Action, RecordWrite, Unset, WriteResult, check_swap_commit


@dataclass(frozen=True)
class PreparedCommit:
    """A signed commit computed from ``base``, ready to store."""

    base: RepoRow
    rev: str
    commit: Cid
    change: MstChange
    results: list[WriteResult]
    new_blocks: dict[Cid, bytes]
    event: CommitEvent
    after: RepoRow
    """The repo row once this commit is stored."""


async def prepare_commit(
    did: str,
    repo: RepoRow | None,
    writes: Sequence[RecordWrite],
    record_blocks: dict[str, tuple[Cid, bytes]],
    swap_commit: Cid | Unset | None,
    *,
    cache: BlockCache,
    nodes: NodeCache,
    keys: RepoKeys,
    next_rev: Callable[[str | None], str],
    max_block_bytes: int,
    client: BaseDBAsyncClient,
) -> PreparedCommit:
    """The commit applying ``writes`` to ``repo``: checked, signed, not yet stored.

    Blocks are read on ``client``: the open transaction's when computed inside one, else
    the database's own (``Database.client``).
    """
    if repo is None:
        raise RepoNotFound(did)
    check_swap_commit(swap_commit, repo.head)
    reader = RepoBlockReader(did, cache, client)
    mst = await Mst.load(reader, Cid.parse(repo.data), cache=nodes)
    ops, results = await _plan(did, mst, writes, record_blocks)
    change = await mst.apply(ops)
    rev = next_rev(repo.rev)
    key = keys.open(did, repo.signing_key, repo.signing_key_curve)
    commit_cid, commit_block = signed_commit_block(did=did, data=change.root, rev=rev, key=key)
    new_blocks = {cid: block for cid, block in record_blocks.values()}
    new_blocks.update(change.new_blocks)
    new_blocks[commit_cid] = commit_block
    block_bytes = sum(len(block) for block in new_blocks.values())
    if block_bytes > max_block_bytes:
        raise InvalidRequest(
            f"Commit too large: {block_bytes} bytes of blocks, at most {max_block_bytes}"
        )
    event = commit_event(
        did=did,
        commit=commit_cid,
        rev=rev,
        since=repo.rev,
        prev_data=Cid.parse(repo.data),
        blocks={**change.proof_blocks, **new_blocks},
        ops=[_op(write, result) for write, result in zip(writes, results, strict=True)],
    )
    after = replace(repo, head=str(commit_cid), rev=rev, data=str(change.root))
    return PreparedCommit(repo, rev, commit_cid, change, results, new_blocks, event, after)


async def _plan(
    did: str,
    mst: Mst,
    writes: Sequence[RecordWrite],
    record_blocks: dict[str, tuple[Cid, bytes]],
) -> tuple[list[MstOp], list[WriteResult]]:
    ops: list[MstOp] = []
    results: list[WriteResult] = []
    seen: set[str] = set()
    for write in writes:
        if write.path in seen:
            raise InvalidRequest(f"Duplicate write to {write.path}")
        seen.add(write.path)
        current = await mst.get(write.path)
        if not isinstance(write.swap_record, Unset) and current != write.swap_record:
            raise InvalidSwap(f"Record {write.path}", current)
        uri = f"at://{did}/{write.path}"
        if write.action is Action.CREATE and current is not None:
            raise InvalidRequest(f"Record already exists: {uri}")
        if write.action in (Action.UPDATE, Action.DELETE) and current is None:
            raise RecordNotFound(uri)
        cid = record_blocks[write.path][0] if write.action is not Action.DELETE else None
        ops.append(MstOp(action=write.action.value, key=write.path, value=cid))
        results.append(WriteResult(action=write.action, uri=uri, cid=cid, prev=current))
    return ops, results


def commit_event(
    *,
    did: str,
    commit: Cid,
    rev: str,
    since: str | None,
    prev_data: Cid | None,
    blocks: dict[Cid, bytes],
    ops: Sequence[RepoOp],
) -> CommitEvent:
    """The ``#commit`` event of a commit (the unit of work sequences it)."""
    return CommitEvent(
        did=did,
        rev=rev,
        commit=commit,
        since=since,
        prev_data=prev_data,
        ops=tuple(ops),
        blocks=write_car([commit], blocks.items()),
    )


_OP_ACTIONS: dict[Action, OpAction] = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.DELETE: "delete",
}


def _op(write: RecordWrite, result: WriteResult) -> RepoOp:
    return RepoOp(
        action=_OP_ACTIONS[write.action],
        collection=write.collection,
        rkey=write.rkey,
        cid=result.cid,
        prev=result.prev,
        record=write.record,
    )
