"""``GET /img/<preset>/plain/<did>/<cid>[@<format>]``: a hosted blob's image, resized, cached.

Every request, cached or not, first checks that the image may be served: the account is
hosted here and readable by anyone (not taken down nor deactivated), and the blob is that
account's, permanent and not taken down (``pds.blobs.servable``); otherwise 404. A blob
that is not an image, or one past the size limits, is 400. Renders of one image at a time
are shared by every request waiting for it; at most ``max_renders`` run at once, each in
one of as many threads.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quart import Response, request

from exprsn_pds import InvalidRequest, NotFound, Pds
from exprsn_pds.logs import get_logger
from exprsn_pds.plugins.images.cache import ImageCache, cache_key
from exprsn_pds.plugins.images.paths import ImageRequest, parse_image_path
from exprsn_pds.plugins.images.render import ImageRefused, RenderLimits, render

log = get_logger(__name__)

#: Changes when the same settings would render other bytes (so old cache files go unused).
RENDER_VERSION = "2"
CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class ImageSettings:
    """The ``[plugins.images]`` section (see ``docs/images.md``)."""

    cache_max_bytes: int
    max_source_bytes: int
    max_pixels: int
    quality: int
    max_age_s: int
    max_renders: int


class ImageServer:
    """Serves the ``/img`` route of one server."""

    def __init__(self, settings: ImageSettings, cache_folder: Path) -> None:
        self.settings = settings
        self.cache = ImageCache(cache_folder, settings.cache_max_bytes)
        self.limits = RenderLimits(max_pixels=settings.max_pixels, quality=settings.quality)
        self._renders = asyncio.Semaphore(settings.max_renders)
        # Pillow runs in threads of its own: as many as renders may run, no more.
        self._threads = ThreadPoolExecutor(settings.max_renders, thread_name_prefix="image-render")
        self._pending: dict[str, asyncio.Task[bytes]] = {}

    async def start(self) -> None:
        """Index the cache folder."""
        await self.cache.open()

    async def stop(self) -> None:
        """Wait for the renders still running (their threads cannot be interrupted)."""
        await asyncio.gather(*self._pending.values(), return_exceptions=True)
        self._threads.shutdown()

    async def serve(self, pds: Pds, preset: str, did: str, name: str) -> Response:
        """The route handler: the image, from the cache or rendered now."""
        wanted = parse_image_path(preset, did, name)
        await self._check_servable(pds, wanted)
        key = cache_key(
            RENDER_VERSION,
            wanted.did,
            str(wanted.cid),
            wanted.preset.name,
            wanted.format,
            str(self.settings.quality),
        )
        headers = {
            "Cache-Control": f"public, max-age={self.settings.max_age_s}, immutable",
            "ETag": f'"{key[:32]}"',
            "X-Content-Type-Options": "nosniff",
        }
        if request.if_none_match.contains(key[:32]):
            return Response(b"", status=304, headers=headers)
        data = await self.cache.get(key)
        headers["X-Cache"] = "hit" if data is not None else "miss"
        if data is None:
            data = await self._render_once(pds, key, wanted)
        return Response(data, content_type=CONTENT_TYPES[wanted.format], headers=headers)

    async def _check_servable(self, pds: Pds, wanted: ImageRequest) -> None:
        try:
            await pds.repos.readable(wanted.did, None)
        except InvalidRequest as error:  # unknown, taken down or deactivated
            raise NotFound("Image not found: no such hosted account") from error
        blob = await pds.blobs.servable(wanted.did, wanted.cid)
        if blob is None:
            raise NotFound("Image not found: no such blob of this account")
        if not blob.mime_type.startswith("image/"):
            raise InvalidRequest(f"Blob is not an image ({blob.mime_type})")
        if blob.size > self.settings.max_source_bytes:
            raise InvalidRequest(
                f"Image of {blob.size} bytes: at most {self.settings.max_source_bytes} are resized"
            )

    async def _render_once(self, pds: Pds, key: str, wanted: ImageRequest) -> bytes:
        """Render (or wait for the render already running) and store it."""
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._render(pds, key, wanted))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[bytes]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have gone

    async def _render(self, pds: Pds, key: str, wanted: ImageRequest) -> bytes:
        async with self._renders:  # bounds the sources and images held in memory too
            source = await self._source(pds, wanted)
            loop = asyncio.get_running_loop()
            try:
                data = await loop.run_in_executor(
                    self._threads, render, source, wanted.preset, wanted.format, self.limits
                )
            except ImageRefused as error:
                raise InvalidRequest(
                    f"Blob is not an image this server resizes: {error}"
                ) from error
        await self.cache.put(key, data)
        log.debug("image rendered", did=wanted.did, cid=str(wanted.cid), preset=wanted.preset.name)
        return data

    async def _source(self, pds: Pds, wanted: ImageRequest) -> bytes:
        try:
            _, chunks = await pds.blobs.read(wanted.did, wanted.cid)
        except InvalidRequest as error:  # gone since it was found servable
            raise NotFound("Image not found: no such blob of this account") from error
        source = bytearray()
        async for chunk in chunks:
            source += chunk
            if len(source) > self.settings.max_source_bytes:
                raise InvalidRequest("Image too large to resize")
        return bytes(source)


def image_settings(section: dict[str, Any]) -> ImageSettings:
    """The plugin's settings: the section over :data:`DEFAULTS`."""
    return ImageSettings(**{**DEFAULTS, **section})


#: The defaults of ``[plugins.images]``.
DEFAULTS: dict[str, int] = {
    "cache_max_bytes": 1_000_000_000,
    "max_source_bytes": 20_000_000,
    "max_pixels": 40_000_000,
    "quality": 100,
    "max_age_s": 31_536_000,
    "max_renders": 2,
}
