"""``Intake``: an upload stream passed through a hash, a byte count and a size limit."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

from exprsn_pds.blobs.sniff import SNIFF_BYTES
from exprsn_pds.datamodel import RAW_CODEC, SHA2_256, Cid
from exprsn_pds.datamodel.cid import CID_VERSION
from exprsn_pds.errors import PayloadTooLarge


class Intake:
    """Watches an upload go by: its SHA-256, size and first bytes, within ``limit_bytes``
    (one blob's limit) and ``quota_left_bytes`` (what the account's quota leaves)."""

    def __init__(self, limit_bytes: int, *, quota_left_bytes: int | None = None) -> None:
        self.limit_bytes = limit_bytes
        self.quota_left_bytes = quota_left_bytes
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()

    async def chunks(self, source: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``source``'s chunks, unchanged; 413 PayloadTooLarge once past the limit."""
        async for chunk in source:
            self.size += len(chunk)
            if self.size > self.limit_bytes:
                raise PayloadTooLarge(f"Blob is over the {self.limit_bytes} byte limit")
            if self.quota_left_bytes is not None and self.size > self.quota_left_bytes:
                raise PayloadTooLarge(
                    f"Blob is over the {self.quota_left_bytes} bytes left of the account's"
                    " blob storage quota"
                )
            self._hash.update(chunk)
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            yield chunk

    @property
    def cid(self) -> Cid:
        """The blob CID of what went by: CIDv1, ``raw`` codec, SHA-256."""
        digest = self._hash.digest()
        return Cid(bytes((CID_VERSION, RAW_CODEC, SHA2_256, len(digest))) + digest)
