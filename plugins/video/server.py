"""``GET /vid/<did>/<cid>/<file>``: a hosted video blob as HLS (playlists, segments) and its
thumbnail, built once, cached.

Every request, cached or not, first checks that the video may be served: the account is
hosted here and readable by anyone (not taken down nor deactivated), and the blob is that
account's, permanent and not taken down (``pds.blobs.servable``); otherwise 404. A blob that
is no video served here, or past the limits, is 400; a cache folder that cannot be written
(disk full) is 503. A product (the HLS rendition, the
thumbnail) of one blob is built by one job, which every request waiting for it shares; at
most ``max_jobs`` run at once, each in one of as many threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from quart import Response, request

from exprsn_pds import InvalidRequest, NotFound, Pds, ServableBlob, ServiceUnavailable
from exprsn_pds.logs import get_logger
from exprsn_pds.plugins.video.cache import NoSuchFile, VideoCache, cache_key
from exprsn_pds.plugins.video.paths import THUMBNAIL, Product, VideoRequest, parse_video_path
from exprsn_pds.plugins.video.remux import VideoLimits, VideoRefused, remux_hls, render_thumbnail

log = get_logger(__name__)

#: Changes when the same blob would give other files (so old cache entries go unused).
BUILD_VERSION = "1"
#: The blob types (sniffed from the bytes at upload) worth opening: MP4 and QuickTime.
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
#: The thumbnail's largest width (the official video service's 720p poster) and quality.
THUMBNAIL_WIDTH = 720
THUMBNAIL_QUALITY = 85


@dataclass(frozen=True)
class VideoSettings:
    """The ``[plugins.video]`` section (see ``docs/video.md``)."""

    cache_max_bytes: int
    max_source_bytes: int
    max_duration_s: int
    max_pixels: int
    max_age_s: int
    max_jobs: int


class VideoServer:
    """Serves the ``/vid`` route of one server."""

    def __init__(self, settings: VideoSettings, cache_folder: Path) -> None:
        self.settings = settings
        self.cache = VideoCache(cache_folder, settings.cache_max_bytes)
        self.limits = VideoLimits(
            max_duration_s=settings.max_duration_s,
            max_pixels=settings.max_pixels,
            thumbnail_width=THUMBNAIL_WIDTH,
            thumbnail_quality=THUMBNAIL_QUALITY,
        )
        self._jobs = asyncio.Semaphore(settings.max_jobs)
        # FFmpeg runs in threads of its own: as many as jobs may run, no more.
        self._threads = ThreadPoolExecutor(settings.max_jobs, thread_name_prefix="video-build")
        self._pending: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        """Index the cache folder."""
        await self.cache.open()

    async def stop(self) -> None:
        """Wait for the jobs still running (their threads cannot be interrupted)."""
        await asyncio.gather(*self._pending.values(), return_exceptions=True)
        self._threads.shutdown()

    async def serve(self, pds: Pds, did: str, cid: str, name: str) -> Response:
        """The route handler: one file of the video, from the cache or built now."""
        wanted = parse_video_path(did, cid, name)
        blob = await self._check_servable(pds, wanted)
        key = cache_key(BUILD_VERSION, wanted.product, str(wanted.cid))
        etag = cache_key(key, wanted.name)[:32]
        headers = {
            "Cache-Control": f"public, max-age={self.settings.max_age_s}, immutable",
            "ETag": f'"{etag}"',
            "X-Content-Type-Options": "nosniff",
        }
        if request.if_none_match.contains(etag):
            return Response(b"", status=304, headers=headers)
        data = await self._cached(key, wanted)
        headers["X-Cache"] = "hit" if data is not None else "miss"
        if data is None:
            await self._build_once(pds, key, wanted, blob)
            data = await self._cached(key, wanted)
            if data is None:  # dropped at once: the bound is smaller than the entry
                raise InvalidRequest("Video too large for this server's video cache")
        return Response(data, content_type=wanted.content_type, headers=headers)

    async def _cached(self, key: str, wanted: VideoRequest) -> bytes | None:
        try:
            return await self.cache.read(key, wanted.name)
        except NoSuchFile as error:
            raise NotFound(f"No such file of this video: {wanted.name}") from error

    async def _check_servable(self, pds: Pds, wanted: VideoRequest) -> ServableBlob:
        try:
            await pds.repos.readable(wanted.did, None)
        except InvalidRequest as error:  # unknown, taken down or deactivated
            raise NotFound("Video not found: no such hosted account") from error
        blob = await pds.blobs.servable(wanted.did, wanted.cid)
        if blob is None:
            raise NotFound("Video not found: no such blob of this account")
        if blob.mime_type not in VIDEO_TYPES:
            raise InvalidRequest(f"Blob is not an MP4 video ({blob.mime_type})")
        if blob.size > self.settings.max_source_bytes:
            raise InvalidRequest(
                f"Video of {blob.size} bytes: at most {self.settings.max_source_bytes} are served"
            )
        return blob

    async def _build_once(
        self, pds: Pds, key: str, wanted: VideoRequest, blob: ServableBlob
    ) -> None:
        """Build (or wait for the job already building) the product ``wanted`` is part of."""
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._build(pds, key, wanted))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have gone

    async def _build(self, pds: Pds, key: str, wanted: VideoRequest) -> None:
        async with self._jobs:  # bounds the copies on disk and the FFmpeg work too
            try:
                if not self.cache.has(key):  # else built by another process meanwhile
                    await self._build_from_copy(pds, key, wanted)
                await self.cache.built(key)
            except OSError as error:  # the cache folder's disk, not the video
                log.error("video build failed", key=key, error=str(error))
                raise ServiceUnavailable("The video cannot be prepared now") from error

    async def _build_from_copy(self, pds: Pds, key: str, wanted: VideoRequest) -> None:
        incoming = self.cache.incoming()
        await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=incoming, suffix=".blob")
        source = Path(name)
        try:
            with open(handle, "wb") as file:
                await self._copy(pds, wanted, file)
            make = partial(_MAKERS[wanted.product], source, self.limits)
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._threads, self.cache.build, key, make)
            except VideoRefused as error:
                raise InvalidRequest(f"Blob is not a video this server serves: {error}") from error
        finally:
            with contextlib.suppress(FileNotFoundError):
                source.unlink()
        log.debug("video built", did=wanted.did, cid=str(wanted.cid), product=wanted.product)

    async def _copy(self, pds: Pds, wanted: VideoRequest, file: Any) -> None:
        try:
            _, chunks = await pds.blobs.read(wanted.did, wanted.cid)
        except InvalidRequest as error:  # gone since it was found servable
            raise NotFound("Video not found: no such blob of this account") from error
        copied = 0
        async for chunk in chunks:
            copied += len(chunk)
            if copied > self.settings.max_source_bytes:
                raise InvalidRequest("Video too large to serve")
            await asyncio.to_thread(file.write, chunk)


def _write_thumbnail(source: Path, limits: VideoLimits, folder: Path) -> None:
    (folder / THUMBNAIL).write_bytes(render_thumbnail(source, limits))


#: What builds each product into a folder: ``maker(source, limits, folder)``.
_MAKERS: dict[Product, Callable[[Path, VideoLimits, Path], None]] = {
    "hls": remux_hls,
    "thumbnail": _write_thumbnail,
}


def video_settings(section: dict[str, Any]) -> VideoSettings:
    """The plugin's settings: the section over :data:`DEFAULTS`."""
    return VideoSettings(**{**DEFAULTS, **section})


#: The defaults of ``[plugins.video]``.
DEFAULTS: dict[str, int] = {
    "cache_max_bytes": 2_000_000_000,
    "max_source_bytes": 100_000_000,
    "max_duration_s": 180,
    "max_pixels": 3840 * 2160,
    "max_age_s": 31_536_000,
    "max_jobs": 2,
}
