"""The ``images`` plugin: hosted blobs as images in the official AppView's presets.

``GET /img/<preset>/plain/<did>/<cid>[@jpeg|@webp]`` (the URLs ``pds.image_urls`` builds),
resized with Pillow, cached on disk under ``<data_directory>/image-cache`` within
``cache_max_bytes``, served with ``Cache-Control: public, max-age=..., immutable``.
See ``docs/images.md``.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from PIL import Image

from exprsn_pds import IMAGE_PATH_PREFIX, Pds, RouteRegistrar, hookimpl
from exprsn_pds.plugins.images.server import ImageServer, image_settings

CACHE_FOLDER = "image-cache"
_SERVERS: WeakKeyDictionary[Pds, ImageServer] = WeakKeyDictionary()


@hookimpl
def pds_config_schema() -> dict[str, Any]:
    """``[plugins.images]``: cache bound, source limits, output quality, caching headers."""
    positive = {"type": "integer", "minimum": 1}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "cache_max_bytes": positive,
            "max_source_bytes": positive,
            "max_pixels": {**positive, "maximum": Image.MAX_IMAGE_PIXELS},
            "quality": {**positive, "maximum": 100},
            "max_age_s": {"type": "integer", "minimum": 0},
            "max_renders": {**positive, "maximum": 64},
        },
    }


@hookimpl
def pds_register_routes(routes: RouteRegistrar, pds: Pds) -> None:
    """Serve ``/img/<preset>/plain/<did>/<name>``."""
    section = pds.settings.plugin_config("images")
    server = ImageServer(image_settings(section), pds.settings.data_directory / CACHE_FOLDER)
    _SERVERS[pds] = server
    routes.add(f"{IMAGE_PATH_PREFIX}/<preset>/plain/<did>/<name>", server.serve)


@hookimpl
async def pds_startup(pds: Pds) -> None:
    """Index the image cache folder."""
    await _SERVERS[pds].start()


@hookimpl
async def pds_shutdown(pds: Pds) -> None:
    """Let running renders finish."""
    await _SERVERS[pds].stop()
