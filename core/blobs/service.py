"""``BlobService``: uploads, references from records, serving, garbage collection.

The life of a blob: :meth:`BlobService.upload` streams it to temporary storage and
records a temporary row; a record write references it (:meth:`BlobService.link`, inside
the write's transaction); after the commit :meth:`BlobService.settle` moves it to
permanent storage, and deletes the blobs no record uses any more. The garbage collector
deletes temporary blobs nobody referenced in time and finishes what a crash interrupted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import RawSQL, Subquery
from tortoise.functions import Max, Sum

from exprsn_pds.blobs.gc import GcReport, collect_garbage
from exprsn_pds.blobs.intake import Intake
from exprsn_pds.blobs.lifecycle import (
    attempt,
    column,
    delete_permanent_if_unreferenced,
    is_referenced,
    promote_if_referenced,
)
from exprsn_pds.blobs.refs import BlobRef, find_blob_refs
from exprsn_pds.blobs.sniff import choose_mime_type
from exprsn_pds.blobs.store import BlobNotStored, BlobStore
from exprsn_pds.datamodel import Cid
from exprsn_pds.errors import InvalidRequest, PayloadTooLarge, ServiceUnavailable
from exprsn_pds.logs import get_logger
from exprsn_pds.repo.models import Blob, Record, RecordBlob
from exprsn_pds.storage import Database
from exprsn_pds.tasks import stop_task

#: How often an upload retries recording itself when concurrent changes get in the way.
UPLOAD_RECORD_ATTEMPTS = 3
#: Rows per INSERT when recording many blob references at once.
BULK_ROWS = 500
# The record path (``collection/rkey``) of a ``record`` row, in SQL both databases speak.
_RECORD_PATH_SQL = "collection || '/' || rkey"

Clock = Callable[[], datetime]
log = get_logger(__name__)


def utc_now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class BlobNotFound(InvalidRequest):
    """400 ``BlobNotFound``: no such (permanent, servable) blob."""

    default_error = "BlobNotFound"


@dataclass(frozen=True)
class ServableBlob:
    """A blob that may be served (:meth:`BlobService.servable`): its sniffed type and size."""

    did: str
    cid: str
    mime_type: str
    size: int


class BlobService:
    """Blobs of the accounts hosted here, over a :class:`~exprsn_pds.blobs.store.BlobStore`.

    ``upload_limit_bytes`` bounds one blob and ``account_quota_bytes`` (``None``:
    unlimited) all of one account's, temporary uploads included; temporary blobs no
    record references are deleted ``temp_grace_s`` seconds after their upload; the
    garbage collector runs
    every ``gc_interval_s`` seconds once :meth:`start_gc` is called; ``clock`` says
    what time it is (tests move it).
    """

    def __init__(
        self,
        store: BlobStore,
        database: Database,
        *,
        upload_limit_bytes: int,
        temp_grace_s: float,
        gc_interval_s: float,
        account_quota_bytes: int | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.database = database
        self.upload_limit_bytes = upload_limit_bytes
        self.account_quota_bytes = account_quota_bytes
        self.temp_grace_s = temp_grace_s
        self.gc_interval_s = gc_interval_s
        self.clock = clock
        # Per DID, blobs that record writes stopped using: deletion candidates for settle().
        self._released: dict[str, set[str]] = {}
        self._gc_task: asyncio.Task[None] | None = None

    # --- Uploads -------------------------------------------------------------------------

    async def upload(
        self, did: str, chunks: AsyncIterator[bytes], declared_type: str | None
    ) -> BlobRef:
        """Store an upload of ``did`` as a temporary blob; its reference.

        The CID and size come from the bytes, the MIME type from their signature, else
        ``declared_type``. Over ``upload_limit_bytes``, or over what is left of
        ``account_quota_bytes``: 413 PayloadTooLarge and nothing kept. (The quota is read
        when the upload starts: uploads running at once may together pass it by what they
        carry.) A blob ``did`` already has keeps its stored metadata and bytes; one that
        records already reference (imported before their blobs) becomes permanent at once.
        """
        intake = Intake(self.upload_limit_bytes, quota_left_bytes=await self._quota_left(did))
        temp_key = await self.store.write_temp(intake.chunks(chunks))
        try:
            mime_type = choose_mime_type(intake.head, declared_type)
            blob = await self._record_upload(did, intake.cid, mime_type, intake.size, temp_key)
        except BaseException:
            await self.store.delete_temp(temp_key)
            raise
        if blob.temp_key is not None and await is_referenced(did, blob.cid):
            await attempt(promote_if_referenced, self.database, self.store, blob.id)
        return BlobRef(Cid.parse(blob.cid), blob.mime_type, blob.size)

    async def stored_bytes(self, did: str) -> int:
        """The bytes of every blob ``did`` has here, temporary uploads included."""
        rows = await Blob.filter(did=did).annotate(total=Sum("size")).values("total")
        return int(rows[0]["total"] or 0) if rows else 0

    async def _quota_left(self, did: str) -> int | None:
        if self.account_quota_bytes is None:
            return None
        used = await self.stored_bytes(did)
        if used >= self.account_quota_bytes:
            raise PayloadTooLarge(
                f"Blob storage quota of {self.account_quota_bytes} bytes is used up"
                f" ({used} bytes stored)"
            )
        return self.account_quota_bytes - used

    async def _record_upload(
        self, did: str, cid: Cid, mime_type: str, size: int, temp_key: str
    ) -> Blob:
        for _ in range(UPLOAD_RECORD_ATTEMPTS):
            async with self.database.transaction() as connection:
                known = (
                    await Blob.filter(did=did, cid=str(cid))
                    .select_for_update()
                    .using_db(connection)
                    .first()
                )
                if known is not None:
                    await self._reuse(connection, known, temp_key)
            if known is not None:
                await self.store.delete_temp(temp_key)
                return known
            try:
                return await Blob.create(
                    did=did, cid=str(cid), mime_type=mime_type, size=size,
                    temp_key=temp_key, created_at=self.clock(),
                )
            except IntegrityError:
                continue  # uploaded concurrently: reuse that row
        raise ServiceUnavailable("The blob is being changed concurrently; try again")

    async def _reuse(self, connection: BaseDBAsyncClient, known: Blob, temp_key: str) -> None:
        """A second upload of a blob (row locked on ``connection``): restart its grace, or
        repair its bytes."""
        if known.temp_key is not None:
            await Blob.filter(id=known.id).using_db(connection).update(created_at=self.clock())
            return
        cid = Cid.parse(known.cid)
        if not await self.store.exists(known.did, cid):
            log.warning("blob bytes were missing; restored from a new upload", did=known.did,
                        cid=known.cid)
            await self.store.promote(temp_key, known.did, cid)

    # --- References from records (inside the write transaction) ------------------------

    async def link(
        self,
        connection: BaseDBAsyncClient,
        did: str,
        path: str,
        record: dict[str, Any],
        *,
        verify: bool = True,
    ) -> None:
        """Record which blobs the record at ``path`` (created or updated) references.

        Runs on ``connection``, the write's transaction. Each blob must be stored for ``did`` with
        the referenced MIME type and size (400 InvalidRequest otherwise); ``verify=False``
        skips that, for imported repositories whose blobs arrive later
        (:meth:`missing_blobs`).
        """
        refs = find_blob_refs(record)
        await self.unlink(connection, did, path)
        if not refs:
            return
        if verify:
            await self._verify(connection, did, refs)
        cids = dict.fromkeys(str(ref.cid) for ref in refs)
        await RecordBlob.bulk_create(
            [RecordBlob(did=did, blob_cid=cid, record_path=path) for cid in cids],
            using_db=connection,
        )

    async def _verify(self, connection: BaseDBAsyncClient, did: str, refs: list[BlobRef]) -> None:
        # Locking the rows keeps the garbage collector off them until the write commits.
        stored = {
            blob.cid: blob
            for blob in await Blob.filter(did=did, cid__in=[str(ref.cid) for ref in refs])
            .order_by("id")
            .select_for_update()
            .using_db(connection)
        }
        for ref in refs:
            blob = stored.get(str(ref.cid))
            if blob is None:
                raise InvalidRequest(f"Could not find blob: {ref.cid}")
            if blob.takedown_ref is not None:
                raise InvalidRequest(f"Blob has been taken down: {ref.cid}")
            if ref.mime_type != blob.mime_type:
                raise InvalidRequest(
                    f"Blob {ref.cid} has MIME type {blob.mime_type}, not {ref.mime_type}"
                )
            if ref.size is not None and ref.size != blob.size:
                raise InvalidRequest(f"Blob {ref.cid} has {blob.size} bytes, not {ref.size}")

    async def relink_all(
        self,
        connection: BaseDBAsyncClient,
        did: str,
        records: Iterable[tuple[str, dict[str, Any]]],
    ) -> None:
        """Replace the blob references of all of ``did``'s records with those of
        ``records`` (``(path, record)`` pairs): the repo was replaced wholesale (an import).

        Runs on ``connection``, the write's transaction. The blobs need not be stored here yet:
        :meth:`missing_blobs` lists those that are not, and an upload of one makes it
        permanent at once.
        """
        links = RecordBlob.filter(did=did).using_db(connection)
        released = await column(links, "blob_cid")
        if released:
            await links.delete()
            self._released.setdefault(did, set()).update(released)
        await RecordBlob.bulk_create(
            [
                RecordBlob(did=did, blob_cid=cid, record_path=path)
                for path, record in records
                for cid in dict.fromkeys(str(ref.cid) for ref in find_blob_refs(record))
            ],
            batch_size=BULK_ROWS,
            using_db=connection,
        )

    async def unlink(self, connection: BaseDBAsyncClient, did: str, path: str) -> None:
        """Forget the blob references of the record at ``path`` (deleted, or about to change).

        Runs on ``connection``, the write's transaction.
        """
        links = RecordBlob.filter(did=did, record_path=path).using_db(connection)
        released = await column(links, "blob_cid")
        if released:
            await links.delete()
            self._released.setdefault(did, set()).update(released)

    async def settle(self, did: str) -> None:
        """After a write commits: make referenced blobs permanent, delete unused ones.

        Failures are logged, not raised (the write has committed); the garbage
        collector finishes the job later.
        """
        temp_ids = await column(Blob.filter(did=did, temp_key__isnull=False), "id")
        released = sorted(self._released.pop(did, set()))
        permanent_ids = (
            await column(Blob.filter(did=did, cid__in=released, temp_key__isnull=True), "id")
            if released
            else []
        )
        for blob_id in temp_ids:
            await attempt(promote_if_referenced, self.database, self.store, blob_id)
        for blob_id in permanent_ids:
            await attempt(
                delete_permanent_if_unreferenced, self.database, self.store, blob_id
            )

    # --- Serving ---------------------------------------------------------------------------

    async def servable(self, did: str, cid: Cid) -> ServableBlob | None:
        """``did``'s blob ``cid`` if it may be served: stored here for that account,
        permanent (a record uses it) and not taken down; ``None`` otherwise.

        The account's standing is a separate question (:meth:`RepoService.readable`).
        """
        blob = await self._servable_row(did, cid)
        return None if blob is None else ServableBlob(did, blob.cid, blob.mime_type, blob.size)

    async def _servable_row(self, did: str, cid: Cid) -> Blob | None:
        return await Blob.get_or_none(
            did=did, cid=str(cid), temp_key__isnull=True, takedown_ref__isnull=True
        )

    async def read(self, did: str, cid: Cid) -> tuple[Blob, AsyncIterator[bytes]]:
        """A permanent blob's row and bytes; 400 BlobNotFound if absent, temporary or taken down."""
        blob = await self._servable_row(did, cid)
        if blob is None:
            raise BlobNotFound("Blob not found")
        try:
            chunks = await self.store.read(did, cid)
        except BlobNotStored as error:
            log.error("blob bytes are missing", did=did, cid=str(cid))
            raise BlobNotFound("Blob not found") from error
        return blob, chunks

    async def list_blobs(
        self, did: str, *, since: str | None = None, cursor: str | None = None, limit: int
    ) -> list[str]:
        """CIDs (ascending, after ``cursor``) of ``did``'s permanent blobs that records use.

        With ``since``, only blobs of records written in a later revision.
        """
        users = RecordBlob.filter(did=did)
        if since is not None:
            paths = (
                Record.filter(did=did, rev__gt=since)
                .annotate(path=RawSQL(_RECORD_PATH_SQL))
                .values("path")
            )
            users = users.filter(record_path__in=Subquery(paths))
        query = Blob.filter(
            did=did, temp_key__isnull=True, cid__in=Subquery(users.values("blob_cid"))
        )
        if cursor is not None:
            query = query.filter(cid__gt=cursor)
        return await column(query.order_by("cid").limit(limit), "cid")

    async def missing_blobs(
        self, did: str, *, cursor: str | None = None, limit: int
    ) -> list[dict[str, str]]:
        """Blobs ``did``'s records reference but this server does not have: ``{cid, recordUri}``.

        One record per blob, CIDs ascending after ``cursor``.
        """
        query = RecordBlob.filter(did=did).exclude(
            blob_cid__in=Subquery(Blob.filter(did=did).values("cid"))
        )
        if cursor is not None:
            query = query.filter(blob_cid__gt=cursor)
        rows = await (
            query.group_by("blob_cid")
            .annotate(path=Max("record_path"))
            .order_by("blob_cid")
            .limit(limit)
            .values("blob_cid", "path")
        )
        return [{"cid": row["blob_cid"], "recordUri": f"at://{did}/{row['path']}"} for row in rows]

    async def import_counts(self, did: str) -> tuple[int, int]:
        """How many blobs ``did``'s records use, and how many of those are here (permanent).

        What ``checkAccountStatus`` reports while an account moves here.
        """
        expected = await RecordBlob.filter(did=did).distinct().values_list("blob_cid", flat=True)
        if not expected:
            return 0, 0
        imported = await Blob.filter(
            did=did, cid__in=list(expected), temp_key__isnull=True
        ).count()
        return len(expected), imported

    # --- Takedowns ---------------------------------------------------------------------------

    async def takedown_ref(self, did: str, cid: str) -> tuple[bool, str | None]:
        """Whether ``did`` has blob ``cid``, and its takedown reference (``None``: served)."""
        blob = await Blob.get_or_none(did=did, cid=cid)
        return (False, None) if blob is None else (True, blob.takedown_ref)

    async def set_takedown(self, did: str, cid: str, ref: str | None) -> bool:
        """Take ``did``'s blob ``cid`` down under ``ref`` (``None``: lift); whether it exists."""
        return bool(await Blob.filter(did=did, cid=cid).update(takedown_ref=ref))

    # --- Garbage collection ------------------------------------------------------------

    async def collect_garbage(self) -> GcReport:
        """One garbage collection pass (see :func:`~exprsn_pds.blobs.gc.collect_garbage`)."""
        uploaded_before = self.clock() - timedelta(seconds=self.temp_grace_s)
        return await collect_garbage(self.database, self.store, uploaded_before=uploaded_before)

    async def run_gc_forever(self) -> None:
        """Collect garbage now and every ``gc_interval_s`` seconds, logging what went."""
        while True:
            try:
                report = await self.collect_garbage()
            except Exception:  # the next pass may succeed
                log.exception("blob garbage collection failed")
            else:
                if report:
                    log.info("blob garbage collected", **asdict(report))
            await asyncio.sleep(self.gc_interval_s)

    def start_gc(self) -> None:
        """Run :meth:`run_gc_forever` in the background (idempotent)."""
        if self._gc_task is None:
            self._gc_task = asyncio.create_task(self.run_gc_forever(), name="blob-gc")

    async def stop_gc(self) -> None:
        """Stop the background garbage collector, if running."""
        task, self._gc_task = self._gc_task, None
        await stop_task(task)
