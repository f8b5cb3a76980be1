"""The actor cache: hits skip the index, every write that changes a view shows at once,
viewer state is never cached. Runs on SQLite with the in-process cache and on PostgreSQL
with Redis (the backend pairs of ``client_factory``)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Final

import pytest
from appview_replay import appview_settings
from test_appview_index import NOW, Actor

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview import actor_cache
from exprsn_pds.plugins.appview.actor_cache import CACHE_NAME
from exprsn_pds.sql import execute

PROFILE: Final = "app.bsky.actor.profile"


def lookups(client: Any) -> tuple[int, int]:
    """``(hits, misses)`` of the actor cache so far."""
    counts = get_pds(client.app).cache_stats.requests()
    return counts.get((CACHE_NAME, "hit"), 0), counts.get((CACHE_NAME, "miss"), 0)


async def shown_name(viewer: Actor, did: str) -> str | None:
    status, body = await viewer.profile(did)
    assert status == 200, body
    name: str | None = body.get("displayName")
    return name


async def trio(client_factory: Callable[..., Any], settings: Settings) -> list[Actor]:
    client = await client_factory(settings)
    return [await Actor.create(client, name) for name in ("alice", "bob", "carol")]


async def test_a_hit_is_served_from_the_cache_not_the_index(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    alice, bob, _ = await trio(client_factory, appview_settings(settings_factory))
    await bob.write(PROFILE, {"displayName": "Bob"}, rkey="self")
    assert await shown_name(alice, bob.did) == "Bob"
    hits, misses = lookups(alice.client)
    # the index changes behind the indexer's back: only a view read from the index shows it
    await execute(
        get_pds(alice.client.app).database.client,
        "UPDATE appview_profile SET display_name = ? WHERE did = ?",
        ["Not from the cache", bob.did],
    )
    assert await shown_name(alice, bob.did) == "Bob"
    after_hits, after_misses = lookups(alice.client)
    assert after_misses == misses  # alice (the viewer) and bob: both hits
    assert after_hits >= hits + 2
    assert get_pds(alice.client.app).cache_stats.hit_rate(CACHE_NAME) is not None


async def test_every_write_that_changes_a_profile_shows_in_the_next_view(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    admin_headers: dict[str, str],
) -> None:
    alice, bob, carol = await trio(client_factory, appview_settings(settings_factory))
    client = alice.client
    await bob.write(PROFILE, {"displayName": "Bob"}, rkey="self")
    assert await shown_name(alice, bob.did) == "Bob"  # cached from here on
    await bob.write(PROFILE, {"displayName": "Robert"}, rkey="self")
    assert await shown_name(alice, bob.did) == "Robert"
    await carol.write("app.bsky.graph.follow", {"subject": bob.did, "createdAt": NOW})
    await bob.write("app.bsky.feed.post", {"text": "hi", "createdAt": NOW})
    _, body = await alice.profile(bob.did)
    assert (body["followersCount"], body["postsCount"]) == (1, 1)
    response = await client.post(
        "/xrpc/com.atproto.identity.updateHandle",
        json={"handle": "bobby.test"},
        headers=bob.headers,
    )
    assert response.status_code == 200, await response.get_data()
    _, body = await alice.profile(bob.did)
    assert body["handle"] == "bobby.test"
    response = await client.post(
        "/xrpc/com.atproto.server.deactivateAccount", headers=bob.headers, json={}
    )
    assert response.status_code == 200
    status, body = await alice.profile(bob.did)
    assert (status, body["error"]) == (400, "AccountDeactivated")
    assert await shown_name(alice, carol.did) is None  # another actor, cached
    response = await client.post(
        "/xrpc/com.atproto.admin.updateSubjectStatus",
        json={
            "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": carol.did},
            "takedown": {"applied": True, "ref": "t1"},
        },
        headers=admin_headers,
    )
    assert response.status_code == 200
    status, body = await alice.profile(carol.did)
    assert (status, body["error"]) == (400, "AccountTakedown")


async def test_viewer_state_is_never_cached_nor_shared(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    alice, bob, carol = await trio(client_factory, appview_settings(settings_factory))
    follow = await alice.write("app.bsky.graph.follow", {"subject": bob.did, "createdAt": NOW})
    _, seen = await alice.profile(bob.did)
    assert seen["viewer"]["following"] == follow["uri"]
    assert seen["viewer"]["muted"] is False
    # a mute is the viewer's private state: it changes no cached fact, yet shows at once
    response = await alice.client.post(
        "/xrpc/app.bsky.graph.muteActor", json={"actor": bob.did}, headers=alice.headers
    )
    assert response.status_code == 200
    misses = lookups(alice.client)[1]
    _, seen = await alice.profile(bob.did)
    assert seen["viewer"]["muted"] is True
    assert lookups(alice.client)[1] == misses  # bob's facts still came from the cache
    # carol's view of the same cached actor carries carol's viewer state, not alice's
    hits, _ = lookups(alice.client)
    _, theirs = await carol.profile(bob.did)
    assert lookups(alice.client)[0] >= hits + 1
    assert theirs["viewer"]["muted"] is False
    assert "following" not in theirs["viewer"]
    assert theirs["followersCount"] == 1


async def test_a_view_read_before_a_write_is_not_served_after_it(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice, bob, _ = await trio(client_factory, appview_settings(settings_factory))
    await bob.write(PROFILE, {"displayName": "Bob"}, rkey="self")
    read_basics = actor_cache.read_basics

    async def read_then_write(
        client: Any, dids: Collection[str]
    ) -> dict[str, actor_cache.ActorBasics]:
        """Read the index, then let bob's edit commit (and invalidate) before the read's
        entry is stored."""
        loaded = await read_basics(client, dids)
        monkeypatch.setattr(actor_cache, "read_basics", read_basics)
        await bob.write(PROFILE, {"displayName": "Robert"}, rkey="self")
        return loaded

    monkeypatch.setattr(actor_cache, "read_basics", read_then_write)
    # the view's first read (resolving bob's DID) stores "Bob" under a version gone since
    assert await shown_name(alice, bob.did) in ("Bob", "Robert")
    assert await shown_name(alice, bob.did) == "Robert"
