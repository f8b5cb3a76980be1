"""The ``blob`` plugin: blob upload and download, listings, the local-disk store, the GC.

Serves ``com.atproto.repo.uploadBlob``, ``com.atproto.repo.listMissingBlobs``,
``com.atproto.sync.getBlob`` and ``com.atproto.sync.listBlobs``; provides the default
blob store (files under ``<data_directory>/blobs``) unless another plugin's
``pds_blobstore`` answers first; runs the blob garbage collector while serving.
"""

from __future__ import annotations

from exprsn_pds import (
    BlobStore,
    Pds,
    XrpcRegistrar,
    access_auth,
    account_standard_auth,
    hookimpl,
    optional_auth,
)
from exprsn_pds.blobs import LocalDiskBlobStore
from exprsn_pds.plugins.blob import handlers
from exprsn_pds.ratelimit.official import UPLOAD_BLOB_DAY

BLOBS_FOLDER = "blobs"


@hookimpl(trylast=True)
def pds_blobstore(pds: Pds) -> BlobStore:
    """Blobs as files under ``<data_directory>/blobs`` (the fallback store)."""
    return LocalDiskBlobStore(pds.settings.data_directory / BLOBS_FOLDER)


@hookimpl
def pds_register_xrpc(registry: XrpcRegistrar, pds: Pds) -> None:
    """Serve the blob methods; uploads may be as large as ``blobs.upload_limit_bytes``
    and as many as ``upload-blob-day`` allows."""
    registry.add(
        "com.atproto.repo.uploadBlob",
        handlers.upload_blob,
        auth=account_standard_auth,
        max_body_bytes=pds.settings.blob_upload_limit_bytes,
        rate_limits=[UPLOAD_BLOB_DAY],
    )
    registry.add("com.atproto.repo.listMissingBlobs", handlers.list_missing_blobs, auth=access_auth)
    registry.add("com.atproto.sync.getBlob", handlers.get_blob, auth=optional_auth)
    registry.add("com.atproto.sync.listBlobs", handlers.list_blobs, auth=optional_auth)


@hookimpl
def pds_startup(pds: Pds) -> None:
    """Start the blob garbage collector."""
    pds.blobs.start_gc()


@hookimpl
async def pds_shutdown(pds: Pds) -> None:
    """Stop the blob garbage collector."""
    await pds.blobs.stop_gc()
