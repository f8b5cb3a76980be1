"""The parts of a video path, ``/vid/<did>/<cid>/<file>``, checked.

``<did>`` arrives percent-decoded (the views escape it whole: ``did%3Aplc%3A…``). The files
are a fixed set of names (the playlists, the init segment, numbered media segments and the
thumbnail), so no path part reaches the file system as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from exprsn_pds import InvalidRequest, NotFound
from exprsn_pds.datamodel import RAW_CODEC, Cid, DataModelError
from exprsn_pds.syntax import Did, InvalidSyntax

#: The path videos are served under (the AppView's ``VIDEO_PATH``).
VIDEO_PATH_PREFIX = "/vid"
#: The master playlist, the URL views carry as ``app.bsky.embed.video#view.playlist``.
MASTER_PLAYLIST = "playlist.m3u8"
#: The media playlist the master names.
MEDIA_PLAYLIST = "video.m3u8"
#: The fragmented MP4 init segment the media playlist names (``EXT-X-MAP``).
INIT_SEGMENT = "init.mp4"
#: The poster, ``app.bsky.embed.video#view.thumbnail``.
THUMBNAIL = "thumbnail.jpg"
_SEGMENT = re.compile(r"seg(0|[1-9][0-9]{0,5})\.m4s")

HLS_TYPE = "application/vnd.apple.mpegurl"
CONTENT_TYPES = {
    MASTER_PLAYLIST: HLS_TYPE,
    MEDIA_PLAYLIST: HLS_TYPE,
    INIT_SEGMENT: "video/mp4",
    THUMBNAIL: "image/jpeg",
}
SEGMENT_TYPE = "video/mp4"

#: What a file is made by: the HLS remux or the thumbnail render.
Product = Literal["hls", "thumbnail"]


@dataclass(frozen=True)
class VideoRequest:
    """What a video path asks for: one file of a hosted blob's video."""

    did: str
    cid: Cid
    name: str
    content_type: str
    product: Product


def parse_video_path(did: str, cid: str, name: str) -> VideoRequest:
    """The request the path parts make: 400 ``InvalidRequest`` for a bad DID or CID, 404
    ``NotFound`` for a file name that is none of the video's files."""
    try:
        Did(did)
    except InvalidSyntax as error:
        raise InvalidRequest(f"Invalid DID in video path: {error}") from error
    try:
        parsed = Cid.parse(cid)
    except DataModelError as error:
        raise InvalidRequest(f"Invalid CID in video path: {error}") from error
    if parsed.codec != RAW_CODEC:
        raise InvalidRequest("Invalid CID in video path: not a blob CID (raw codec)")
    content_type = CONTENT_TYPES.get(name)
    if content_type is None and _SEGMENT.fullmatch(name):
        content_type = SEGMENT_TYPE
    if content_type is None:
        raise NotFound(f"No such video file: {name[:64]!r}")
    product: Product = "thumbnail" if name == THUMBNAIL else "hls"
    return VideoRequest(did, parsed, name, content_type, product)
