"""Image URLs: the official AppView's presets and the URL form every view puts images in.

``pds.image_urls.url("avatar", did, cid)`` gives ``<base>/avatar/plain/<did>/<cid>``, where
``<base>`` is ``images.cdn_url`` when set, else ``<public URL>/img`` (served by the ``images``
plugin). The presets are the official AppView's (``packages/bsky/src/image/uri.ts``), plus
``avatar_thumbnail``, which its CDN serves but its code does not define.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from exprsn_pds.config import Settings
from exprsn_pds.datamodel import Cid

ImageFit = Literal["cover", "inside"]
ImageFormat = Literal["jpeg", "webp"]

#: The formats an image URL may ask for (``…/<cid>@jpeg``), as the official AppView accepts.
IMAGE_FORMATS: tuple[ImageFormat, ...] = ("jpeg", "webp")
#: The format of a URL without ``@<format>`` (the official AppView's default).
DEFAULT_IMAGE_FORMAT: ImageFormat = "webp"
#: The path images are served under when no CDN is configured.
IMAGE_PATH_PREFIX = "/img"


@dataclass(frozen=True)
class ImagePreset:
    """How one preset resizes: ``cover`` crops to exactly ``width`` x ``height``, ``inside``
    fits within it keeping the aspect ratio. Smaller images are enlarged (official ``min``)."""

    name: str
    fit: ImageFit
    width: int
    height: int


IMAGE_PRESETS: dict[str, ImagePreset] = {
    preset.name: preset
    for preset in (
        ImagePreset("avatar", "cover", 1000, 1000),
        ImagePreset("avatar_thumbnail", "cover", 128, 128),
        ImagePreset("banner", "cover", 3000, 1000),
        ImagePreset("feed_thumbnail", "inside", 2000, 2000),
        ImagePreset("feed_fullsize", "inside", 1000, 1000),
    )
}


class ImageUrls:
    """Builds the public URL of a hosted blob's image in a preset (``pds.image_urls``)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageUrls:
        """``images.cdn_url`` when set, else this server's ``/img`` under its public URL."""
        return cls(settings.image_cdn_url or settings.public_url + IMAGE_PATH_PREFIX)

    def url(self, preset: str, did: str, cid: str | Cid, format: ImageFormat | None = None) -> str:
        """``<base>/<preset>/plain/<did>/<cid>`` (``@<format>`` appended when given; without
        it the image comes in :data:`DEFAULT_IMAGE_FORMAT`, the official AppView's URL form).

        ``preset`` must be one of :data:`IMAGE_PRESETS` and ``format`` one of
        :data:`IMAGE_FORMATS`; anything else is a programming error (``ValueError``).
        """
        if preset not in IMAGE_PRESETS:
            raise ValueError(f"unknown image preset {preset!r}")
        if format is not None and format not in IMAGE_FORMATS:
            raise ValueError(f"unknown image format {format!r}")
        suffix = "" if format is None else f"@{format}"
        # A DID may hold "%" (did:web:host%3A8080): escaped, so the path decodes back to it.
        return f"{self.base}/{preset}/plain/{quote(did, safe=':')}/{cid}{suffix}"
