"""PyAV (FFmpeg) work on a video blob: the check that it is one, the HLS remux, the thumbnail.

Everything here runs in a worker thread on a file the blob was copied to. The blob is opened
with FFmpeg's MP4/QuickTime demuxer only (``format="mov"``, external data references off): a
blob that demuxer cannot read is no video this server serves, whatever its name or declared
type. The remux copies the H.264 or HEVC video (and AAC audio, when there is some) into
fragmented MP4 segments with FFmpeg's HLS muxer: nothing is decoded or re-encoded. The
thumbnail decodes the first frame that decodes and nothing more.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import av.container
import av.error
from av.audio.stream import AudioStream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image

from exprsn_pds.plugins.video.codecs import aac_codec, hevc_codec
from exprsn_pds.plugins.video.paths import INIT_SEGMENT, MASTER_PLAYLIST, MEDIA_PLAYLIST

#: Video codecs remuxed (H.264 every HLS player decodes; HEVC, which phones record, those on
#: devices that decode it: the master playlist's CODECS says which); others are refused.
VIDEO_CODECS = frozenset({"h264", "hevc"})
#: Audio codecs kept; a video whose audio is another codec is served without it.
AUDIO_CODECS = frozenset({"aac"})
#: Target length of a media segment (cut at the next keyframe after it).
SEGMENT_SECONDS = 4
#: Packets read at most while looking for a first frame that decodes.
MAX_THUMBNAIL_PACKETS = 600
_STREAM_INF = "#EXT-X-STREAM-INF:"
_DEMUXER = "mov"
_DEMUXER_OPTIONS = {"enable_drefs": "0", "use_absolute_path": "0"}


class VideoRefused(ValueError):
    """The blob is no video this server serves (not MP4, no H.264 or HEVC video, too long,
    broken)."""


@dataclass(frozen=True)
class VideoLimits:
    """How long a video may be (seconds, from its header, checked again while remuxing),
    how many pixels its frames may have, and the thumbnail's largest width and quality."""

    max_duration_s: int
    max_pixels: int
    thumbnail_width: int
    thumbnail_quality: int


def remux_hls(source: Path, limits: VideoLimits, folder: Path) -> None:
    """Write the HLS rendition of ``source`` into the empty ``folder``: the master playlist,
    the media playlist, the init segment and the media segments; raises
    :class:`VideoRefused` for a blob that is no video served here."""
    with _opened(source) as container:
        video, audio = _streams(container, limits)
        try:
            _remux(container, video, audio, folder, limits)
            _name_codecs(folder / MASTER_PLAYLIST, video, audio)
        except VideoRefused:
            raise
        except (av.error.FFmpegError, ValueError) as error:  # FFmpeg's, reading or writing
            raise VideoRefused(f"the video cannot be remuxed: {error}") from error


def render_thumbnail(source: Path, limits: VideoLimits) -> bytes:
    """The first frame of ``source`` that decodes, turned as the video is shown, at most
    ``thumbnail_width`` wide (never enlarged), as a JPEG without metadata."""
    with _opened(source) as container:
        video, _ = _streams(container, limits)
        video.codec_context.thread_count = 1
        try:
            image = _first_frame(container, video)
        except (av.error.FFmpegError, ValueError) as error:
            if isinstance(error, VideoRefused):
                raise
            raise VideoRefused(f"the first frame cannot be read: {error}") from error
    if image.width > limits.thumbnail_width:
        height = max(1, round(image.height * limits.thumbnail_width / image.width))
        image = image.resize((limits.thumbnail_width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=limits.thumbnail_quality)
    return out.getvalue()


@contextmanager
def _opened(source: Path) -> Iterator[av.container.InputContainer]:
    try:
        container = av.open(str(source), format=_DEMUXER, options=_DEMUXER_OPTIONS)
    except (av.error.FFmpegError, ValueError) as error:
        raise VideoRefused(f"not an MP4 video: {error}") from error
    try:
        yield container
    finally:
        container.close()


def _streams(
    container: av.container.InputContainer, limits: VideoLimits
) -> tuple[VideoStream, AudioStream | None]:
    """The video stream to serve and the audio stream to keep, checked against the limits."""
    if not container.streams.video:
        raise VideoRefused("the file holds no video stream")
    video = container.streams.video[0]
    codec = video.codec_context.name
    if codec not in VIDEO_CODECS:
        served = " and ".join(sorted(VIDEO_CODECS))
        raise VideoRefused(f"video codec {codec}: only {served} are served")
    width, height = video.codec_context.width, video.codec_context.height
    if width < 1 or height < 1 or width * height > limits.max_pixels:
        raise VideoRefused(
            f"frames of {width}x{height} pixels: at most {limits.max_pixels} pixels are served"
        )
    duration = _duration_s(container, video)
    if duration is None:
        raise VideoRefused("the video does not say how long it is")
    if duration > limits.max_duration_s:
        raise VideoRefused(
            f"a video of {duration:.1f} s: at most {limits.max_duration_s} s are served"
        )
    audio = next(
        (stream for stream in container.streams.audio if stream.codec_context.name in AUDIO_CODECS),
        None,
    )
    return video, audio


def _duration_s(container: av.container.InputContainer, video: VideoStream) -> float | None:
    if container.duration is not None and container.duration > 0:
        return float(container.duration / av.time_base)
    if video.duration is not None and video.duration > 0 and video.time_base is not None:
        return float(video.duration * video.time_base)
    return None


def _remux(
    container: av.container.InputContainer,
    video: VideoStream,
    audio: AudioStream | None,
    folder: Path,
    limits: VideoLimits,
) -> None:
    # FFmpeg expands "%d" in the segment name: a "%" in the folder's path must stay itself.
    segments = str(folder).replace("%", "%%") + "/seg%d.m4s"
    options = {
        "hls_time": str(SEGMENT_SECONDS),
        "hls_playlist_type": "vod",
        "hls_segment_type": "fmp4",
        "hls_fmp4_init_filename": INIT_SEGMENT,
        "hls_segment_filename": segments,
        "hls_flags": "independent_segments",
        "master_pl_name": MASTER_PLAYLIST,
    }
    sources = [video] if audio is None else [video, audio]
    with av.open(str(folder / MEDIA_PLAYLIST), "w", format="hls", options=options) as output:
        streams = {source.index: output.add_stream_from_template(source) for source in sources}
        if video.codec_context.name == "hevc":  # Apple's players want hvc1 (no in-band sets)
            streams[video.index].codec_tag = "hvc1"
        for packet in container.demux(sources):
            if packet.dts is None:  # the demuxer's flush packet
                continue
            time = packet.pts if packet.pts is not None else packet.dts
            if packet.time_base is not None and time * packet.time_base > limits.max_duration_s:
                raise VideoRefused(f"the video runs past {limits.max_duration_s} s")
            packet.stream = streams[packet.stream.index]
            output.mux(packet)


def _name_codecs(master: Path, video: VideoStream, audio: AudioStream | None) -> None:
    """Add the ``CODECS`` FFmpeg leaves out of the master playlist for HEVC."""
    if video.codec_context.name != "hevc":
        return
    hevc = hevc_codec(bytes(video.codec_context.extradata or b""))
    if hevc is None:
        return
    codecs = [hevc] if audio is None else [hevc, aac_codec(audio.codec_context.profile)]
    lines = master.read_text().splitlines()
    for n, line in enumerate(lines):
        if line.startswith(_STREAM_INF) and "CODECS=" not in line:
            lines[n] = f'{line},CODECS="{",".join(codecs)}"'
    master.write_text("\n".join(lines) + "\n")


def _first_frame(container: av.container.InputContainer, video: VideoStream) -> Image.Image:
    for count, packet in enumerate(container.demux(video)):
        if count >= MAX_THUMBNAIL_PACKETS:
            break
        try:
            frames = packet.decode()
        except av.error.FFmpegError:  # a broken packet: try the next one
            continue
        for frame in frames:
            image = _image(frame)
            if frame.rotation:
                image = image.rotate(frame.rotation, expand=True)
            return image
    raise VideoRefused("no frame of the video decodes")


def _image(frame: VideoFrame) -> Image.Image:
    """``frame`` as an RGB Pillow image (its rows may be padded past the width)."""
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    size = (rgb.width, rgb.height)
    return Image.frombuffer("RGB", size, bytes(plane), "raw", "RGB", plane.line_size, 1)
