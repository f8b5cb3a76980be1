"""The ``video`` plugin's ``/vid`` route: HLS playlists and segments, thumbnails, refusals."""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import av
import av.codec
import pytest
from av.video.stream import VideoStream
from conftest import BUILT_IN_PLUGINS
from PIL import Image
from test_appview_index import Actor

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.datamodel import Cid
from exprsn_pds.plugins.video import remux
from exprsn_pds.plugins.video import server as video_server
from exprsn_pds.plugins.video.cache import VideoCache
from exprsn_pds.plugins.video.codecs import aac_codec, hevc_codec

XRPC = "/xrpc"
HLS = "application/vnd.apple.mpegurl"
FPS = 10
SIZE = (96, 64)
MAX_DURATION_S = 12


def _has_encoder(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except av.codec.codec.UnknownCodecError:
        return False
    return True


def _video_encoder() -> str:
    """H.264 when the PyAV wheel's FFmpeg has an encoder for it, else MPEG-4 part 2."""
    return "libx264" if _has_encoder("libx264") else "mpeg4"


def mp4(
    seconds: float = 2.0,
    *,
    size: tuple[int, int] = SIZE,
    codec: str | None = None,
    audio: bool = True,
    container: str = "mp4",
    rotation: int = 0,
    faststart: bool = False,
) -> bytes:
    """A real MP4 of ``seconds`` at :data:`FPS`, frames of generated colour (the right half
    blue), a keyframe each second, silent AAC audio when ``audio``, shown turned ``rotation``
    degrees counterclockwise (its display matrix), its index (moov) first when ``faststart``
    (as phones write MP4), else last."""
    if faststart:  # FFmpeg moves the index by reading its output back: a file, by name
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "clip.mp4"
            path.write_bytes(mp4(seconds, size=size, codec=codec, audio=audio, rotation=rotation))
            with (
                av.open(str(path)) as source,
                av.open(
                    str(path.with_name("fast.mp4")), "w", options={"movflags": "faststart"}
                ) as output,
            ):
                _copy_packets(source, output)
            return path.with_name("fast.mp4").read_bytes()
    out = io.BytesIO()
    with av.open(out, "w", format=container) as output:
        video = output.add_stream(codec or _video_encoder(), rate=FPS)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.options = {"g": str(FPS)}
        if rotation:
            video.set_display_rotation(rotation)
        sound = output.add_stream("aac", rate=8000) if audio else None
        for n in range(round(seconds * FPS)):
            picture = Image.new("RGB", size, ((n * 25) % 256, 200, 40))
            picture.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
            for packet in video.encode(av.VideoFrame.from_image(picture)):
                output.mux(packet)
        for packet in video.encode():
            output.mux(packet)
        if sound is not None:
            _silence(output, sound, seconds)
    return out.getvalue()


def _copy_packets(source: Any, output: Any) -> None:
    streams = {stream.index: output.add_stream_from_template(stream) for stream in source.streams}
    for packet in source.demux():
        if packet.dts is not None:
            packet.stream = streams[packet.stream.index]
            output.mux(packet)


def _silence(output: Any, sound: Any, seconds: float) -> None:
    total, done = round(seconds * 8000), 0
    while done < total:
        frame = av.AudioFrame(format="fltp", layout="mono", samples=min(1024, total - done))
        frame.planes[0].update(bytes(frame.planes[0].buffer_size))
        frame.sample_rate, frame.pts, frame.time_base = 8000, done, Fraction(1, 8000)
        done += frame.samples
        for packet in sound.encode(frame):
            output.mux(packet)
    for packet in sound.encode():
        output.mux(packet)


CLIP = mp4()


def video_settings(settings_factory: Callable[..., Settings], **video: Any) -> Settings:
    section = {"max_duration_s": MAX_DURATION_S, "max_source_bytes": 2_000_000, **video}
    return settings_factory(plugins={"enabled": ["video"], "video": section})


@pytest.fixture
async def client(
    client_factory: Callable[..., Awaitable[Any]], settings_factory: Callable[..., Settings]
) -> Any:
    """The built-in essential plugins and ``video``, with small limits."""
    return await client_factory(video_settings(settings_factory))


async def hosted_blob(client: Any, account: Any, data: bytes, rkey: str = "1") -> str:
    """Upload ``data`` as ``account`` through ``uploadBlob`` and use it in a record (so it is
    permanent); its CID."""
    uploaded = await client.post(
        f"{XRPC}/com.atproto.repo.uploadBlob",
        data=data,
        headers={**account.headers, "Content-Type": "video/mp4"},
    )
    assert uploaded.status_code == 200, await uploaded.get_json()
    blob = (await uploaded.get_json())["blob"]
    written = await client.post(
        f"{XRPC}/com.atproto.repo.putRecord",
        json={
            "repo": account.did,
            "collection": "com.example.file",
            "rkey": rkey,
            "record": {"file": blob},
        },
        headers=account.headers,
    )
    assert written.status_code == 200, await written.get_json()
    return str(blob["ref"]["$link"])


def url(did: str, cid: str, name: str) -> str:
    """The path the AppView's views carry (the DID escaped whole)."""
    return f"/vid/{quote(did, safe='')}/{cid}/{name}"


async def error_of(response: Any) -> tuple[int, str, str]:
    body = await response.get_json()
    return response.status_code, body["error"], body["message"]


def uris(playlist: str) -> list[str]:
    """The URIs a playlist names: its lines that are no tag, and EXT-X-MAP's."""
    found = []
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-MAP:"):
            found.append(line.split('URI="', 1)[1].split('"', 1)[0])
        elif line and not line.startswith("#"):
            found.append(line)
    return found


async def fetch(client: Any, path: str, content_type: str) -> bytes:
    response = await client.get(path)
    assert response.status_code == 200, (path, await response.get_data())
    assert response.headers["Content-Type"] == content_type, path
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    data: bytes = await response.get_data()
    assert data, path
    return data


async def test_the_playlist_names_segments_that_play_back_the_whole_video(
    client: Any, alice: Any, tmp_path: Path
) -> None:
    cid = await hosted_blob(client, alice, CLIP)
    master = (await fetch(client, url(alice.did, cid, "playlist.m3u8"), HLS)).decode()
    assert master.startswith("#EXTM3U")
    assert "#EXT-X-STREAM-INF:" in master and f"RESOLUTION={SIZE[0]}x{SIZE[1]}" in master
    assert 'CODECS="avc1.' in master and "mp4a.40.2" in master
    [media_name] = uris(master)
    media = (await fetch(client, url(alice.did, cid, media_name), HLS)).decode()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in media and media.rstrip().endswith("#EXT-X-ENDLIST")
    init, *segments = uris(media)
    assert init == "init.mp4" and segments
    parts = [await fetch(client, url(alice.did, cid, init), "video/mp4")]
    for segment in segments:
        assert "/" not in segment
        parts.append(await fetch(client, url(alice.did, cid, segment), "video/mp4"))
    joined = tmp_path / "joined.mp4"  # init + segments: what a player feeds its decoder
    joined.write_bytes(b"".join(parts))
    with av.open(str(joined)) as played:
        assert played.streams.video[0].codec_context.name == "h264"
        assert played.streams.audio[0].codec_context.name == "aac"
        frames = sum(1 for _ in played.decode(video=0))
    assert frames == 2 * FPS  # every frame, remuxed, none lost
    durations = [float(line[8:].rstrip(",")) for line in media.splitlines() if "#EXTINF:" in line]
    assert sum(durations) == pytest.approx(2.0, abs=0.2)


async def test_the_urls_in_the_appviews_video_views_are_served_here(
    client_factory: Callable[..., Awaitable[Any]], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(
        settings_factory(
            plugins={"enabled": [*BUILT_IN_PLUGINS, "appview", "video"], "video": {}},
            accounts={"service_handle_domains": [".test"]},
        )
    )
    alice = await Actor.create(client, "alice")  # over XRPC, so the AppView indexes it
    uploaded = await client.post(
        f"{XRPC}/com.atproto.repo.uploadBlob",
        data=CLIP,
        headers={**alice.headers, "Content-Type": "video/mp4"},
    )
    blob = (await uploaded.get_json())["blob"]
    post = {
        "$type": "app.bsky.feed.post",
        "text": "a clip",
        "createdAt": "2026-01-01T00:00:00Z",
        "embed": {
            "$type": "app.bsky.embed.video",
            "video": blob,
            "aspectRatio": {"width": 3, "height": 2},
        },
    }
    written = await client.post(
        f"{XRPC}/com.atproto.repo.createRecord",
        json={"repo": alice.did, "collection": "app.bsky.feed.post", "record": post},
        headers=alice.headers,
    )
    assert written.status_code == 200, await written.get_json()
    posts = await client.get(
        f"{XRPC}/app.bsky.feed.getPosts",
        query_string={"uris": (await written.get_json())["uri"]},
        headers=alice.headers,
    )
    [view] = (await posts.get_json())["posts"]
    embed = view["embed"]
    assert embed["$type"] == "app.bsky.embed.video#view"
    master = await fetch(client, urlsplit(embed["playlist"]).path, HLS)
    assert master.startswith(b"#EXTM3U")
    thumbnail = await fetch(client, urlsplit(embed["thumbnail"]).path, "image/jpeg")
    assert Image.open(io.BytesIO(thumbnail)).size == SIZE


async def test_the_thumbnail_is_the_first_frame_as_a_jpeg(client: Any, alice: Any) -> None:
    big = mp4(1.0, size=(1280, 720), audio=False)
    cid = await hosted_blob(client, alice, big)
    data = await fetch(client, url(alice.did, cid, "thumbnail.jpg"), "image/jpeg")
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("JPEG", (720, 405))
    red, green, blue = image.getpixel((180, 200))  # type: ignore[misc]
    assert red < 30 and green > 170 and blue < 80  # the first frame's colour, (0, 200, 40)
    small = await hosted_blob(client, alice, CLIP, rkey="2")
    thumb = Image.open(
        io.BytesIO(await fetch(client, url(alice.did, small, "thumbnail.jpg"), "image/jpeg"))
    )
    assert thumb.size == SIZE  # never enlarged


@pytest.mark.skipif(
    not hasattr(VideoStream, "set_display_rotation"), reason="this PyAV cannot write rotations"
)
async def test_a_turned_video_keeps_its_display_matrix_and_its_thumbnail_is_turned(
    client: Any, alice: Any, tmp_path: Path
) -> None:
    cid = await hosted_blob(client, alice, mp4(1.0, audio=False, rotation=90))
    data = await fetch(client, url(alice.did, cid, "thumbnail.jpg"), "image/jpeg")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (SIZE[1], SIZE[0])  # shown upright: 64 wide, 96 high
    top, bottom = image.getpixel((32, 10)), image.getpixel((32, 86))
    assert top[2] > 200 and bottom[1] > 170, (top, bottom)  # the right half, turned up
    init = await fetch(client, url(alice.did, cid, "init.mp4"), "video/mp4")
    joined = tmp_path / "joined.mp4"
    joined.write_bytes(init + await fetch(client, url(alice.did, cid, "seg0.m4s"), "video/mp4"))
    with av.open(str(joined)) as played:
        assert next(played.decode(video=0)).rotation == 90  # players turn it too


@pytest.mark.skipif(not _has_encoder("libx265"), reason="this PyAV has no HEVC encoder")
async def test_an_hevc_video_is_served_tagged_hvc1_with_its_codecs_named(
    client: Any, alice: Any, tmp_path: Path
) -> None:
    cid = await hosted_blob(client, alice, mp4(1.0, codec="libx265"))
    master = (await fetch(client, url(alice.did, cid, "playlist.m3u8"), HLS)).decode()
    assert re.search(r'CODECS="hvc1\.1\.6\.L[0-9]+\.[0-9A-F]+,mp4a\.40\.2"', master), master
    init = await fetch(client, url(alice.did, cid, "init.mp4"), "video/mp4")
    assert b"hvc1" in init and b"hev1" not in init
    joined = tmp_path / "joined.mp4"
    joined.write_bytes(init + await fetch(client, url(alice.did, cid, "seg0.m4s"), "video/mp4"))
    with av.open(str(joined)) as played:
        assert played.streams.video[0].codec_context.name == "hevc"
        assert sum(1 for _ in played.decode(video=0)) == FPS
    await fetch(client, url(alice.did, cid, "thumbnail.jpg"), "image/jpeg")


def test_hevc_codec_strings_follow_iso_14496_15() -> None:
    # Main 10, high tier, level 5.1 (153), progressive frame-only constraints (0xB0)
    hvcc = bytes([1, 0x22, 0x20, 0, 0, 0, 0xB0, 0, 0, 0, 0, 0, 153]) + bytes(10)
    assert hevc_codec(hvcc) == "hvc1.2.4.H153.B0"
    assert hevc_codec(b"\x00\x00\x00\x01" + hvcc) is None  # Annex B, not hvcC
    assert (aac_codec("HE-AAC"), aac_codec(None)) == ("mp4a.40.5", "mp4a.40.2")


async def test_a_video_without_audio_is_served_video_only(client: Any, alice: Any) -> None:
    cid = await hosted_blob(client, alice, mp4(1.0, audio=False))
    master = (await (await client.get(url(alice.did, cid, "playlist.m3u8"))).get_data()).decode()
    assert 'CODECS="avc1.' in master and "mp4a" not in master


async def test_each_product_is_built_once_then_served_from_the_cache(
    client: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []
    real_remux = video_server._MAKERS["hls"]

    def counted(source: Path, limits: Any, folder: Path) -> None:
        builds.append("hls")
        real_remux(source, limits, folder)

    monkeypatch.setitem(video_server._MAKERS, "hls", counted)
    cid = await hosted_blob(client, alice, CLIP)
    playlist = url(alice.did, cid, "playlist.m3u8")
    answers = await asyncio.gather(*(client.get(playlist) for _ in range(5)))
    assert [answer.status_code for answer in answers] == [200] * 5
    assert len({await answer.get_data() for answer in answers}) == 1
    assert builds == ["hls"]
    again = await client.get(playlist)
    assert again.headers["X-Cache"] == "hit"
    segment = await client.get(url(alice.did, cid, "seg0.m4s"))
    assert (segment.headers["X-Cache"], builds) == ("hit", ["hls"])
    unchanged = await client.get(playlist, headers={"If-None-Match": again.headers["ETag"]})
    assert unchanged.status_code == 304
    assert again.headers["ETag"] != segment.headers["ETag"]
    folder = get_pds(client.app).settings.data_directory / "video-cache"
    assert not list((folder / "incoming").iterdir())  # the blob's copy is gone


async def test_a_blob_that_is_no_served_video_is_refused(client: Any, alice: Any) -> None:
    mkv = mp4(1.0, container="matroska")
    mpeg4 = mp4(1.0, codec="mpeg4")
    fake = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200
    cases = {"text": b"not a video at all", "matroska": mkv, "mpeg4 part 2": mpeg4, "fake": fake}
    for n, (case, data) in enumerate(cases.items()):
        cid = await hosted_blob(client, alice, data, rkey=str(n))
        for name in ("playlist.m3u8", "thumbnail.jpg"):
            status, error, message = await error_of(await client.get(url(alice.did, cid, name)))
            assert (status, error) == (400, "InvalidRequest"), (case, name, message)
            assert "video" in message.lower(), message


async def test_broken_videos_are_refused_or_served_never_an_error_of_the_server(
    client: Any, alice: Any
) -> None:
    whole = mp4(faststart=True)
    assert whole.index(b"moov") < whole.index(b"mdat")
    middle = len(whole) // 2
    cases = {
        "cut in its media": whole[: whole.index(b"mdat") + 600],
        "cut in its index": whole[: whole.index(b"moov") + 100],
        "media overwritten": whole[:middle] + bytes(range(64)) + whole[middle + 64 :],
        "index overwritten": whole[:64] + b"\xff" * 256 + whole[320:],
    }
    for n, (case, data) in enumerate(cases.items()):
        cid = await hosted_blob(client, alice, data, rkey=str(n))
        for name in ("thumbnail.jpg", "playlist.m3u8", "video.m3u8", "init.mp4", "seg0.m4s"):
            response = await client.get(url(alice.did, cid, name))
            assert response.status_code in (200, 400, 404), (case, name)
            if response.status_code != 200:
                assert (await response.get_json())["error"] in ("InvalidRequest", "NotFound")


async def test_a_cache_that_cannot_be_written_is_503(
    client: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: VideoCache, key: str, make: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(VideoCache, "build", full_disk)
    cid = await hosted_blob(client, alice, CLIP)
    status, error, _ = await error_of(await client.get(url(alice.did, cid, "playlist.m3u8")))
    assert (status, error) == (503, "ServiceUnavailable")
    monkeypatch.undo()
    assert (await client.get(url(alice.did, cid, "playlist.m3u8"))).status_code == 200


async def test_videos_past_the_limits_are_refused(
    client_factory: Callable[..., Awaitable[Any]],
    settings_factory: Callable[..., Settings],
    account_factory: Callable[..., Awaitable[Any]],
) -> None:
    client = await client_factory(
        video_settings(settings_factory, max_duration_s=1, max_source_bytes=len(CLIP) - 1)
    )
    alice = await account_factory(client, "alice.test")
    long_and_large = await hosted_blob(client, alice, CLIP)
    status, _, message = await error_of(
        await client.get(url(alice.did, long_and_large, "playlist.m3u8"))
    )
    assert status == 400 and f"at most {len(CLIP) - 1}" in message
    long_only = await hosted_blob(client, alice, mp4(1.5, audio=False), rkey="2")
    status, _, message = await error_of(
        await client.get(url(alice.did, long_only, "playlist.m3u8"))
    )
    assert status == 400 and "at most 1 s" in message


async def test_taken_down_blobs_and_accounts_are_not_served(client: Any, alice: Any) -> None:
    pds = get_pds(client.app)
    cid = await hosted_blob(client, alice, CLIP)
    playlist, thumbnail = url(alice.did, cid, "playlist.m3u8"), url(alice.did, cid, "thumbnail.jpg")
    assert (await client.get(playlist)).status_code == 200
    await pds.blobs.set_takedown(alice.did, cid, "takedown-1")
    for path in (playlist, thumbnail, url(alice.did, cid, "seg0.m4s")):
        assert (await error_of(await client.get(path)))[:2] == (404, "NotFound"), path
    await pds.blobs.set_takedown(alice.did, cid, None)
    assert (await client.get(playlist)).headers["X-Cache"] == "hit"
    await pds.accounts.set_takedown(alice.did, "takedown-2")
    assert (await error_of(await client.get(playlist)))[:2] == (404, "NotFound")
    await pds.accounts.set_takedown(alice.did, None)
    await pds.accounts.deactivate(alice.did)
    assert (await error_of(await client.get(playlist)))[:2] == (404, "NotFound")


async def test_unknown_blobs_files_and_bad_paths(
    client: Any, alice: Any, account_factory: Callable[..., Awaitable[Any]]
) -> None:
    cid = await hosted_blob(client, alice, CLIP)
    bob = await account_factory(client, "bob.test")
    unknown = str(Cid.for_raw(b"no such video"))
    for path in (
        url(alice.did, unknown, "playlist.m3u8"),
        url(bob.did, cid, "playlist.m3u8"),
        url("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", cid, "thumbnail.jpg"),
        url(alice.did, cid, "seg999.m4s"),  # no such segment of a built video
        url(alice.did, cid, "source.mp4"),
        url(alice.did, cid, "seg01.m4s"),
        f"/vid/{alice.did}/{cid}/..%2F..%2Fsecrets.json",
        f"/vid/{alice.did}/{cid}/%2E%2E",
        f"/vid/{alice.did}/{cid}/playlist.m3u8/more",
        f"/vid/{alice.did}/{cid}",
    ):
        assert (await error_of(await client.get(path)))[:2] == (404, "NotFound"), path
    record_cid = str(Cid.for_dag_cbor(b"\xa0"))
    for path, part in {
        url("not-a-did", cid, "playlist.m3u8"): "DID",
        f"/vid/../{cid}/playlist.m3u8": "DID",
        f"/vid/%2E%2E/{cid}/playlist.m3u8": "DID",
        url(alice.did, "..", "playlist.m3u8"): "CID",
        url(alice.did, "nocid", "playlist.m3u8"): "CID",
        url(alice.did, record_cid, "playlist.m3u8"): "CID",
    }.items():
        status, error, message = await error_of(await client.get(path))
        assert (status, error) == (400, "InvalidRequest"), path
        assert part in message, (path, message)
    assert (await client.post(url(alice.did, cid, "playlist.m3u8"))).status_code == 405


async def test_a_did_holding_a_percent_sign_round_trips(
    client: Any, account_factory: Callable[..., Awaitable[Any]]
) -> None:
    carol = await account_factory(client, "carol.test", did="did:web:carol.example%3A8443")
    cid = await hosted_blob(client, carol, CLIP)
    assert "/did%3Aweb%3Acarol.example%253A8443/" in url(carol.did, cid, "thumbnail.jpg")
    await fetch(client, url(carol.did, cid, "thumbnail.jpg"), "image/jpeg")
    plain = f"/vid/{carol.did.replace('%', '%25')}/{cid}/thumbnail.jpg"  # ':' left as it is
    await fetch(client, plain, "image/jpeg")


async def test_the_cache_stays_within_its_bound_and_is_rebuilt_from_disk(tmp_path: Path) -> None:
    cache = VideoCache(tmp_path, max_bytes=10)
    await cache.open()
    for n, key in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        cache.build(key, lambda folder, n=n: (folder / "f").write_bytes(b"1234"))
        await cache.built(key)
    assert (await cache.read("a" * 64, "f"), len(cache)) == (None, 2)
    (tmp_path / "bb" / f"{'b' * 64}x.tmp").mkdir()  # an interrupted build
    again = VideoCache(tmp_path, max_bytes=4)
    await again.open()
    assert len(again) == 1 and await again.read("c" * 64, "f") == b"1234"
    assert sorted(p.name for p in tmp_path.glob("*/*") if p.is_dir()) == ["c" * 64]


async def test_concurrent_builders_build_an_entry_once(tmp_path: Path) -> None:
    """Two caches over one folder (two processes) building one entry at once."""
    first, second = VideoCache(tmp_path, 10**6), VideoCache(tmp_path, 10**6)
    makes: list[str] = []

    def make(folder: Path) -> None:
        makes.append(folder.name)
        time.sleep(0.2)
        (folder / "f").write_bytes(b"built")

    key = "d" * 64
    await asyncio.gather(
        asyncio.to_thread(first.build, key, make), asyncio.to_thread(second.build, key, make)
    )
    assert len(makes) == 1
    assert await first.read(key, "f") == await second.read(key, "f") == b"built"


def test_the_remux_checks_the_duration_in_the_header_and_while_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    source = tmp_path / "clip.mp4"
    source.write_bytes(CLIP)
    limits = remux.VideoLimits(
        max_duration_s=1, max_pixels=10**6, thumbnail_width=720, thumbnail_quality=85
    )
    with pytest.raises(remux.VideoRefused, match="at most 1 s"):
        remux.remux_hls(source, limits, tmp_path / "out")
    monkeypatch.setattr(remux, "_duration_s", lambda container, video: 0.5)  # a header that lies
    with pytest.raises(remux.VideoRefused, match="runs past 1 s"):
        remux.remux_hls(source, limits, tmp_path / "out")
