"""State changes of one stored blob, each under a row lock so they never race.

A blob row is *temporary* (``temp_key`` set: uploaded, bytes in temporary storage) or
*permanent* (``temp_key`` null). Every change below locks the row, looks again at the
row and at the records using it, and only then acts; the write path locks the rows of
the blobs a record references (:meth:`BlobService.link`) in the record's transaction.
So a blob that a committed record references is never deleted, and a blob is never
deleted while a record referencing it is being committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from exprsn_pds.blobs.store import BlobStore
from exprsn_pds.datamodel import Cid
from exprsn_pds.logs import get_logger
from exprsn_pds.repo.models import Blob, RecordBlob
from exprsn_pds.storage import Database

BlobChange = Callable[[Database, BlobStore, int], Awaitable[bool]]

log = get_logger(__name__)


async def column(query: QuerySet[Any], name: str) -> list[Any]:
    """One column of the rows ``query`` selects."""
    return [row[name] for row in await query.values(name)]


async def attempt(change: BlobChange, database: Database, store: BlobStore, blob_id: int) -> bool:
    """``change`` of blob ``blob_id``; a failure is logged and answers ``False``.

    One blob's trouble must not stop work on the others; what failed is retried by the
    next garbage collection.
    """
    try:
        return await change(database, store, blob_id)
    except Exception:
        log.exception("blob change failed", blob_id=blob_id)
        return False


async def is_referenced(
    did: str, cid: str, connection: BaseDBAsyncClient | None = None
) -> bool:
    """Whether any record of ``did`` references blob ``cid`` (in ``connection``'s
    transaction, if given)."""
    return await RecordBlob.filter(did=did, blob_cid=cid).using_db(connection).exists()


@asynccontextmanager
async def locked_blob(
    database: Database, blob_id: int
) -> AsyncIterator[tuple[BaseDBAsyncClient, Blob | None]]:
    """A transaction's connection and the blob row ``blob_id`` (``None`` if gone), locked
    until the transaction ends."""
    async with database.transaction() as connection:
        blob = await Blob.filter(id=blob_id).select_for_update().using_db(connection).first()
        yield connection, blob


async def promote_if_referenced(database: Database, store: BlobStore, blob_id: int) -> bool:
    """Move a referenced temporary blob to permanent storage; whether it was moved now."""
    async with locked_blob(database, blob_id) as (connection, blob):
        if (
            blob is None
            or blob.temp_key is None
            or not await is_referenced(blob.did, blob.cid, connection)
        ):
            return False
        await store.promote(blob.temp_key, blob.did, Cid.parse(blob.cid))
        await Blob.filter(id=blob_id).using_db(connection).update(temp_key=None)
    return True


async def delete_temp_if_unreferenced(
    database: Database, store: BlobStore, blob_id: int, *, uploaded_before: datetime
) -> bool:
    """Delete a temporary blob uploaded before ``uploaded_before`` that nothing references."""
    async with locked_blob(database, blob_id) as (connection, blob):
        if (
            blob is None
            or blob.temp_key is None
            or blob.created_at >= uploaded_before
            or await is_referenced(blob.did, blob.cid, connection)
        ):
            return False
        await Blob.filter(id=blob_id).using_db(connection).delete()
    # The key is unique to this upload, so deleting after the commit races with nothing.
    await store.delete_temp(blob.temp_key)
    return True


async def delete_permanent_if_unreferenced(
    database: Database, store: BlobStore, blob_id: int
) -> bool:
    """Delete a permanent blob (row and bytes) that no record references any more."""
    async with locked_blob(database, blob_id) as (connection, blob):
        if (
            blob is None
            or blob.temp_key is not None
            or await is_referenced(blob.did, blob.cid, connection)
        ):
            return False
        # Before the commit: a new upload of the same CID waits for this row to go, so
        # it can never lose its freshly promoted bytes to this deletion.
        await store.delete(blob.did, Cid.parse(blob.cid))
        await Blob.filter(id=blob_id).using_db(connection).delete()
    return True
