"""The parts of an image path, ``/img/<preset>/plain/<did>/<cid>[@<format>]``, checked."""

from __future__ import annotations

from dataclasses import dataclass

from exprsn_pds import (
    DEFAULT_IMAGE_FORMAT,
    IMAGE_FORMATS,
    IMAGE_PRESETS,
    ImageFormat,
    ImagePreset,
    InvalidRequest,
)
from exprsn_pds.datamodel import RAW_CODEC, Cid, DataModelError
from exprsn_pds.syntax import Did, InvalidSyntax


@dataclass(frozen=True)
class ImageRequest:
    """What an image path asks for: a hosted blob in a preset and a format."""

    preset: ImagePreset
    did: str
    cid: Cid
    format: ImageFormat


def parse_image_path(preset: str, did: str, name: str) -> ImageRequest:
    """The request the path parts make; 400 ``InvalidRequest`` naming the bad part."""
    known = IMAGE_PRESETS.get(preset)
    if known is None:
        raise InvalidRequest(
            f"Unknown image preset {preset[:64]!r}: one of {', '.join(IMAGE_PRESETS)}"
        )
    try:
        Did(did)
    except InvalidSyntax as error:
        raise InvalidRequest(f"Invalid DID in image path: {error}") from error
    cid_text, has_format, format_text = name.partition("@")
    return ImageRequest(known, did, _blob_cid(cid_text), _format(has_format, format_text))


def _blob_cid(text: str) -> Cid:
    try:
        cid = Cid.parse(text)
    except DataModelError as error:
        raise InvalidRequest(f"Invalid CID in image path: {error}") from error
    if cid.codec != RAW_CODEC:
        raise InvalidRequest("Invalid CID in image path: not a blob CID (raw codec)")
    return cid


def _format(has_format: str, text: str) -> ImageFormat:
    if not has_format:
        return DEFAULT_IMAGE_FORMAT
    for image_format in IMAGE_FORMATS:
        if text == image_format:
            return image_format
    raise InvalidRequest(f"Unknown image format {text[:16]!r}: one of {', '.join(IMAGE_FORMATS)}")
