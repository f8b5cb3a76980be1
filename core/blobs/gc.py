"""Blob garbage collection: what uploads and interrupted work leave behind."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial

from tortoise.expressions import Subquery

from exprsn_pds.blobs.lifecycle import (
    attempt,
    column,
    delete_permanent_if_unreferenced,
    delete_temp_if_unreferenced,
    promote_if_referenced,
)
from exprsn_pds.blobs.store import BlobStore
from exprsn_pds.repo.models import Blob, RecordBlob
from exprsn_pds.storage import Database


@dataclass
class GcReport:
    """What one garbage collection did (false when it did nothing)."""

    promoted: int = 0
    deleted_temp: int = 0
    deleted_orphan_files: int = 0
    deleted_unreferenced: int = 0

    def __bool__(self) -> bool:
        return any(asdict(self).values())


async def collect_garbage(
    database: Database, store: BlobStore, *, uploaded_before: datetime
) -> GcReport:
    """One pass over every account's blobs.

    Promotes referenced temporary blobs (a settle that never ran), deletes unreferenced
    temporary blobs uploaded before ``uploaded_before``, temporary files older than that
    which the database does not know (interrupted uploads), and permanent blobs no record
    uses (a settle that never ran).
    """
    report = GcReport()
    expire = partial(delete_temp_if_unreferenced, uploaded_before=uploaded_before)
    for blob_id in await column(Blob.filter(temp_key__isnull=False), "id"):
        if await attempt(promote_if_referenced, database, store, blob_id):
            report.promoted += 1
        elif await attempt(expire, database, store, blob_id):
            report.deleted_temp += 1
    stale_keys = await store.stale_temp_keys(uploaded_before)
    known = set(await column(Blob.filter(temp_key__in=stale_keys), "temp_key"))
    for key in stale_keys:
        if key not in known:
            await store.delete_temp(key)
            report.deleted_orphan_files += 1
    for blob_id in await _unreferenced_permanent_ids():
        if await attempt(delete_permanent_if_unreferenced, database, store, blob_id):
            report.deleted_unreferenced += 1
    return report


async def _unreferenced_permanent_ids() -> list[int]:
    ids: list[int] = []
    for did in await column(Blob.filter(temp_key__isnull=True).distinct(), "did"):
        used = Subquery(RecordBlob.filter(did=did).values("blob_cid"))
        ids += await column(Blob.filter(did=did, temp_key__isnull=True).exclude(cid__in=used), "id")
    return ids
