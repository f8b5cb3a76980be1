"""Blobs: uploads, their references from records, storage backends and serving.

- :class:`BlobStore`: where the bytes live; a plugin provides it through
  ``pds_blobstore`` (the built-in ``blob`` plugin: :class:`LocalDiskBlobStore`).
- :class:`BlobService`: uploads (CID, size, sniffed MIME type), record references
  checked in the write transaction, promotion to permanent storage after the commit,
  serving, listing and garbage collection.
- :class:`BlobRef` and :func:`find_blob_refs`: the ``blob`` value of the data model.
"""

from exprsn_pds.blobs.gc import GcReport
from exprsn_pds.blobs.local import LocalDiskBlobStore
from exprsn_pds.blobs.refs import BlobRef, find_blob_refs
from exprsn_pds.blobs.service import BlobNotFound, BlobService, ServableBlob
from exprsn_pds.blobs.sniff import choose_mime_type, sniff_mime_type
from exprsn_pds.blobs.store import BlobNotStored, BlobStore

__all__ = [
    "BlobNotFound",
    "BlobNotStored",
    "BlobRef",
    "BlobService",
    "BlobStore",
    "GcReport",
    "LocalDiskBlobStore",
    "ServableBlob",
    "choose_mime_type",
    "find_blob_refs",
    "sniff_mime_type",
]
