"""Labels on post views, on SQLite and PostgreSQL: a record's self-labels always, and the
labels this server's ``pds_check_record`` checks attached (``src``: the service DID) only
when the caller accepts this server as a labeler (``atproto-accept-labelers``, or the
configured default ``labelers``), echoed in ``atproto-content-labelers``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appview_replay import appview_settings
from test_appview_index import Actor

from exprsn_pds import RecordLabels, hookimpl
from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings


class Spoilers:
    """Labels posts that mention spoilers."""

    @hookimpl
    def pds_check_record(self, record: dict[str, Any]) -> RecordLabels | None:
        return RecordLabels(("spoiler",)) if "spoiler" in str(record.get("text", "")) else None


async def _labels(actor: Actor, uri: str, accept: str | None) -> tuple[list[Any], str | None]:
    headers = dict(actor.headers)
    if accept is not None:
        headers["atproto-accept-labelers"] = accept
    response = await actor.client.get(
        "/xrpc/app.bsky.feed.getPosts", query_string={"uris": uri}, headers=headers
    )
    assert response.status_code == 200
    body = await response.get_json()
    labels = [(label["src"], label["val"]) for label in body["posts"][0]["labels"]]
    return labels, response.headers.get("atproto-content-labelers")


async def test_server_labels_show_for_callers_that_accept_this_labeler(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(
        appview_settings(settings_factory), extra_plugins=[("spoilers", Spoilers())]
    )
    service = get_pds(client.app).settings.service_did
    alice = await Actor.create(client, "alice")
    written = await alice.write(
        "app.bsky.feed.post",
        {
            "text": "a spoiler ahead",
            "createdAt": "2026-01-01T00:00:00Z",
            "labels": {
                "$type": "com.atproto.label.defs#selfLabels",
                "values": [{"val": "graphic-media"}],
            },
        },
    )
    uri = written["uri"]
    assert await _labels(alice, uri, service) == (
        [(service, "spoiler"), (alice.did, "graphic-media")],
        service,
    )
    assert await _labels(alice, uri, "did:plc:other;redact") == (
        [(alice.did, "graphic-media")],
        "did:plc:other;redact",
    )
    assert (await _labels(alice, uri, None))[0] == [(alice.did, "graphic-media")]
    await alice.write(
        "app.bsky.feed.post",
        {"text": "all clear now", "createdAt": "2026-01-01T00:00:00Z"},
        rkey=uri.rsplit("/", 1)[1],
    )
    assert (await _labels(alice, uri, service))[0] == []


async def test_the_configured_labelers_include_this_server(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    client = await client_factory(
        appview_settings(settings_factory, labelers=[settings.service_did]),
        extra_plugins=[("spoilers", Spoilers())],
    )
    service = get_pds(client.app).settings.service_did
    alice = await Actor.create(client, "alice")
    uri = (
        await alice.write(
            "app.bsky.feed.post", {"text": "spoiler", "createdAt": "2026-01-01T00:00:00Z"}
        )
    )["uri"]
    assert await _labels(alice, uri, None) == ([(service, "spoiler")], service)


class Verified:
    """Labels profiles that call themselves official."""

    @hookimpl
    def pds_check_record(self, collection: str, record: dict[str, Any]) -> RecordLabels | None:
        name = str(record.get("displayName", ""))
        if collection == "app.bsky.actor.profile" and "official" in name.lower():
            return RecordLabels(("impersonation-risk",))
        return None


async def test_server_labels_of_profiles_show_on_profile_views_that_accept_them(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(
        appview_settings(settings_factory), extra_plugins=[("verified", Verified())]
    )
    service = get_pds(client.app).settings.service_did
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    await bob.write("app.bsky.actor.profile", {"displayName": "Official Bob"}, rkey="self")

    async def labels(accept: str | None) -> list[tuple[str, str]]:
        headers = dict(alice.headers)
        if accept is not None:
            headers["atproto-accept-labelers"] = accept
        response = await client.get(
            "/xrpc/app.bsky.actor.getProfile", query_string={"actor": bob.did}, headers=headers
        )
        body = await response.get_json()
        return [(label["src"], label["val"]) for label in body["labels"]]

    assert await labels(service) == [(service, "impersonation-risk")]
    assert await labels("did:plc:other") == []
    await bob.write("app.bsky.actor.profile", {"displayName": "Bob"}, rkey="self")
    assert await labels(service) == []
