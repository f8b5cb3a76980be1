"""Resizing with Pillow: decode (bounded), apply the EXIF orientation, fit the preset, encode.

Runs in a worker thread (CPU-bound; Pillow releases the GIL while it resizes and encodes).
The output carries no metadata: no EXIF, XMP nor ICC profile is written.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from exprsn_pds import ImageFormat, ImagePreset

#: The decoders an image blob may use; anything else (TIFF, SVG, PSD ...) is refused unread.
INPUT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
#: Pillow's name of each output format.
OUTPUT_FORMATS: dict[ImageFormat, str] = {"jpeg": "JPEG", "webp": "WEBP"}
#: What JPEG output puts behind transparent pixels.
JPEG_BACKGROUND = (255, 255, 255)
# EXIF orientations that swap width and height.
_TRANSPOSED = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112


class ImageRefused(ValueError):
    """The blob is no image this server resizes (unknown or broken format, too many pixels)."""


@dataclass(frozen=True)
class RenderLimits:
    """How big a source may be (pixels, from its header, before decoding; at most Pillow's
    own ``MAX_IMAGE_PIXELS``, past which it refuses by itself) and how good the output is
    (``quality`` 1-100, for both formats)."""

    max_pixels: int
    quality: int


def render(
    source: bytes, preset: ImagePreset, image_format: ImageFormat, limits: RenderLimits
) -> bytes:
    """``source`` resized to ``preset`` and encoded as ``image_format``; raises
    :class:`ImageRefused` for anything it cannot or must not decode."""
    try:
        image = _decode(source, preset, limits)
    except ImageRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ImageRefused(f"not an image this server resizes: {error}") from error
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError) as error:
        # Pillow's decoders report broken data with any of these.
        raise ImageRefused(f"the image cannot be decoded: {error}") from error
    resized = _fit(image, preset)
    return _encode(resized, image_format, limits.quality)


def _decode(source: bytes, preset: ImagePreset, limits: RenderLimits) -> Image.Image:
    image = Image.open(io.BytesIO(source), formats=INPUT_FORMATS)
    width, height = image.size
    if width < 1 or height < 1 or width * height > limits.max_pixels:
        raise ImageRefused(
            f"image of {width}x{height} pixels: at most {limits.max_pixels} pixels are resized"
        )
    if image.format == "JPEG":
        _draft(image, preset)
    image.load()
    return _normal_mode(ImageOps.exif_transpose(image))


def _draft(image: Image.Image, preset: ImagePreset) -> None:
    """Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while it decodes, never below
    what the preset needs (so the result equals a full decode resized, at a fraction of
    the work and memory)."""
    width, height = image.size
    target_w, target_h = preset.width, preset.height
    if image.getexif().get(_EXIF_ORIENTATION) in _TRANSPOSED:
        target_w, target_h = target_h, target_w
    fit = max if preset.fit == "cover" else min
    scale = fit(target_w / width, target_h / height)
    if scale < 1:
        image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))


def _normal_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency (palettes, grey, CMYK converted)."""
    if image.mode in ("RGB", "RGBA"):
        return image
    transparent = image.mode in ("LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def _fit(image: Image.Image, preset: ImagePreset) -> Image.Image:
    size = (preset.width, preset.height)
    if preset.fit == "cover":
        return ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)
    return ImageOps.contain(image, size, method=Image.Resampling.LANCZOS)


def _encode(image: Image.Image, image_format: ImageFormat, quality: int) -> bytes:
    if image_format == "jpeg" and image.mode == "RGBA":
        flat = Image.new("RGB", image.size, JPEG_BACKGROUND)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    image.info = {}  # nothing of the source's metadata (EXIF, XMP, ICC, comments) is written
    out = io.BytesIO()
    image.save(out, format=OUTPUT_FORMATS[image_format], quality=quality)
    return out.getvalue()
