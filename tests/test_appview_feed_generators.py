"""``app.bsky.feed`` generator metadata: getFeedGenerator (service DID checks),
getFeedGenerators, getActorFeeds pages and the curated getSuggestedFeeds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from appview_replay import appview_settings
from test_appview_index import Actor

from exprsn_pds import IdentityService
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview.settings import AppviewSettings

GENERATOR: Final = "app.bsky.feed.generator"
FEED_DID: Final = "did:web:feeds.example"


async def _get(caller: Actor, nsid: str, /, **params: Any) -> tuple[int, dict[str, Any]]:
    return await caller.query(f"app.bsky.feed.{nsid}", **params)


async def _generator(actor: Actor, name: str, minute: int, did: str = FEED_DID) -> str:
    record = {"did": did, "displayName": name, "createdAt": f"2026-01-01T00:0{minute}:00Z"}
    return (await actor.write(GENERATOR, record))["uri"]


def _documents(
    monkeypatch: pytest.MonkeyPatch, documents: dict[str, dict[str, Any] | None]
) -> None:
    original = IdentityService.resolve_did

    async def resolve(
        self: IdentityService, did: str, *, force_refresh: bool = False
    ) -> dict[str, Any] | None:
        if did in documents:
            return documents[did]
        return await original(self, did, force_refresh=force_refresh)

    monkeypatch.setattr(IdentityService, "resolve_did", resolve)


def _feed_document(did: str, service_type: str = "BskyFeedGenerator") -> dict[str, Any]:
    return {
        "id": did,
        "service": [
            {"id": "#bsky_fg", "type": service_type, "serviceEndpoint": "https://feeds.example"}
        ],
    }


async def test_get_feed_generator_needs_a_feed_service_in_the_did_document(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    good = await _generator(alice, "Cats", 0)
    wrong = await _generator(alice, "Dogs", 1, "did:web:wrong.example")
    gone = await _generator(alice, "Owls", 2, "did:web:gone.example")
    _documents(
        monkeypatch,
        {
            FEED_DID: _feed_document(FEED_DID),
            "did:web:wrong.example": _feed_document("did:web:wrong.example", "Other"),
            "did:web:gone.example": None,
        },
    )
    status, body = await _get(bob, "getFeedGenerator", feed=good)
    assert status == 200 and body["isOnline"] is True and body["isValid"] is True
    view = body["view"]
    assert view["uri"] == good and view["did"] == FEED_DID and view["displayName"] == "Cats"
    assert view["creator"]["did"] == alice.did and view["likeCount"] == 0
    status, body = await _get(bob, "getFeedGenerator", feed=wrong)
    assert status == 400 and body["message"] == (
        "invalid feed generator service details in did document: did:web:wrong.example"
    )
    status, body = await _get(bob, "getFeedGenerator", feed=gone)
    assert status == 400
    assert body["message"] == "could not resolve identity: did:web:gone.example"
    missing = f"at://{alice.did}/{GENERATOR}/missing"
    status, body = await _get(bob, "getFeedGenerator", feed=missing)
    assert status == 400 and body == {"error": "InvalidRequest", "message": "could not find feed"}
    status, body = await _get(bob, "getFeedGenerator", feed="not a uri")
    assert status == 400 and body["error"] == "InvalidRequest"


async def test_get_feed_generators_in_the_order_asked_without_missing_ones(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    first, second = await _generator(alice, "One", 0), await _generator(bob, "Two", 1)
    missing = f"at://{alice.did}/{GENERATOR}/missing"
    status, body = await _get(bob, "getFeedGenerators", feeds=[second, missing, first, second])
    assert status == 200
    assert [view["uri"] for view in body["feeds"]] == [second, first]
    assert set(body) == {"feeds"}


async def test_get_actor_feeds_pages_newest_first_and_hides_an_inactive_creator(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    made = [await _generator(alice, f"Feed {minute}", minute) for minute in range(3)]
    status, body = await _get(bob, "getActorFeeds", actor=alice.did, limit=2)
    assert status == 200 and [view["uri"] for view in body["feeds"]] == made[:0:-1]
    status, rest = await _get(bob, "getActorFeeds", actor=alice.did, cursor=body["cursor"])
    assert status == 200 and [view["uri"] for view in rest["feeds"]] == [made[0]]
    assert "cursor" not in rest
    status, body = await _get(bob, "getActorFeeds", actor="nobody.test")
    assert status == 400 and body["message"] == "Profile not found"
    status, body = await _get(bob, "getActorFeeds", actor=alice.did, cursor="bad")
    assert status == 400 and body["error"] == "InvalidRequest"
    response = await client.post(
        "/xrpc/com.atproto.server.deactivateAccount", json={}, headers=alice.headers
    )
    assert response.status_code == 200
    assert (await _get(bob, "getActorFeeds", actor=alice.did))[1] == {"feeds": []}


async def test_get_suggested_feeds_offers_the_curated_ones_in_order(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    status, body = await _get(alice, "getSuggestedFeeds")
    assert status == 200 and body == {"feeds": []}
    made = [await _generator(alice, f"Feed {minute}", minute) for minute in range(3)]
    curated = AppviewSettings(suggested_feeds=(made[2], f"at://{alice.did}/{GENERATOR}/x", made[0]))
    monkeypatch.setattr(AppviewSettings, "of", classmethod(lambda cls, pds: curated))
    status, body = await _get(alice, "getSuggestedFeeds", limit=2)
    assert status == 200 and [view["uri"] for view in body["feeds"]] == [made[2]]
    status, rest = await _get(alice, "getSuggestedFeeds", cursor=body["cursor"])
    assert [view["uri"] for view in rest["feeds"]] == [made[0]] and "cursor" not in rest
    status, body = await _get(alice, "getSuggestedFeeds", cursor="x")
    assert status == 400 and body["error"] == "InvalidRequest"
