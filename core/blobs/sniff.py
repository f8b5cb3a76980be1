"""The MIME type of an upload: sniffed from its first bytes, else the declared one.

Only fixed signatures at known offsets are read (no media parsing): PNG, JPEG, GIF,
WebP, the ISO media family (AVIF, HEIC/HEIF, MP4, M4A, QuickTime), WebM/Matroska, MP3,
Ogg and PDF. A declared ``text/*`` type is kept only when the bytes look like UTF-8 text.
"""

from __future__ import annotations

import codecs
import re

from exprsn_pds.repo.models import MIME_TYPE_MAX_LENGTH

#: How many leading bytes the sniffer looks at.
SNIFF_BYTES = 512
OCTET_STREAM = "application/octet-stream"

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"ID3", "audio/mpeg"),
)
_RIFF = b"RIFF"
_RIFF_FORMAT = slice(8, 12)
_WEBP = b"WEBP"
_EBML = b"\x1a\x45\xdf\xa3"
_WEBM_DOCTYPE = b"webm"
_OGG = b"OggS"
_THEORA = b"\x80theora"
# MPEG audio frame sync (11 set bits) with layer III: 111x x01x in the second byte.
_MP3_SYNC = 0xFF
_MP3_SECOND_MASK = 0xE6
_MP3_SECOND_LAYER3 = 0xE2

# ISO base media files open with a box: size (4 bytes), "ftyp", major brand, minor
# version (4 bytes), then compatible brands, 4 bytes each, up to the box's size.
_BOX_SIZE = slice(0, 4)
_BOX_TYPE = slice(4, 8)
_FTYP = b"ftyp"
_MAJOR_BRAND = slice(8, 12)
_COMPATIBLE_BRANDS_AT = 16
_BRAND_BYTES = 4
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
_QUICKTIME_BRAND = b"qt  "
_M4A_BRAND = b"M4A "
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"mmp4",
     b"M4V ", b"f4v "}
)

_TEXT_CONTROLS = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D} | {0x7F}
_MIME_TOKEN = r"[a-z0-9][a-z0-9!#$&^_.+-]*"
_MIME_TYPE = re.compile(f"{_MIME_TOKEN}/{_MIME_TOKEN}")


def choose_mime_type(head: bytes, declared: str | None) -> str:
    """The type to record for an upload starting with ``head``, declared as ``declared``.

    The sniffed type wins; else the declared one (a ``text/*`` type only if ``head`` is
    text); else ``application/octet-stream``.
    """
    sniffed = sniff_mime_type(head)
    if sniffed is not None:
        return sniffed
    normal = normalise_mime_type(declared)
    if normal is None or (normal.startswith("text/") and not looks_like_text(head)):
        return OCTET_STREAM
    return normal


def sniff_mime_type(head: bytes) -> str | None:
    """The type whose signature ``head`` (the first :data:`SNIFF_BYTES`) carries, if any."""
    for prefix, mime_type in _PREFIXES:
        if head.startswith(prefix):
            return mime_type
    if head.startswith(_RIFF) and head[_RIFF_FORMAT] == _WEBP:
        return "image/webp"
    if head[_BOX_TYPE] == _FTYP:
        return _iso_media_type(head)
    if head.startswith(_EBML):
        return "video/webm" if _WEBM_DOCTYPE in head else "video/x-matroska"
    if head.startswith(_OGG):
        return "video/ogg" if _THEORA in head else "audio/ogg"
    if len(head) > 1 and head[0] == _MP3_SYNC and head[1] & _MP3_SECOND_MASK == _MP3_SECOND_LAYER3:
        return "audio/mpeg"
    return None


def _iso_media_type(head: bytes) -> str | None:
    box_end = min(int.from_bytes(head[_BOX_SIZE], "big"), len(head))
    major = head[_MAJOR_BRAND]
    brands = {major} | {
        head[at : at + _BRAND_BYTES]
        for at in range(_COMPATIBLE_BRANDS_AT, box_end - _BRAND_BYTES + 1, _BRAND_BYTES)
    }
    if brands & _AVIF_BRANDS:
        return "image/avif"
    if brands & _HEIC_BRANDS:
        return "image/heic"
    if major in _HEIF_BRANDS:
        return "image/heif"
    if major == _QUICKTIME_BRAND:
        return "video/quicktime"
    if major == _M4A_BRAND:
        return "audio/mp4"
    if brands & _MP4_BRANDS:
        return "video/mp4"
    return None


def looks_like_text(head: bytes) -> bool:
    """Whether ``head`` is UTF-8 (possibly cut mid-character) without control characters."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return not _TEXT_CONTROLS.intersection(head)


def normalise_mime_type(declared: str | None) -> str | None:
    """``type/subtype`` in lower case without parameters, or ``None`` if not a concrete type."""
    if declared is None:
        return None
    normal = declared.split(";", 1)[0].strip().lower()
    if len(normal) > MIME_TYPE_MAX_LENGTH or _MIME_TYPE.fullmatch(normal) is None:
        return None
    return normal
