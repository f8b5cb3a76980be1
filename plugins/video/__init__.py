"""The ``video`` plugin: hosted video blobs as HLS, and their thumbnails.

``GET /vid/<did>/<cid>/playlist.m3u8`` (the master playlist), ``video.m3u8``, ``init.mp4``
and ``seg<n>.m4s`` (the media playlist and its fragmented MP4 segments, remuxed with PyAV,
never re-encoded) and ``thumbnail.jpg`` (the first frame): the URLs the AppView's
``app.bsky.embed.video#view`` carries. Built once per blob, cached on disk under
``<data_directory>/video-cache`` within ``cache_max_bytes``, served with
``Cache-Control: public, max-age=..., immutable``. See ``docs/video.md``.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from exprsn_pds import Pds, RouteRegistrar, hookimpl
from exprsn_pds.plugins.video.paths import VIDEO_PATH_PREFIX
from exprsn_pds.plugins.video.server import VideoServer, video_settings

CACHE_FOLDER = "video-cache"
_SERVERS: WeakKeyDictionary[Pds, VideoServer] = WeakKeyDictionary()


@hookimpl
def pds_config_schema() -> dict[str, Any]:
    """``[plugins.video]``: cache bound, source limits, caching headers, jobs at once."""
    positive = {"type": "integer", "minimum": 1}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "cache_max_bytes": positive,
            "max_source_bytes": positive,
            "max_duration_s": positive,
            "max_pixels": positive,
            "max_age_s": {"type": "integer", "minimum": 0},
            "max_jobs": {**positive, "maximum": 16},
        },
    }


@hookimpl
def pds_register_routes(routes: RouteRegistrar, pds: Pds) -> None:
    """Serve ``/vid/<did>/<cid>/<file>``."""
    section = pds.settings.plugin_config("video")
    server = VideoServer(video_settings(section), pds.settings.data_directory / CACHE_FOLDER)
    _SERVERS[pds] = server
    routes.add(f"{VIDEO_PATH_PREFIX}/<did>/<cid>/<name>", server.serve)


@hookimpl
async def pds_startup(pds: Pds) -> None:
    """Index the video cache folder."""
    await _SERVERS[pds].start()


@hookimpl
async def pds_shutdown(pds: Pds) -> None:
    """Let running jobs finish."""
    await _SERVERS[pds].stop()
