"""Remuxed videos and thumbnails on disk, at most a bounded number of bytes, least recently
used dropped.

One folder per entry, ``<folder>/<key[:2]>/<key>/``, holding the files of one product (the
HLS playlists and segments of a blob, or its thumbnail). An entry is built in a temporary
folder and renamed into place, so a reader sees all of it or none; it is built under a lock
file (``<key>.lock``, ``flock``), so concurrent first requests, in this process or another,
build it once. A dropped entry is renamed away before it is deleted. The index (entries,
their sizes, which were used last) is an :class:`~exprsn_pds.lru.Lru` weighed in bytes,
rebuilt from the folder at start-up, oldest first; an entry another process built is adopted
when it is first served.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from exprsn_pds.logs import get_logger
from exprsn_pds.lru import Lru

log = get_logger(__name__)
_KEY = re.compile("[0-9a-f]{64}")
_TEMP_SUFFIX = ".tmp"
_DROPPED_SUFFIX = ".dropped"
#: Where blobs are copied to while an entry is built.
INCOMING = "incoming"
#: Age past which a copy in :data:`INCOMING` is a leftover of a build that was killed.
STALE_COPY_S = 3600


def cache_key(*parts: str) -> str:
    """The name of an entry: a hash of everything its files depend on."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class NoSuchFile(LookupError):
    """The entry is there, but holds no file of that name."""


class VideoCache:
    """Entries under ``folder``, ``max_bytes`` in total at most."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self._index: Lru[str, int] = Lru(max_bytes, weigh=_size, on_drop=self._drop)

    @property
    def stored_bytes(self) -> int:
        """Bytes of the entries the index holds."""
        return self._index.weight

    def __len__(self) -> int:
        return len(self._index)

    async def open(self) -> None:
        """Create the folder, delete leftovers of interrupted builds and index the entries
        already there (oldest first, so the bound drops those)."""
        found = await asyncio.to_thread(_scan, self.folder)
        for key, size in found:
            self._index.put(key, size)
        if found:
            log.info("video cache indexed", entries=len(self._index), bytes=self.stored_bytes)

    def incoming(self) -> Path:
        """The folder blobs are copied to while an entry is built."""
        return self.folder / INCOMING

    async def read(self, key: str, name: str) -> bytes | None:
        """File ``name`` of entry ``key`` (now the most recently used); ``None`` when there
        is no such entry, :class:`NoSuchFile` when the entry has no such file."""
        entry = self._path(key)
        data = await asyncio.to_thread(_read, entry, name)
        if data is None:
            self._index.pop(key)
            return None
        if self._index.get(key) is None:  # built by another process
            self._index.put(key, await asyncio.to_thread(_folder_size, entry))
        return data

    def build(self, key: str, make: Callable[[Path], None]) -> None:
        """Build entry ``key`` with ``make(folder)`` unless it is there already (blocking:
        run it in a thread). Call :meth:`built` on the event loop afterwards."""
        entry = self._path(key)
        entry.parent.mkdir(parents=True, exist_ok=True)
        with open(entry.parent / f"{key}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if entry.is_dir():
                return
            temp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=key, suffix=_TEMP_SUFFIX))
            try:
                make(temp)
                try:
                    os.rename(temp, entry)
                except OSError:
                    if not entry.is_dir():
                        raise  # else built meanwhile past the lock (its file was dropped)
            finally:
                shutil.rmtree(temp, ignore_errors=True)

    async def built(self, key: str) -> None:
        """Index entry ``key`` after :meth:`build`, then drop the least recently used past
        the bound."""
        self._index.put(key, await asyncio.to_thread(_folder_size, self._path(key)))

    def has(self, key: str) -> bool:
        """Whether entry ``key`` is on disk (built here or by another process)."""
        return self._path(key).is_dir()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def _drop(self, key: str, _size: int) -> None:
        entry = self._path(key)
        gone = entry.with_name(f"{key}{_DROPPED_SUFFIX}{os.getpid()}")
        try:
            os.rename(entry, gone)
        except FileNotFoundError:
            return
        shutil.rmtree(gone, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (entry.parent / f"{key}.lock").unlink()


def _size(size: int) -> int:
    return size


def _read(entry: Path, name: str) -> bytes | None:
    try:
        return (entry / name).read_bytes()
    except FileNotFoundError:
        if entry.is_dir():
            raise NoSuchFile(name) from None
        return None
    except OSError as error:  # unreadable: built again instead
        log.warning("video cache read failed", path=str(entry / name), error=str(error))
        return None


def _folder_size(entry: Path) -> int:
    try:
        return sum(path.stat().st_size for path in entry.iterdir())
    except FileNotFoundError:  # dropped meanwhile
        return 0


def _delete_stale_copies(incoming: Path) -> None:
    """Delete the copies of blobs that builds left behind (killed mid-way), not the ones
    another process is using right now (younger than :data:`STALE_COPY_S`)."""
    now = time.time()
    for path in incoming.glob("*"):
        with contextlib.suppress(FileNotFoundError):
            if now - path.stat().st_mtime > STALE_COPY_S:
                path.unlink()


def _scan(folder: Path) -> list[tuple[str, int]]:
    """``(key, size)`` of every entry, oldest first; leftovers deleted."""
    folder.mkdir(parents=True, exist_ok=True)
    _delete_stale_copies(folder / INCOMING)
    found: list[tuple[float, str, int]] = []
    for path in folder.glob("*/*"):
        try:
            if path.name.endswith(_TEMP_SUFFIX) or _DROPPED_SUFFIX in path.name:
                shutil.rmtree(path, ignore_errors=True)
            elif _KEY.fullmatch(path.name) and path.parent.name == path.name[:2]:
                found.append((path.stat().st_mtime, path.name, _folder_size(path)))
        except FileNotFoundError:  # deleted meanwhile (another process)
            continue
    return [(key, size) for _, key, size in sorted(found)]
