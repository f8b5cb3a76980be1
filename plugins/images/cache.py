"""Rendered images on disk, at most a bounded number of bytes, least recently used dropped.

One file per rendered image, ``<folder>/<key[:2]>/<key>``, written whole to a temporary
file and renamed, so a reader never sees half a file. The index (which files there are,
their sizes, which were used last) is an :class:`~exprsn_pds.lru.Lru` weighed in bytes;
the files it drops are deleted. At start-up it is rebuilt from the folder, oldest file
first. Each process keeps its own index: a file another process wrote is adopted when it
is first served, so with several workers the folder may briefly hold up to one bound per
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from exprsn_pds.logs import get_logger
from exprsn_pds.lru import Lru

log = get_logger(__name__)
_TEMP_SUFFIX = ".tmp"
_KEY = re.compile("[0-9a-f]{64}")


def cache_key(*parts: str) -> str:
    """The file name of a rendered image: a hash of everything its bytes depend on."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class ImageCache:
    """Rendered images under ``folder``, ``max_bytes`` in total at most."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self._index: Lru[str, int] = Lru(max_bytes, weigh=_size, on_drop=self._delete)

    @property
    def stored_bytes(self) -> int:
        """Bytes of the files the index holds."""
        return self._index.weight

    def __len__(self) -> int:
        return len(self._index)

    async def open(self) -> None:
        """Create the folder and index the files already in it (oldest first, so the
        bound drops those)."""
        found = await asyncio.to_thread(_scan, self.folder)
        for key, size in found:
            self._index.put(key, size)
        if found:
            log.info("image cache indexed", files=len(self._index), bytes=self.stored_bytes)

    async def get(self, key: str) -> bytes | None:
        """The image stored under ``key`` (now the most recently used), or ``None``."""
        data = await asyncio.to_thread(_read, self._path(key))
        if data is None:
            self._index.pop(key)
            return None
        if self._index.get(key) is None:  # written by another process
            self._index.put(key, len(data))
        return data

    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, then drop the least recently used past the bound.

        A write that fails (disk full, permissions) is logged and leaves nothing behind:
        the image is served all the same and rendered again next time.
        """
        try:
            await asyncio.to_thread(_write, self._path(key), data)
        except OSError as error:
            log.warning("image cache write failed", key=key, error=str(error))
            return
        self._index.put(key, len(data))

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def _delete(self, key: str, _size: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


def _size(size: int) -> int:
    return size


def _read(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:  # unreadable: rendered again (and rewritten) instead
        log.warning("image cache read failed", path=str(path), error=str(error))
        return None
    return data or None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _scan(folder: Path) -> list[tuple[str, int]]:
    """``(key, size)`` of every cached file, oldest first; leftovers of interrupted writes
    and empty files are deleted."""
    folder.mkdir(parents=True, exist_ok=True)
    found: list[tuple[float, str, int]] = []
    for path in folder.glob("*/*"):
        try:
            stat = path.stat()
            if path.name.endswith(_TEMP_SUFFIX) or stat.st_size == 0:
                path.unlink(missing_ok=True)
            elif _KEY.fullmatch(path.name) and path.parent.name == path.name[:2]:
                found.append((stat.st_mtime, path.name, stat.st_size))
        except FileNotFoundError:  # deleted meanwhile (another process)
            continue
    return [(key, size) for _, key, size in sorted(found)]
