"""Feed skeletons on SQLite and PostgreSQL: the home timeline's items (follows' and own
posts and reposts), its official merge and cursor, the block and mute rules, and the list
feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from appview_replay import appview_settings
from test_appview_index import Actor

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview import feed_store
from exprsn_pds.plugins.appview.feed_skeleton import (
    actors_of,
    author_feed,
    drop_blocks_and_mutes,
    list_feed,
    timeline,
)
from exprsn_pds.plugins.appview.graph_store import Cursor
from exprsn_pds.plugins.appview.hydrate import hydrate_actors

POST: Final = "app.bsky.feed.post"
REPOST: Final = "app.bsky.feed.repost"
FOLLOW: Final = "app.bsky.graph.follow"
BLOCK: Final = "app.bsky.graph.block"


def _at(minute: int) -> str:
    return f"2026-01-01T00:{minute:02d}:00.000Z"


async def _post(actor: Actor, minute: int) -> dict[str, str]:
    return await actor.write(POST, {"text": f"at {minute}", "createdAt": _at(minute)})


async def test_timeline_merges_follows_and_own_items_newest_first_with_a_stable_cursor(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    db = get_pds(client.app).database.client
    alice, bob, carol, dan = [
        await Actor.create(client, n) for n in ("alice", "bob", "carol", "dan")
    ]
    for subject in (bob, carol):
        await alice.write(FOLLOW, {"subject": subject.did, "createdAt": _at(0)})
    b1, b2 = await _post(bob, 1), await _post(bob, 3)
    own = await _post(alice, 2)
    await _post(dan, 4)  # not followed
    repost = await carol.write(
        REPOST, {"subject": {"uri": b1["uri"], "cid": b1["cid"]}, "createdAt": _at(5)}
    )
    skeleton = await timeline(db, alice.did, None, 50)
    assert [(i.post_uri, i.repost_uri, i.originator) for i in skeleton.items] == [
        (b1["uri"], repost["uri"], carol.did),
        (b2["uri"], None, bob.did),
        (own["uri"], None, alice.did),
        (b1["uri"], None, bob.did),
    ]
    assert skeleton.cursor is None
    first = await timeline(db, alice.did, None, 2)
    assert [i.uri for i in first.items] == [repost["uri"], b2["uri"]]
    assert first.cursor is not None
    await _post(bob, 6)  # arriving between pages moves nothing after the cursor
    rest = await timeline(db, alice.did, Cursor.parse(first.cursor), 2)
    assert [i.uri for i in rest.items] == [own["uri"], b1["uri"]] and rest.cursor is None
    assert (await timeline(db, dan.did, None, 10)).items[0].originator == dan.did


async def test_timeline_follows_from_the_recent_window_are_those_read_by_follows(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    db = get_pds(client.app).database.client
    alice, bob, carol, dan = [
        await Actor.create(client, n) for n in ("alice", "bob", "carol", "dan")
    ]
    for subject in (bob, carol):
        await alice.write(FOLLOW, {"subject": subject.did, "createdAt": _at(0)})
    posts = [await _post(bob, minute) for minute in (1, 2, 3, 4)]
    for minute, post in zip((5, 7, 9, 11), posts, strict=True):
        await carol.write(
            REPOST, {"subject": {"uri": post["uri"], "cid": post["cid"]}, "createdAt": _at(minute)}
        )
    for minute in (6, 8, 10, 12):  # the newest of the index, not followed
        await _post(dan, minute)
    assert await feed_store._recent(db, False, alice.did, None, 3) is not None
    for window in (2, 5, 9, 5_000):  # the window too short: read by follows
        monkeypatch.setattr(feed_store, "RECENT_WINDOW", window)
        for limit in (1, 2, 3, 5):
            cursor: Cursor | None = None
            while True:
                expected = await feed_store.items_by(
                    db, feed_store.FOLLOWED, alice.did, cursor, limit
                )
                found = await feed_store.followed_items(db, alice.did, cursor, limit)
                assert found == expected, (window, limit, cursor)
                if len(expected) < limit:
                    break
                cursor = Cursor.parse(expected[-1].cursor())


async def test_timeline_rules_drop_muted_and_blocked_authors_and_originators(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    pds = get_pds(client.app)
    alice, bob, carol, dan = [
        await Actor.create(client, n) for n in ("alice", "bob", "carol", "dan")
    ]
    for subject in (bob, carol):
        await alice.write(FOLLOW, {"subject": subject.did, "createdAt": _at(0)})
    kept = await _post(bob, 1)
    hidden = await _post(dan, 2)
    await bob.write(
        REPOST, {"subject": {"uri": hidden["uri"], "cid": hidden["cid"]}, "createdAt": _at(3)}
    )
    await carol.write(
        REPOST, {"subject": {"uri": kept["uri"], "cid": kept["cid"]}, "createdAt": _at(4)}
    )
    await dan.write(BLOCK, {"subject": alice.did, "createdAt": _at(0)})
    response = await client.post(
        "/xrpc/app.bsky.graph.muteActor", json={"actor": carol.did}, headers=alice.headers
    )
    assert response.status_code == 200
    skeleton = await timeline(pds.database.client, alice.did, None, 50)
    assert len(skeleton.items) == 3
    actors = await hydrate_actors(pds, alice.did, actors_of(skeleton.items), subscriptions=False)
    shown = drop_blocks_and_mutes(skeleton.items, actors)
    assert [(i.post_uri, i.repost_uri) for i in shown] == [(kept["uri"], None)]


async def test_list_feed_is_the_members_posts_newest_first_without_reposts(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    db = get_pds(client.app).database.client
    alice, bob, carol, dan = [
        await Actor.create(client, n) for n in ("alice", "bob", "carol", "dan")
    ]
    curated = await alice.write(
        "app.bsky.graph.list",
        {"name": "Picks", "purpose": "app.bsky.graph.defs#curatelist", "createdAt": _at(0)},
    )
    for member in (bob, carol):
        await alice.write(
            "app.bsky.graph.listitem",
            {"list": curated["uri"], "subject": member.did, "createdAt": _at(0)},
        )
    b1, c1, b2 = await _post(bob, 1), await _post(carol, 2), await _post(bob, 3)
    await _post(dan, 4)
    await carol.write(
        REPOST, {"subject": {"uri": b1["uri"], "cid": b1["cid"]}, "createdAt": _at(5)}
    )
    first = await list_feed(db, curated["uri"], None, 2)
    assert [i.uri for i in first.items] == [b2["uri"], c1["uri"]] and first.cursor is not None
    rest = await list_feed(db, curated["uri"], Cursor.parse(first.cursor), 2)
    assert [i.uri for i in rest.items] == [b1["uri"]] and rest.cursor is None
    assert (await list_feed(db, "at://did:plc:none/app.bsky.graph.list/x", None, 5)).items == []


async def test_author_feed_reply_filters_as_the_official_store(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    db = get_pds(client.app).database.client
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    top = await _post(alice, 1)
    theirs = await _post(bob, 2)

    async def reply(parent: dict[str, str], root: dict[str, str], minute: int) -> str:
        ref = {"root": {"uri": root["uri"], "cid": root["cid"]}}
        ref["parent"] = {"uri": parent["uri"], "cid": parent["cid"]}
        record = {"text": "re", "reply": ref, "createdAt": _at(minute)}
        return (await alice.write(POST, record))["uri"]

    own_thread = await reply(top, top, 3)
    elsewhere = await reply(theirs, theirs, 4)
    repost = await alice.write(
        REPOST, {"subject": {"uri": theirs["uri"], "cid": theirs["cid"]}, "createdAt": _at(5)}
    )
    gone = "at://did:plc:nobody/app.bsky.feed.post/3zzzzzzzzzzzz"
    await alice.write(REPOST, {"subject": {"uri": gone, "cid": theirs["cid"]}, "createdAt": _at(6)})
    expected = {
        "posts_with_replies": [repost["uri"], elsewhere, own_thread, top["uri"]],
        "posts_no_replies": [repost["uri"], top["uri"]],
        "posts_and_author_threads": [repost["uri"], own_thread, top["uri"]],
    }
    for feed_filter, uris in expected.items():
        skeleton = await author_feed(db, alice.did, feed_filter, None, 50)
        assert [item.uri for item in skeleton.items] == uris, feed_filter
    first = await author_feed(db, alice.did, "posts_with_replies", None, 3)
    assert first.cursor is not None
    rest = await author_feed(db, alice.did, "posts_with_replies", Cursor.parse(first.cursor), 3)
    assert [item.uri for item in rest.items] == [top["uri"]] and rest.cursor is None


async def test_author_feed_puts_the_own_pinned_post_first_on_the_first_page_only(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    db = get_pds(client.app).database.client
    alice = await Actor.create(client, "alice")
    old, new = await _post(alice, 1), await _post(alice, 2)
    repost = await alice.write(
        REPOST, {"subject": {"uri": old["uri"], "cid": old["cid"]}, "createdAt": _at(3)}
    )
    profile = {"pinnedPost": {"uri": old["uri"], "cid": old["cid"]}, "createdAt": _at(0)}
    await alice.write("app.bsky.actor.profile", profile, rkey="self")
    plain = await author_feed(db, alice.did, "posts_with_replies", None, 2)
    assert [i.uri for i in plain.items] == [repost["uri"], new["uri"]]
    first = await author_feed(db, alice.did, "posts_with_replies", None, 2, include_pins=True)
    assert [(i.uri, i.pinned) for i in first.items] == [(old["uri"], True), (new["uri"], False)]
    assert first.cursor == plain.cursor is not None
    rest = await author_feed(
        db, alice.did, "posts_with_replies", Cursor.parse(first.cursor), 2, include_pins=True
    )
    assert [(i.uri, i.pinned) for i in rest.items] == [(old["uri"], False)]
