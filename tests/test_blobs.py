"""Blobs: the local-disk store, sniffing, the service's life cycle, and the XRPC methods."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from exprsn_pds import InvalidRequest, PayloadTooLarge
from exprsn_pds.blobs import (
    BlobNotFound,
    BlobNotStored,
    BlobRef,
    BlobService,
    LocalDiskBlobStore,
    choose_mime_type,
    find_blob_refs,
    sniff_mime_type,
)
from exprsn_pds.blobs.local import did_folder_name
from exprsn_pds.datamodel import Cid
from exprsn_pds.plugins import blob as blob_plugin
from exprsn_pds.repo.models import Blob, Record
from exprsn_pds.storage import Database, ModelApp

REPO_APP = ModelApp(
    label="repo", models=["exprsn_pds.repo.models"], migrations="exprsn_pds.repo.migrations"
)
ALICE = "did:plc:alice"
BOB = "did:plc:bob"
POST = "app.bsky.feed.post"
UPLOAD_LIMIT_BYTES = 4096
TEMP_GRACE_S = 6 * 3600
GC_INTERVAL_S = 0.01
CHUNK_BYTES = 100
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg body" * 20
WAIT_S = 5.0


async def chunked(data: bytes, size: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
    """``data`` as an upload stream of ``size``-byte chunks."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def joined(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


def files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# --- The local-disk store ------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> LocalDiskBlobStore:
    return LocalDiskBlobStore(tmp_path / "blobs", chunk_bytes=CHUNK_BYTES)


@pytest.mark.parametrize(
    ("did", "folder"),
    [
        ("did:plc:ewvi7nxzyoun6zhxrhs64oiz", "did_3aplc_3aewvi7nxzyoun6zhxrhs64oiz"),
        ("did:web:example.com%3A8080", "did_3aweb_3aexample_2ecom_253_418080"),
        ("did:web:Ex_a", "did_3aweb_3a_45x_5fa"),
    ],
)
def test_a_did_becomes_a_safe_folder_name(did: str, folder: str) -> None:
    assert did_folder_name(did) == folder


def test_a_long_did_becomes_a_hashed_folder_name() -> None:
    did = "did:web:" + "a" * 1000
    assert did_folder_name(did) == "~" + hashlib.sha256(did.encode()).hexdigest()


def test_similar_dids_get_different_folders() -> None:
    assert did_folder_name("did:web:a_b") != did_folder_name("did:web:a:b")


def test_temporary_keys_cannot_name_other_files(store: LocalDiskBlobStore) -> None:
    with pytest.raises(ValueError, match="not a temporary blob key"):
        store.temp_path("../repos/x")


async def test_a_temporary_object_reads_back_and_deletes(store: LocalDiskBlobStore) -> None:
    key = await store.write_temp(chunked(PNG))
    assert await joined(await store.read_temp(key)) == PNG
    await store.delete_temp(key)
    with pytest.raises(BlobNotStored):
        await store.read_temp(key)


async def test_a_failed_write_leaves_no_temporary_file(store: LocalDiskBlobStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield PNG
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.write_temp(broken())
    assert files(store.root) == []


async def test_promotion_moves_the_bytes_and_can_be_repeated(store: LocalDiskBlobStore) -> None:
    cid = Cid.for_raw(PNG)
    key = await store.write_temp(chunked(PNG))
    await store.promote(key, ALICE, cid)
    await store.promote(key, ALICE, cid)
    assert await store.exists(ALICE, cid)
    assert not await store.exists(BOB, cid)
    assert await joined(await store.read(ALICE, cid)) == PNG
    assert files(store.temp_folder) == []


async def test_promoting_a_lost_object_fails(store: LocalDiskBlobStore) -> None:
    key = await store.write_temp(chunked(PNG))
    await store.delete_temp(key)
    with pytest.raises(BlobNotStored):
        await store.promote(key, ALICE, Cid.for_raw(PNG))


async def test_a_deleted_blob_is_gone(store: LocalDiskBlobStore) -> None:
    cid = Cid.for_raw(PNG)
    await store.promote(await store.write_temp(chunked(PNG)), ALICE, cid)
    await store.delete(ALICE, cid)
    await store.delete(ALICE, cid)
    with pytest.raises(BlobNotStored):
        await store.read(ALICE, cid)


# --- MIME types and references --------------------------------------------------------------


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\0\0\0\0" + b"".join(compatible)
    return (len(body) + 4).to_bytes(4, "big") + body + b"\0" * 16


@pytest.mark.parametrize(
    ("head", "mime_type"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (_ftyp(b"avif", b"mif1", b"miaf"), "image/avif"),
        (_ftyp(b"mif1", b"heic"), "image/heic"),
        (_ftyp(b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (_ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (_ftyp(b"M4A ", b"isom"), "audio/mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x00", "audio/mpeg"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"hello, world", None),
        (b"\xff\xf1\x50\x80", None),  # AAC (ADTS), not MP3
    ],
)
def test_sniffing_recognises_signatures(head: bytes, mime_type: str | None) -> None:
    assert sniff_mime_type(head) == mime_type


@pytest.mark.parametrize(
    ("head", "declared", "chosen"),
    [
        (PNG, "image/jpeg", "image/png"),
        (b"\x00\x01binary", "application/x-thing", "application/x-thing"),
        (b"# Title\n", "text/markdown; charset=utf-8", "text/markdown"),
        (b"caf\xc3", "text/plain", "text/plain"),  # cut inside a character
        (b"\x00\x01binary", "text/plain", "application/octet-stream"),
        (b"\x00\x01binary", None, "application/octet-stream"),
        (b"\x00\x01binary", "*/*", "application/octet-stream"),
        (b"\x00\x01binary", "not a type", "application/octet-stream"),
    ],
)
def test_the_sniffed_type_wins_over_the_declared_one(
    head: bytes, declared: str | None, chosen: str
) -> None:
    assert choose_mime_type(head, declared) == chosen


def test_blob_refs_are_found_anywhere_in_a_record() -> None:
    image, video = Cid.for_raw(PNG), Cid.for_raw(JPEG)
    record = {
        "$type": POST,
        "embed": {"images": [{"image": {"$type": "blob", "ref": image, "mimeType": "image/png",
                                        "size": 10}, "alt": ""}]},
        "legacy": {"cid": str(video), "mimeType": "image/jpeg"},
        "strongRef": {"uri": "at://x", "cid": str(video)},
    }
    assert find_blob_refs(record) == [
        BlobRef(image, "image/png", 10),
        BlobRef(video, "image/jpeg", None),
    ]


def test_a_blob_ref_has_a_json_form() -> None:
    cid = Cid.for_raw(PNG)
    assert BlobRef(cid, "image/png", 3).to_json() == {
        "$type": "blob", "ref": {"$link": str(cid)}, "mimeType": "image/png", "size": 3
    }
    assert BlobRef(cid, "image/png", None).to_json() == {"cid": str(cid), "mimeType": "image/png"}


# --- The service, on both databases --------------------------------------------------------


@pytest.fixture
async def database(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(database_url, [REPO_APP], tmp_path)
    await db.connect()
    try:
        await db.migrate()
        yield db
    finally:
        await db.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_service(store: LocalDiskBlobStore, database: Database, clock: FakeClock) -> BlobService:
    return BlobService(
        store,
        database,
        upload_limit_bytes=UPLOAD_LIMIT_BYTES,
        temp_grace_s=TEMP_GRACE_S,
        gc_interval_s=GC_INTERVAL_S,
        clock=clock,
    )


@pytest.fixture
def blobs(store: LocalDiskBlobStore, database: Database, clock: FakeClock) -> BlobService:
    return make_service(store, database, clock)


def post_with(*refs: BlobRef) -> dict[str, Any]:
    images = [
        {"alt": "", "image": {"$type": "blob", "ref": ref.cid, "mimeType": ref.mime_type,
                              "size": ref.size}}
        for ref in refs
    ]
    return {"$type": POST, "text": "look", "embed": {"images": images}}


async def link(blobs: BlobService, did: str, path: str, record: dict[str, Any]) -> None:
    async with blobs.database.transaction() as connection:
        await blobs.link(connection, did, path, record)


async def unlink(blobs: BlobService, did: str, path: str) -> None:
    async with blobs.database.transaction() as connection:
        await blobs.unlink(connection, did, path)


async def upload(blobs: BlobService, data: bytes, did: str = ALICE) -> BlobRef:
    return await blobs.upload(did, chunked(data), None)


async def published(blobs: BlobService, data: bytes, path: str = f"{POST}/1") -> BlobRef:
    """An uploaded blob, referenced by a committed record and settled."""
    ref = await upload(blobs, data)
    await link(blobs, ALICE, path, post_with(ref))
    await blobs.settle(ALICE)
    return ref


async def test_an_upload_gets_its_cid_size_and_sniffed_type(blobs: BlobService) -> None:
    ref = await blobs.upload(ALICE, chunked(PNG), "image/jpeg")
    assert ref == BlobRef(Cid.for_raw(PNG), "image/png", len(PNG))
    assert ref.cid.codec == 0x55


async def test_an_upload_keeps_the_declared_type_of_unrecognised_bytes(
    blobs: BlobService,
) -> None:
    ref = await blobs.upload(ALICE, chunked(b"plain words"), "text/plain")
    assert ref.mime_type == "text/plain"


async def test_an_upload_over_the_limit_is_413_and_leaves_nothing(
    blobs: BlobService, store: LocalDiskBlobStore
) -> None:
    with pytest.raises(PayloadTooLarge):
        await upload(blobs, b"x" * (UPLOAD_LIMIT_BYTES + 1))
    assert files(store.root) == []
    assert await Blob.all().count() == 0


async def test_uploads_stop_at_the_account_quota_and_leave_nothing(
    store: LocalDiskBlobStore, database: Database, clock: FakeClock
) -> None:
    quota = 100
    blobs = BlobService(
        store,
        database,
        upload_limit_bytes=UPLOAD_LIMIT_BYTES,
        account_quota_bytes=quota,
        temp_grace_s=TEMP_GRACE_S,
        gc_interval_s=GC_INTERVAL_S,
        clock=clock,
    )
    await upload(blobs, b"a" * 60)
    with pytest.raises(PayloadTooLarge, match="40 bytes left of the account's blob storage"):
        await upload(blobs, b"b" * 60)
    assert await blobs.stored_bytes(ALICE) == 60
    await upload(blobs, b"c" * 40)
    with pytest.raises(PayloadTooLarge, match="quota of 100 bytes is used up"):
        await upload(blobs, b"d")
    await upload(blobs, b"e", did=BOB)  # another account's quota is its own
    assert (await blobs.stored_bytes(ALICE), await blobs.stored_bytes(BOB)) == (100, 1)
    assert len(files(store.root)) == 3


async def test_an_uploaded_blob_is_temporary_and_not_served(
    blobs: BlobService, store: LocalDiskBlobStore
) -> None:
    ref = await upload(blobs, PNG)
    blob = await Blob.get(did=ALICE, cid=str(ref.cid))
    assert blob.temp_key is not None
    assert len(files(store.temp_folder)) == 1
    with pytest.raises(BlobNotFound):
        await blobs.read(ALICE, ref.cid)


async def test_uploading_a_stored_blob_again_keeps_one_copy(
    blobs: BlobService, store: LocalDiskBlobStore
) -> None:
    ref = await published(blobs, PNG)
    assert await upload(blobs, PNG) == ref
    assert files(store.temp_folder) == []
    assert await Blob.filter(did=ALICE).count() == 1


async def test_uploading_a_temporary_blob_again_restarts_its_grace_period(
    blobs: BlobService, store: LocalDiskBlobStore, clock: FakeClock
) -> None:
    await upload(blobs, PNG)
    clock.advance(TEMP_GRACE_S - 1)
    await upload(blobs, PNG)
    clock.advance(2)
    await blobs.collect_garbage()
    assert len(files(store.temp_folder)) == 1
    assert await Blob.filter(did=ALICE).count() == 1


async def test_a_new_upload_restores_lost_bytes(
    blobs: BlobService, store: LocalDiskBlobStore
) -> None:
    ref = await published(blobs, PNG)
    await store.delete(ALICE, ref.cid)
    await upload(blobs, PNG)
    _, chunks = await blobs.read(ALICE, ref.cid)
    assert await joined(chunks) == PNG


async def test_link_rejects_an_unknown_blob(blobs: BlobService) -> None:
    ref = BlobRef(Cid.for_raw(PNG), "image/png", len(PNG))
    with pytest.raises(InvalidRequest, match=f"Could not find blob: {ref.cid}"):
        await link(blobs, ALICE, f"{POST}/1", post_with(ref))


async def test_link_rejects_another_accounts_blob(blobs: BlobService) -> None:
    ref = await upload(blobs, PNG, did=BOB)
    with pytest.raises(InvalidRequest, match="Could not find blob"):
        await link(blobs, ALICE, f"{POST}/1", post_with(ref))


async def test_link_rejects_a_mismatched_mime_type(blobs: BlobService) -> None:
    ref = await upload(blobs, PNG)
    with pytest.raises(InvalidRequest, match="MIME type image/png, not image/jpeg") as caught:
        await link(blobs, ALICE, f"{POST}/1", post_with(BlobRef(ref.cid, "image/jpeg", ref.size)))
    assert caught.value.status == 400


async def test_link_rejects_a_mismatched_size(blobs: BlobService) -> None:
    ref = await upload(blobs, PNG)
    with pytest.raises(InvalidRequest, match=f"{len(PNG)} bytes, not 1"):
        await link(blobs, ALICE, f"{POST}/1", post_with(BlobRef(ref.cid, ref.mime_type, 1)))


async def test_link_accepts_the_legacy_form(blobs: BlobService) -> None:
    ref = await upload(blobs, PNG)
    legacy = {"$type": POST, "avatar": {"cid": str(ref.cid), "mimeType": "image/png"}}
    await link(blobs, ALICE, f"{POST}/1", legacy)
    await blobs.settle(ALICE)
    blob, _ = await blobs.read(ALICE, ref.cid)
    assert blob.size == len(PNG)


async def test_settle_makes_a_referenced_blob_permanent_and_served(
    blobs: BlobService, store: LocalDiskBlobStore
) -> None:
    ref = await published(blobs, PNG)
    blob, chunks = await blobs.read(ALICE, ref.cid)
    assert (blob.temp_key, blob.mime_type, blob.size) == (None, "image/png", len(PNG))
    assert await joined(chunks) == PNG
    assert files(store.temp_folder) == []


async def test_settle_logs_rather_than_raises_when_bytes_are_lost(
    blobs: BlobService, store: LocalDiskBlobStore
) -> None:
    ref = await upload(blobs, PNG)
    for path in files(store.temp_folder):
        path.unlink()
    await link(blobs, ALICE, f"{POST}/1", post_with(ref))
    await blobs.settle(ALICE)  # the write has committed: no error reaches the caller
    with pytest.raises(BlobNotFound):
        await blobs.read(ALICE, ref.cid)


async def test_link_rejects_a_taken_down_blob(blobs: BlobService) -> None:
    ref = await published(blobs, PNG)
    await Blob.filter(did=ALICE, cid=str(ref.cid)).update(takedown_ref="report-1")
    with pytest.raises(InvalidRequest, match="taken down"):
        await link(blobs, ALICE, f"{POST}/2", post_with(ref))


async def test_deleting_the_last_record_using_a_blob_deletes_it(
    blobs: BlobService, store: LocalDiskBlobStore
) -> None:
    ref = await published(blobs, PNG)
    await unlink(blobs, ALICE, f"{POST}/1")
    await blobs.settle(ALICE)
    assert files(store.root) == []
    assert not await Blob.exists(did=ALICE, cid=str(ref.cid))


async def test_a_blob_two_records_use_survives_one_deletion(blobs: BlobService) -> None:
    ref = await published(blobs, PNG, f"{POST}/1")
    await link(blobs, ALICE, f"{POST}/2", post_with(ref))
    await unlink(blobs, ALICE, f"{POST}/1")
    await blobs.settle(ALICE)
    _, chunks = await blobs.read(ALICE, ref.cid)
    assert await joined(chunks) == PNG


async def test_updating_a_record_releases_the_blobs_it_no_longer_uses(
    blobs: BlobService,
) -> None:
    old = await published(blobs, PNG)
    new = await upload(blobs, JPEG)
    await link(blobs, ALICE, f"{POST}/1", post_with(new))
    await blobs.settle(ALICE)
    assert [b.cid for b in await Blob.filter(did=ALICE)] == [str(new.cid)]
    with pytest.raises(BlobNotFound):
        await blobs.read(ALICE, old.cid)


async def test_a_taken_down_blob_is_not_served(blobs: BlobService) -> None:
    ref = await published(blobs, PNG)
    await Blob.filter(did=ALICE, cid=str(ref.cid)).update(takedown_ref="report-1")
    with pytest.raises(BlobNotFound):
        await blobs.read(ALICE, ref.cid)


async def test_gc_deletes_old_unreferenced_temporary_blobs(
    blobs: BlobService, store: LocalDiskBlobStore, clock: FakeClock
) -> None:
    await upload(blobs, PNG)
    clock.advance(TEMP_GRACE_S + 1)
    report = await blobs.collect_garbage()
    assert report.deleted_temp == 1
    assert files(store.root) == []
    assert await Blob.all().count() == 0


async def test_gc_keeps_young_temporary_blobs(
    blobs: BlobService, store: LocalDiskBlobStore, clock: FakeClock
) -> None:
    await upload(blobs, PNG)
    clock.advance(TEMP_GRACE_S - 1)
    assert not await blobs.collect_garbage()
    assert len(files(store.temp_folder)) == 1


async def test_gc_promotes_referenced_temporary_blobs_instead_of_deleting_them(
    blobs: BlobService, clock: FakeClock
) -> None:
    ref = await upload(blobs, PNG)
    await link(blobs, ALICE, f"{POST}/1", post_with(ref))  # committed; settle never ran
    clock.advance(TEMP_GRACE_S + 1)
    report = await blobs.collect_garbage()
    assert (report.promoted, report.deleted_temp) == (1, 0)
    _, chunks = await blobs.read(ALICE, ref.cid)
    assert await joined(chunks) == PNG


async def test_gc_deletes_temporary_files_of_interrupted_uploads(
    blobs: BlobService, store: LocalDiskBlobStore, clock: FakeClock
) -> None:
    await store.write_temp(chunked(PNG))  # the database never heard of it
    await link(blobs, ALICE, f"{POST}/1", post_with(await upload(blobs, JPEG)))
    clock.advance(TEMP_GRACE_S + 1)
    report = await blobs.collect_garbage()
    assert report.deleted_orphan_files == 1
    assert files(store.temp_folder) == []


async def test_gc_deletes_permanent_blobs_a_crash_left_unreferenced(
    blobs: BlobService, store: LocalDiskBlobStore, database: Database, clock: FakeClock
) -> None:
    await published(blobs, PNG)
    await unlink(blobs, ALICE, f"{POST}/1")  # committed, then the process died
    restarted = make_service(store, database, clock)
    report = await restarted.collect_garbage()
    assert report.deleted_unreferenced == 1
    assert files(store.root) == []


async def test_the_background_gc_runs_until_stopped(
    blobs: BlobService, store: LocalDiskBlobStore, clock: FakeClock
) -> None:
    await upload(blobs, PNG)
    clock.advance(TEMP_GRACE_S + 1)
    blobs.start_gc()
    try:
        async with asyncio.timeout(WAIT_S):
            while files(store.root):
                await asyncio.sleep(GC_INTERVAL_S)
    finally:
        await blobs.stop_gc()
    await blobs.stop_gc()


async def test_list_blobs_pages_through_permanent_blobs(blobs: BlobService) -> None:
    cids = sorted([str((await published(blobs, data, f"{POST}/{i}")).cid)
                   for i, data in enumerate([PNG, JPEG, b"third"])])
    await upload(blobs, b"temporary")
    first = await blobs.list_blobs(ALICE, limit=2)
    rest = await blobs.list_blobs(ALICE, cursor=first[-1], limit=2)
    assert (first, rest) == (cids[:2], cids[2:])


async def test_list_blobs_since_a_revision(blobs: BlobService) -> None:
    old = await published(blobs, PNG, f"{POST}/old")
    new = await published(blobs, JPEG, f"{POST}/new")
    await Record.create(did=ALICE, collection=POST, rkey="old", cid="x", rev="3kaaaaaaaaa22")
    await Record.create(did=ALICE, collection=POST, rkey="new", cid="y", rev="3kaaaaaaaaa44")
    assert await blobs.list_blobs(ALICE, since="3kaaaaaaaaa33", limit=10) == [str(new.cid)]
    assert sorted(await blobs.list_blobs(ALICE, since="3kaaaaaaaaa11", limit=10)) == sorted(
        [str(old.cid), str(new.cid)]
    )


async def test_missing_blobs_are_references_without_stored_bytes(blobs: BlobService) -> None:
    stored = await published(blobs, PNG, f"{POST}/1")
    absent = BlobRef(Cid.for_raw(b"elsewhere"), "image/png", 9)
    async with blobs.database.transaction() as connection:  # as an imported repository would
        await blobs.link(connection, ALICE, f"{POST}/2", post_with(stored, absent), verify=False)
    assert await blobs.missing_blobs(ALICE, limit=10) == [
        {"cid": str(absent.cid), "recordUri": f"at://{ALICE}/{POST}/2"}
    ]
    assert await blobs.missing_blobs(ALICE, cursor=str(absent.cid), limit=10) == []


# --- Over XRPC -------------------------------------------------------------------------------


@pytest.fixture
async def client(client_factory: Any, settings_factory: Any) -> Any:
    settings = settings_factory(blobs={"upload_limit_bytes": UPLOAD_LIMIT_BYTES})
    return await client_factory(settings)


async def xrpc_upload(client: Any, account: Any, data: bytes, mime_type: str) -> Any:
    return await client.post(
        "/xrpc/com.atproto.repo.uploadBlob",
        data=data,
        headers={**account.headers, "Content-Type": mime_type},
    )


async def xrpc_post(
    client: Any, account: Any, blob: dict[str, Any], rkey: str = "3kznmn7xq2222"
) -> Any:
    return await client.post(
        "/xrpc/com.atproto.repo.putRecord",
        json={
            "repo": account.did, "collection": POST, "rkey": rkey,
            "record": {"$type": POST, "text": "look", "createdAt": "2024-05-01T12:00:00.000Z",
                       "embed": {"$type": "app.bsky.embed.images",
                                 "images": [{"alt": "", "image": blob}]}},
        },
        headers=account.headers,
    )


async def test_upload_blob_answers_the_blob_reference(client: Any, alice: Any) -> None:
    response = await xrpc_upload(client, alice, PNG, "application/octet-stream")
    assert response.status_code == 200
    assert await response.get_json() == {"blob": {
        "$type": "blob", "ref": {"$link": str(Cid.for_raw(PNG))}, "mimeType": "image/png",
        "size": len(PNG),
    }}


async def test_upload_blob_needs_a_session(client: Any) -> None:
    response = await client.post(
        "/xrpc/com.atproto.repo.uploadBlob", data=PNG, headers={"Content-Type": "image/png"}
    )
    assert response.status_code == 401


async def test_upload_blob_over_the_limit_is_413(client: Any, alice: Any) -> None:
    response = await xrpc_upload(client, alice, b"x" * (UPLOAD_LIMIT_BYTES + 1), "text/plain")
    assert response.status_code == 413
    assert (await response.get_json())["error"] == "PayloadTooLarge"


async def test_get_blob_serves_a_posted_blob_as_a_safe_download(client: Any, alice: Any) -> None:
    blob = (await (await xrpc_upload(client, alice, PNG, "image/png")).get_json())["blob"]
    posted = await xrpc_post(client, alice, blob)
    assert posted.status_code == 200, await posted.get_json()
    cid = blob["ref"]["$link"]
    response = await client.get(f"/xrpc/com.atproto.sync.getBlob?did={alice.did}&cid={cid}")
    assert response.status_code == 200
    assert await response.get_data() == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Length"] == str(len(PNG))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Content-Disposition"] == f"attachment; filename={cid}"


async def test_a_record_referencing_an_unknown_blob_is_refused(client: Any, alice: Any) -> None:
    cid = str(Cid.for_raw(PNG))
    blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/png", "size": len(PNG)}
    response = await xrpc_post(client, alice, blob)
    assert response.status_code == 400
    assert (await response.get_json())["message"] == f"Could not find blob: {cid}"


async def test_get_blob_does_not_serve_temporary_blobs(client: Any, alice: Any) -> None:
    blob = (await (await xrpc_upload(client, alice, PNG, "image/png")).get_json())["blob"]
    response = await client.get(
        f"/xrpc/com.atproto.sync.getBlob?did={alice.did}&cid={blob['ref']['$link']}"
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "BlobNotFound"


async def test_get_blob_of_an_unknown_repo_is_repo_not_found(client: Any) -> None:
    cid = Cid.for_raw(PNG)
    response = await client.get(f"/xrpc/com.atproto.sync.getBlob?did=did:plc:nobody&cid={cid}")
    assert (await response.get_json())["error"] == "RepoNotFound"


async def test_list_blobs_and_missing_blobs_over_xrpc(client: Any, alice: Any) -> None:
    blob = (await (await xrpc_upload(client, alice, PNG, "image/png")).get_json())["blob"]
    await xrpc_post(client, alice, blob)
    listed = await client.get(f"/xrpc/com.atproto.sync.listBlobs?did={alice.did}")
    assert await listed.get_json() == {"cids": [blob["ref"]["$link"]]}
    missing = await client.get("/xrpc/com.atproto.repo.listMissingBlobs", headers=alice.headers)
    assert await missing.get_json() == {"blobs": []}


def test_the_blob_plugin_stores_under_the_data_directory(tmp_path: Path) -> None:
    pds = SimpleNamespace(settings=SimpleNamespace(data_directory=tmp_path))
    store = blob_plugin.pds_blobstore(pds)
    assert isinstance(store, LocalDiskBlobStore)
    assert store.root == tmp_path / "blobs"
