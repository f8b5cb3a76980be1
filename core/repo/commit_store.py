"""Storing a prepared commit in the open write transaction, and dropping what it replaced.

Blocks, record index, labels and blob links of a
:class:`~exprsn_pds.repo.commit_plan.PreparedCommit`; then the old commit, replaced MST
nodes and record blocks no record uses any more are deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.blobs import BlobService
from exprsn_pds.blobs.refs import find_blob_refs
from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.commit_plan import PreparedCommit
from exprsn_pds.repo.label_store import AttachedLabels, replace_labels
from exprsn_pds.repo.mst import MstChange
from exprsn_pds.repo.store import (
    IndexWrite,
    cids_in_use,
    delete_blocks,
    insert_blocks,
    update_index,
)
from exprsn_pds.repo.writes import Action, RecordWrite, WriteResult


async def store_commit(
    connection: BaseDBAsyncClient,
    did: str,
    writes: Sequence[RecordWrite],
    prepared: PreparedCommit,
    labels: Sequence[AttachedLabels],
    blobs: BlobService,
) -> bool:
    """Store a prepared commit's blocks, index and labels in the open transaction.

    A replaced or deleted record's labels go. Answers whether blob links changed.
    """
    await insert_block_map(connection, did, prepared.rev, prepared.new_blocks)
    await update_index(
        connection,
        did,
        prepared.rev,
        [
            IndexWrite(write.collection, write.rkey, _cid_text(result.cid))
            for write, result in zip(writes, prepared.results, strict=True)
        ],
    )
    replaced = [write.path for write in writes if write.action is not Action.CREATE]
    await replace_labels(connection, did, replaced, labels)
    blobs_touched = await _update_blob_refs(connection, blobs, did, writes)
    await _drop_unused_blocks(
        connection,
        did,
        prepared.base.head,
        prepared.change,
        prepared.results,
        prepared.new_blocks,
    )
    return blobs_touched


async def _update_blob_refs(
    connection: BaseDBAsyncClient, blobs: BlobService, did: str, writes: Sequence[RecordWrite]
) -> bool:
    """Record (and check) the blobs each written record references.

    A new record without blobs has no links to replace, so it costs no query. The
    answer says whether any blob link may have changed, i.e. whether the blobs need
    settling after the commit (only a link makes a temporary blob permanent, only an
    unlink frees one).
    """
    touched = False
    for write in writes:
        if write.record is None:
            await blobs.unlink(connection, did, write.path)
            touched = True
        elif write.action is not Action.CREATE or find_blob_refs(write.record):
            await blobs.link(connection, did, write.path, write.record)
            touched = True
    return touched


async def insert_block_map(
    connection: BaseDBAsyncClient, did: str, rev: str, blocks: dict[Cid, bytes]
) -> None:
    """Store ``blocks`` (CID to block) as ``did``'s, added by ``rev``."""
    await insert_blocks(connection, did, rev, [(str(cid), block) for cid, block in blocks.items()])


def _cid_text(cid: Cid | None) -> str | None:
    return None if cid is None else str(cid)


async def _drop_unused_blocks(
    connection: BaseDBAsyncClient,
    did: str,
    previous_head: str,
    change: MstChange,
    results: Sequence[WriteResult],
    new_blocks: dict[Cid, bytes],
) -> None:
    """Delete the old commit, replaced MST nodes and record blocks no record uses now.

    Runs after the record index is updated, so a replaced record block that another
    record still points at is kept.
    """
    old_records = {str(r.prev) for r in results if r.prev is not None}
    still_used = await cids_in_use(connection, did, old_records) if old_records else set()
    kept = {str(cid) for cid in new_blocks}
    doomed = ({previous_head} | {str(cid) for cid in change.removed} | old_records) - still_used
    doomed -= kept
    if doomed:
        await delete_blocks(connection, did, doomed)
