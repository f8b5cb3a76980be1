"""Images: the URL builder (``pds.image_urls``) and the ``images`` plugin's ``/img`` route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exprsn_pds import DEFAULT_IMAGE_FORMAT, IMAGE_FORMATS, IMAGE_PRESETS, ImageUrls
from exprsn_pds.config import ConfigError, Settings, load_settings
from exprsn_pds.datamodel import Cid
from exprsn_pds.pds import Pds

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
