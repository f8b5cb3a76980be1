"""``BlobStore``: where blob bytes live (the backend a plugin chooses via ``pds_blobstore``).

A store knows two kinds of object. A *temporary* object holds an upload that no record
references yet; it is named by the opaque key :meth:`BlobStore.write_temp` returns. A
*permanent* object is a blob of one account, named by (DID, CID). The database, not the
store, knows which objects are in use: the store only keeps bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

from exprsn_pds.datamodel import Cid


class BlobNotStored(LookupError):
    """The store holds no such object."""


class BlobStore(Protocol):
    """Blob bytes, temporary and permanent. Every method is safe to call concurrently."""

    async def write_temp(self, chunks: AsyncIterator[bytes]) -> str:
        """Store ``chunks`` as a new temporary object; its key.

        The object is durable when this returns. If ``chunks`` raises, nothing is left
        behind and the exception propagates.
        """
        ...

    async def promote(self, temp_key: str, did: str, cid: Cid) -> None:
        """Make temporary object ``temp_key`` the permanent blob ``cid`` of ``did``, durably.

        Idempotent: when the temporary object is gone but the permanent one exists (an
        earlier promotion), this succeeds; when both are missing it raises
        :class:`BlobNotStored`.
        """
        ...

    async def read(self, did: str, cid: Cid) -> AsyncIterator[bytes]:
        """The bytes of a permanent blob, as chunks; :class:`BlobNotStored` if absent.

        The check happens here, before the first chunk is asked for.
        """
        ...

    async def read_temp(self, temp_key: str) -> AsyncIterator[bytes]:
        """The bytes of a temporary object, as chunks; :class:`BlobNotStored` if absent."""
        ...

    async def exists(self, did: str, cid: Cid) -> bool:
        """Whether the permanent blob ``cid`` of ``did`` is stored."""
        ...

    async def delete(self, did: str, cid: Cid) -> None:
        """Delete a permanent blob (no error if it is absent)."""
        ...

    async def delete_temp(self, temp_key: str) -> None:
        """Delete a temporary object (no error if it is absent)."""
        ...

    async def stale_temp_keys(self, older_than: datetime) -> list[str]:
        """Keys of temporary objects (finished or not) last written before ``older_than``.

        The garbage collector deletes those the database does not know (uploads
        interrupted by a crash).
        """
        ...
