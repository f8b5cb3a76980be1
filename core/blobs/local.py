"""``LocalDiskBlobStore``: blobs as files under one folder (the default backend).

Layout under ``root``::

    tmp/<key>                  temporary objects (uploads not yet referenced)
    repos/<did folder>/<cid>   permanent blobs, one folder per account

Names are safe by construction: temporary keys are random hex, CIDs are base32
(``[a-z2-7]``), and a DID becomes a folder name by escaping every character outside
``[a-z0-9-]`` as ``_xx`` (its UTF-8 bytes in hex), or, if that is too long for a file
name, by ``~`` and its SHA-256. Both are one-to-one, so two accounts never share a folder.
File work runs in threads; promotion is an atomic rename followed by an fsync of the
folder, and a temporary object is fsynced before :meth:`LocalDiskBlobStore.write_temp`
returns, so a blob the database knows about survives a crash.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import string
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from exprsn_pds.blobs.store import BlobNotStored
from exprsn_pds.datamodel import Cid

DEFAULT_CHUNK_BYTES = 64 * 1024
TEMP_FOLDER = "tmp"
REPOS_FOLDER = "repos"
TEMP_KEY_BYTES = 16
#: Longest escaped DID used as a folder name (file names are limited to 255 bytes).
MAX_READABLE_NAME = 200
HASHED_NAME_PREFIX = "~"
ESCAPE_PREFIX = "_"

_TEMP_KEY = re.compile(f"[0-9a-f]{{{2 * TEMP_KEY_BYTES}}}")
_NAME_SAFE = frozenset(string.ascii_lowercase + string.digits + "-")


def did_folder_name(did: str) -> str:
    """The folder name of ``did``'s blobs: readable when short, hashed when long."""
    if not did:
        raise ValueError("a DID is needed to name a blob folder")
    escaped = "".join(
        char if char in _NAME_SAFE else "".join(f"{ESCAPE_PREFIX}{b:02x}" for b in char.encode())
        for char in did
    )
    if len(escaped) <= MAX_READABLE_NAME:
        return escaped
    return HASHED_NAME_PREFIX + hashlib.sha256(did.encode()).hexdigest()


class LocalDiskBlobStore:
    """A :class:`~exprsn_pds.blobs.store.BlobStore` keeping files under ``root``.

    Reads and writes move ``chunk_bytes`` at a time.
    """

    def __init__(self, root: Path, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.root = root
        self.chunk_bytes = chunk_bytes

    def __repr__(self) -> str:
        return f"<LocalDiskBlobStore {self.root}>"

    @property
    def temp_folder(self) -> Path:
        """Where temporary objects live."""
        return self.root / TEMP_FOLDER

    def temp_path(self, temp_key: str) -> Path:
        """The file of temporary object ``temp_key`` (a key this store made)."""
        if _TEMP_KEY.fullmatch(temp_key) is None:
            raise ValueError(f"not a temporary blob key: {temp_key!r}")
        return self.temp_folder / temp_key

    def blob_path(self, did: str, cid: Cid) -> Path:
        """The file of ``did``'s permanent blob ``cid``."""
        if not isinstance(cid, Cid):
            raise TypeError(f"a blob is named by a Cid, not {type(cid).__name__}")
        return self.root / REPOS_FOLDER / did_folder_name(did) / str(cid)

    async def write_temp(self, chunks: AsyncIterator[bytes]) -> str:
        """Store ``chunks`` as a new temporary object (fsynced); its key."""
        key = secrets.token_hex(TEMP_KEY_BYTES)
        path = self.temp_path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        handle = await asyncio.to_thread(path.open, "xb")
        try:
            buffer = bytearray()
            async for chunk in chunks:
                buffer += chunk
                if len(buffer) >= self.chunk_bytes:
                    await asyncio.to_thread(handle.write, buffer)
                    buffer.clear()
            await asyncio.to_thread(_finish, handle, buffer)
        except BaseException:
            # Plain calls: this also runs when the upload task is being cancelled.
            handle.close()
            path.unlink(missing_ok=True)
            raise
        return key

    async def promote(self, temp_key: str, did: str, cid: Cid) -> None:
        """Rename the temporary object to the permanent blob and fsync its folder."""
        await asyncio.to_thread(_promote, self.temp_path(temp_key), self.blob_path(did, cid))

    async def read(self, did: str, cid: Cid) -> AsyncIterator[bytes]:
        """The chunks of a permanent blob; :class:`BlobNotStored` if absent."""
        return await self._open(self.blob_path(did, cid))

    async def read_temp(self, temp_key: str) -> AsyncIterator[bytes]:
        """The chunks of a temporary object; :class:`BlobNotStored` if absent."""
        return await self._open(self.temp_path(temp_key))

    async def exists(self, did: str, cid: Cid) -> bool:
        """Whether the permanent blob is stored."""
        return await asyncio.to_thread(self.blob_path(did, cid).is_file)

    async def delete(self, did: str, cid: Cid) -> None:
        """Delete a permanent blob (absent is fine)."""
        await asyncio.to_thread(self.blob_path(did, cid).unlink, missing_ok=True)

    async def delete_temp(self, temp_key: str) -> None:
        """Delete a temporary object (absent is fine)."""
        await asyncio.to_thread(self.temp_path(temp_key).unlink, missing_ok=True)

    async def stale_temp_keys(self, older_than: datetime) -> list[str]:
        """Keys of temporary files last modified before ``older_than``."""
        return await asyncio.to_thread(_stale_keys, self.temp_folder, older_than.timestamp())

    async def _open(self, path: Path) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as error:
            raise BlobNotStored(path.name) from error
        return self._chunks(handle)

    async def _chunks(self, handle: BinaryIO) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(handle.read, self.chunk_bytes):
                yield chunk
        finally:
            handle.close()


def _finish(handle: BinaryIO, rest: bytes | bytearray) -> None:
    with handle:
        handle.write(rest)
        handle.flush()
        os.fsync(handle.fileno())


def _promote(source: Path, target: Path) -> None:
    folder = target.parent
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        _fsync_folder(folder.parent)
    try:
        os.replace(source, target)
    except FileNotFoundError:
        if target.is_file():
            return  # promoted before
        raise BlobNotStored(source.name) from None
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _stale_keys(folder: Path, before_timestamp: float) -> list[str]:
    stale: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if _TEMP_KEY.fullmatch(entry.name) is None:
                    continue
                try:
                    modified = entry.stat().st_mtime
                except FileNotFoundError:
                    continue  # deleted meanwhile
                if modified < before_timestamp:
                    stale.append(entry.name)
    except FileNotFoundError:
        return []
    return stale
