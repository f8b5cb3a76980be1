"""The server plugin: describeServer, health, banner, robots.txt; a serving process's heap
frozen after start-up."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from exprsn_pds import __version__
from exprsn_pds.app import create_app
from exprsn_pds.config import Settings

UNREACHABLE_DATABASE_URL = "postgresql://postgres@127.0.0.1:1/nowhere"


async def test_describe_server_reports_the_configuration(
    client_factory: Any, settings_factory: Any
) -> None:
    settings = settings_factory(
        server={
            "hostname": "pds.example.com",
            "contact_email": "admin@example.com",
            "privacy_policy_url": "https://example.com/privacy",
        },
        accounts={"service_handle_domains": [".example.com"], "invite_required": True},
    )
    client = await client_factory(settings)
    response = await client.get("/xrpc/com.atproto.server.describeServer")
    assert response.status_code == 200
    assert await response.get_json() == {
        "did": "did:web:pds.example.com",
        "availableUserDomains": [".example.com"],
        "inviteCodeRequired": True,
        "phoneVerificationRequired": False,
        "links": {"privacyPolicy": "https://example.com/privacy"},
        "contact": {"email": "admin@example.com"},
    }


async def test_health_reports_the_version(client_factory: Any) -> None:
    client = await client_factory()
    response = await client.get("/xrpc/_health")
    assert response.status_code == 200
    assert await response.get_json() == {"version": __version__}


async def test_health_is_503_when_the_database_is_unreachable(
    client_factory: Any, settings_factory: Any
) -> None:
    settings = settings_factory(
        database={"url": UNREACHABLE_DATABASE_URL, "migrate_on_start": False}
    )
    client = await client_factory(settings)
    response = await client.get("/xrpc/_health")
    assert response.status_code == 503
    assert (await response.get_json())["error"] == "Service Unavailable"


async def test_the_banner_names_the_server(client_factory: Any) -> None:
    client = await client_factory()
    response = await client.get("/")
    assert "AT Protocol Personal Data Server" in (await response.get_data(as_text=True))


async def test_robots_txt_allows_crawling(client_factory: Any) -> None:
    client = await client_factory()
    response = await client.get("/robots.txt")
    text = await response.get_data(as_text=True)
    assert "User-agent: *" in text and "Allow: /" in text


async def test_a_serving_app_freezes_what_start_up_made_and_a_test_app_does_not(
    settings_factory: Callable[..., Settings],
) -> None:
    gc.unfreeze()
    try:
        async with create_app(settings_factory()).test_app():
            assert gc.get_freeze_count() == 0
        async with create_app(settings_factory(), freeze_heap=True).test_app():
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
