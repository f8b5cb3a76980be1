"""Images: the URL builder (``pds.image_urls``) and the ``images`` plugin's ``/img`` route."""

from __future__ import annotations

import asyncio
import io
import os
import struct
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageCms

from exprsn_pds import DEFAULT_IMAGE_FORMAT, IMAGE_FORMATS, IMAGE_PRESETS, ImageUrls
from exprsn_pds.app import get_pds
from exprsn_pds.config import ConfigError, Settings, load_settings
from exprsn_pds.datamodel import Cid
from exprsn_pds.pds import Pds
from exprsn_pds.plugins.images import cache as image_cache
from exprsn_pds.plugins.images import server as image_server
from exprsn_pds.plugins.images.cache import ImageCache
from exprsn_pds.plugins.images.render import render

DID = "did:plc:abcdefghijklmnopqrstuvwx"
CID = Cid.for_raw(b"an image")


def _settings(tmp_path: Path, environ: dict[str, str] | None = None, **sections: Any) -> Settings:
    server = {"data_directory": str(tmp_path), **sections.pop("server", {})}
    return load_settings(environ=environ or {}, overrides={"server": server, **sections})


# --- the URL builder --------------------------------------------------------------------


def test_image_urls_default_to_this_servers_public_url(tmp_path: Path) -> None:
    public = ImageUrls.from_settings(_settings(tmp_path, server={"hostname": "pds.example.com"}))
    assert public.url("avatar", DID, CID) == f"https://pds.example.com/img/avatar/plain/{DID}/{CID}"
    local = ImageUrls.from_settings(_settings(tmp_path, server={"hostname": "localhost"}))
    assert local.url("banner", DID, str(CID), "jpeg") == (
        f"http://localhost:2583/img/banner/plain/{DID}/{CID}@jpeg"
    )


def test_a_cdn_base_replaces_the_public_url(tmp_path: Path) -> None:
    configured = _settings(tmp_path, images={"cdn_url": "https://cdn.example.net/img/"})
    urls = ImageUrls.from_settings(configured)
    assert urls.url("feed_thumbnail", DID, CID, "webp") == (
        f"https://cdn.example.net/img/feed_thumbnail/plain/{DID}/{CID}@webp"
    )
    from_env = _settings(tmp_path, environ={"PDS_IMAGES_CDN_URL": "https://cdn.example.org"})
    assert ImageUrls.from_settings(from_env).url("avatar", DID, CID) == (
        f"https://cdn.example.org/avatar/plain/{DID}/{CID}"
    )
    with pytest.raises(ConfigError, match="cdn_url"):
        _settings(tmp_path, images={"cdn_url": "cdn.example.org"})


def test_image_urls_refuse_unknown_presets_and_formats() -> None:
    urls = ImageUrls("https://pds.example.com/img")
    for preset in IMAGE_PRESETS:
        for image_format in IMAGE_FORMATS:
            assert urls.url(preset, DID, CID, image_format).endswith(f"/{CID}@{image_format}")
    with pytest.raises(ValueError, match="preset"):
        urls.url("huge", DID, CID)
    with pytest.raises(ValueError, match="format"):
        urls.url("avatar", DID, CID, "gif")  # type: ignore[arg-type]
    assert DEFAULT_IMAGE_FORMAT in IMAGE_FORMATS


def test_the_pds_offers_the_builder_to_plugins(tmp_path: Path) -> None:
    pds = Pds(_settings(tmp_path, server={"hostname": "pds.example.com"}))
    assert pds.image_urls.url("avatar_thumbnail", DID, CID) == (
        f"https://pds.example.com/img/avatar_thumbnail/plain/{DID}/{CID}"
    )


# --- the /img route -----------------------------------------------------------------------

XRPC = "/xrpc"
MAX_PIXELS = 2_000_000
MAX_SOURCE_BYTES = 3_000_000


def jpeg(width: int, height: int, **save: Any) -> bytes:
    """A JPEG with some detail (a gradient), so resizing has something to do."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", **save)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few dozen bytes (a bomb's header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def image_settings(settings_factory: Callable[..., Settings], **images: Any) -> Settings:
    section = {"max_pixels": MAX_PIXELS, "max_source_bytes": MAX_SOURCE_BYTES, **images}
    return settings_factory(plugins={"enabled": ["images"], "images": section})


@pytest.fixture
async def client(
    client_factory: Callable[..., Awaitable[Any]], settings_factory: Callable[..., Settings]
) -> Any:
    """The built-in essential plugins and ``images``, with small source limits."""
    return await client_factory(image_settings(settings_factory))


async def hosted_blob(client: Any, account: Any, data: bytes, rkey: str = "1") -> str:
    """Upload ``data`` as ``account`` and use it in a record (so it is permanent); its CID."""
    uploaded = await client.post(
        f"{XRPC}/com.atproto.repo.uploadBlob",
        data=data,
        headers={**account.headers, "Content-Type": "application/octet-stream"},
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


def path(preset: str, did: str, cid: str, image_format: str | None = None) -> str:
    return urlsplit(ImageUrls("http://x/img").url(preset, did, cid, image_format)).path  # type: ignore[arg-type]


async def fetched(client: Any, url: str) -> tuple[Any, Image.Image]:
    response = await client.get(url)
    assert response.status_code == 200, await response.get_data()
    return response, Image.open(io.BytesIO(await response.get_data()))


async def error_of(response: Any) -> tuple[int, str, str]:
    body = await response.get_json()
    return response.status_code, body["error"], body["message"]


EXPECTED_SIZES = {  # of a 1200 x 800 source
    "avatar": (1000, 1000),
    "avatar_thumbnail": (128, 128),
    "banner": (3000, 1000),
    "feed_thumbnail": (2000, 1333),
    "feed_fullsize": (1000, 667),
}


async def test_each_preset_resizes_to_its_size_in_each_format(client: Any, alice: Any) -> None:
    cid = await hosted_blob(client, alice, jpeg(1200, 800))
    assert set(EXPECTED_SIZES) == set(IMAGE_PRESETS)
    for preset, size in EXPECTED_SIZES.items():
        for image_format, pillow_format in (("jpeg", "JPEG"), ("webp", "WEBP"), (None, "WEBP")):
            response, image = await fetched(client, path(preset, alice.did, cid, image_format))
            assert (image.size, image.format) == (size, pillow_format), (preset, image_format)
            assert response.headers["Content-Type"] == f"image/{pillow_format.lower()}"
            assert response.headers["Cache-Control"] == ("public, max-age=31536000, immutable")
            assert response.headers["ETag"].startswith('"')


async def test_a_small_image_is_enlarged_to_the_preset(client: Any, alice: Any) -> None:
    cid = await hosted_blob(client, alice, jpeg(50, 40))
    _, avatar = await fetched(client, path("avatar", alice.did, cid, "jpeg"))
    _, full = await fetched(client, path("feed_fullsize", alice.did, cid, "jpeg"))
    assert (avatar.size, full.size) == ((1000, 1000), (1000, 800))


async def test_exif_orientation_is_applied_and_metadata_dropped(client: Any, alice: Any) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: shown 100 wide, 200 high
    exif[0x010F] = "Camera maker"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>where it was taken</x:xmpmeta>"
    source = jpeg(200, 100, exif=exif, icc_profile=icc, xmp=xmp, comment=b"a comment")
    cid = await hosted_blob(client, alice, source)
    for image_format in IMAGE_FORMATS:
        response, image = await fetched(client, path("feed_fullsize", alice.did, cid, image_format))
        assert image.size == (500, 1000)
        assert dict(image.getexif()) == {}
        assert not {"icc_profile", "exif", "xmp", "comment"} & set(image.info)
        data = await response.get_data()
        assert b"where it was taken" not in data and b"Camera maker" not in data


async def test_transparency_survives_in_webp_and_is_white_in_jpeg(client: Any, alice: Any) -> None:
    cid = await hosted_blob(client, alice, png(Image.new("RGBA", (64, 64), (255, 0, 0, 0))))
    _, webp = await fetched(client, path("avatar_thumbnail", alice.did, cid, "webp"))
    _, jpg = await fetched(client, path("avatar_thumbnail", alice.did, cid, "jpeg"))
    assert webp.mode == "RGBA" and webp.getpixel((5, 5))[3] == 0  # type: ignore[index]
    assert jpg.mode == "RGB" and jpg.getpixel((5, 5)) == (255, 255, 255)


async def test_a_palette_gif_is_served(client: Any, alice: Any) -> None:
    out = io.BytesIO()
    Image.new("P", (30, 60), 3).save(out, format="GIF")
    cid = await hosted_blob(client, alice, out.getvalue())
    _, image = await fetched(client, path("feed_fullsize", alice.did, cid, "jpeg"))
    assert image.size == (500, 1000)


async def test_a_cache_hit_serves_the_same_bytes(client: Any, alice: Any) -> None:
    cid = await hosted_blob(client, alice, jpeg(300, 200))
    url = path("avatar", alice.did, cid, "jpeg")
    first = await client.get(url)
    second = await client.get(url)
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert await first.get_data() == await second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    folder = get_pds(client.app).settings.data_directory / "image-cache"
    assert [file.read_bytes() for file in folder.glob("*/*")] == [await first.get_data()]
    unchanged = await client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and await unchanged.get_data() == b""
    other_format = await client.get(path("avatar", alice.did, cid, "webp"))
    assert other_format.headers["X-Cache"] == "miss"
    assert other_format.headers["ETag"] != first.headers["ETag"]


async def test_the_cache_stays_within_its_bound(
    client_factory: Callable[..., Awaitable[Any]],
    settings_factory: Callable[..., Settings],
    account_factory: Callable[..., Awaitable[Any]],
) -> None:
    bound = 12_000
    client = await client_factory(image_settings(settings_factory, cache_max_bytes=bound))
    alice = await account_factory(client, "alice.test")
    folder = get_pds(client.app).settings.data_directory / "image-cache"
    urls = []
    for n in range(8):
        cid = await hosted_blob(client, alice, jpeg(100 + n, 100), rkey=str(n))
        urls.append(path("avatar_thumbnail", alice.did, cid, "jpeg"))
        assert (await client.get(urls[-1])).headers["X-Cache"] == "miss"
        assert sum(file.stat().st_size for file in folder.glob("*/*")) <= bound
    assert (await client.get(urls[-1])).headers["X-Cache"] == "hit"
    assert (await client.get(urls[0])).headers["X-Cache"] == "miss"  # evicted


async def test_the_cache_index_is_rebuilt_from_disk_oldest_dropped_first(tmp_path: Path) -> None:
    first = ImageCache(tmp_path, max_bytes=10)
    await first.open()
    for n, key in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        await first.put(key, b"1234")
        os.utime(first._path(key), (1000 + n, 1000 + n))
    assert (await first.get("a" * 64), len(first)) == (None, 2)  # dropped at the third put
    (tmp_path / "bb" / "leftover.tmp").write_bytes(b"partial")
    again = ImageCache(tmp_path, max_bytes=4)
    await again.open()
    assert (await again.get("b" * 64), await again.get("c" * 64)) == (None, b"1234")
    assert sorted(p.name for p in tmp_path.glob("*/*")) == ["c" * 64]


async def test_a_taken_down_blob_is_not_served_even_when_cached(client: Any, alice: Any) -> None:
    pds = get_pds(client.app)
    cid = await hosted_blob(client, alice, jpeg(100, 100))
    url = path("avatar", alice.did, cid, "jpeg")
    assert (await client.get(url)).status_code == 200
    await pds.blobs.set_takedown(alice.did, cid, "takedown-1")
    assert (await error_of(await client.get(url)))[:2] == (404, "NotFound")
    assert await pds.blobs.servable(alice.did, Cid.parse(cid)) is None
    await pds.blobs.set_takedown(alice.did, cid, None)
    assert (await client.get(url)).headers["X-Cache"] == "hit"


async def test_a_taken_down_or_deactivated_account_is_not_served(client: Any, alice: Any) -> None:
    pds = get_pds(client.app)
    cid = await hosted_blob(client, alice, jpeg(100, 100))
    url = path("avatar", alice.did, cid, "jpeg")
    assert (await client.get(url)).status_code == 200
    await pds.accounts.set_takedown(alice.did, "takedown-2")
    assert (await error_of(await client.get(url)))[:2] == (404, "NotFound")
    await pds.accounts.set_takedown(alice.did, None)
    assert (await client.get(url)).status_code == 200
    await pds.accounts.deactivate(alice.did)
    assert (await error_of(await client.get(url)))[:2] == (404, "NotFound")


async def test_only_the_owners_hosted_blob_is_served(
    client: Any, alice: Any, account_factory: Callable[..., Awaitable[Any]]
) -> None:
    bob = await account_factory(client, "bob.test")
    cid = await hosted_blob(client, alice, jpeg(100, 100))
    stranger = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
    for did in (bob.did, stranger):
        assert (await error_of(await client.get(path("avatar", did, cid))))[:2] == (
            404,
            "NotFound",
        )
    uploaded = await client.post(
        f"{XRPC}/com.atproto.repo.uploadBlob",
        data=jpeg(90, 90),
        headers={**alice.headers, "Content-Type": "image/jpeg"},
    )
    temporary = (await uploaded.get_json())["blob"]["ref"]["$link"]  # no record uses it
    assert (await error_of(await client.get(path("avatar", alice.did, temporary))))[0] == 404


async def test_a_blob_that_is_no_image_is_refused(client: Any, alice: Any) -> None:
    broken_png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    for n, data in enumerate((b"just some text, not an image", broken_png, svg)):
        cid = await hosted_blob(client, alice, data, rkey=str(n))
        status, error, message = await error_of(await client.get(path("avatar", alice.did, cid)))
        assert (status, error) == (400, "InvalidRequest"), message
        assert "image" in message


async def test_decompression_bombs_and_oversized_sources_are_refused(
    client: Any, alice: Any
) -> None:
    cases = {
        "over the pixel bound": png_header_only(2000, 2000),
        "over pillow's own bound": png_header_only(100_000, 100_000),
        "over the source bytes bound": b"\xff\xd8\xff\xe0" + os.urandom(MAX_SOURCE_BYTES),
    }
    for n, (case, data) in enumerate(cases.items()):
        cid = await hosted_blob(client, alice, data, rkey=str(n))
        status, error, _ = await error_of(await client.get(path("feed_fullsize", alice.did, cid)))
        assert (status, error) == (400, "InvalidRequest"), case


async def test_bad_input_in_every_part_of_the_path(client: Any, alice: Any) -> None:
    cid = await hosted_blob(client, alice, jpeg(100, 100))
    record_cid = str(Cid.for_dag_cbor(b"\xa0"))
    bad = {
        f"/img/huge/plain/{alice.did}/{cid}": "preset",
        f"/img/avatar/plain/not-a-did/{cid}": "DID",
        f"/img/avatar/plain/did:plc:/{cid}": "DID",
        f"/img/avatar/plain/{alice.did}/nocid": "CID",
        f"/img/avatar/plain/{alice.did}/{record_cid}": "CID",
        f"/img/avatar/plain/{alice.did}/@jpeg": "CID",
        f"/img/avatar/plain/{alice.did}/{cid}@gif": "format",
        f"/img/avatar/plain/{alice.did}/{cid}@png": "format",
        f"/img/avatar/plain/{alice.did}/{cid}@": "format",
        f"/img/avatar/plain/{alice.did}/{cid}@jpeg@jpeg": "format",
    }
    for url, part in bad.items():
        status, error, message = await error_of(await client.get(url))
        assert (status, error) == (400, "InvalidRequest"), url
        assert part in message, (url, message)
    for url in (
        f"/img/avatar/plain/{alice.did}",
        f"/img/avatar/fancy/{alice.did}/{cid}",
        f"/img/avatar/plain/{alice.did}/{cid}/more",
    ):
        assert (await error_of(await client.get(url)))[:2] == (404, "NotFound"), url
    assert (await client.post(path("avatar", alice.did, cid))).status_code == 405


async def test_urls_from_the_builder_are_served_here(client: Any, alice: Any) -> None:
    cid = await hosted_blob(client, alice, jpeg(100, 100))
    url = get_pds(client.app).image_urls.url("avatar_thumbnail", alice.did, cid, "jpeg")
    assert url.startswith("http://localhost:2583/img/")
    _, image = await fetched(client, urlsplit(url).path)
    assert image.size == (128, 128)


async def test_concurrent_requests_share_one_render(
    client: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[str] = []

    def counted(source: bytes, preset: Any, image_format: Any, limits: Any) -> bytes:
        renders.append(preset.name)
        return render(source, preset, image_format, limits)

    monkeypatch.setattr(image_server, "render", counted)
    cid = await hosted_blob(client, alice, jpeg(400, 300))
    url = path("banner", alice.did, cid, "jpeg")
    answers = await asyncio.gather(*(client.get(url) for _ in range(6)))
    bodies = {await answer.get_data() for answer in answers}
    assert [answer.status_code for answer in answers] == [200] * 6
    assert (len(bodies), renders) == (1, ["banner"])


async def test_head_answers_like_get(client: Any, alice: Any) -> None:
    # (hypercorn, not the app, leaves out the body of an answer to HEAD)
    cid = await hosted_blob(client, alice, jpeg(100, 100))
    url = path("avatar_thumbnail", alice.did, cid, "jpeg")
    got, head = await client.get(url), await client.head(url)
    assert (head.status_code, head.headers["Content-Type"]) == (200, "image/jpeg")
    assert head.headers["Content-Length"] == got.headers["Content-Length"]


async def test_a_cache_that_cannot_be_written_still_serves(
    client: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(image_cache, "_write", full_disk)
    cid = await hosted_blob(client, alice, jpeg(100, 100))
    url = path("avatar_thumbnail", alice.did, cid, "jpeg")
    for _ in range(2):
        response = await client.get(url)
        assert (response.status_code, response.headers["X-Cache"]) == (200, "miss")


async def test_a_did_holding_a_percent_sign_round_trips(
    client: Any, account_factory: Callable[..., Awaitable[Any]]
) -> None:
    carol = await account_factory(client, "carol.test", did="did:web:carol.example%3A8443")
    cid = await hosted_blob(client, carol, jpeg(100, 100))
    url = get_pds(client.app).image_urls.url("avatar_thumbnail", carol.did, cid, "jpeg")
    assert "/did:web:carol.example%253A8443/" in url
    _, image = await fetched(client, urlsplit(url).path)
    assert image.size == (128, 128)
