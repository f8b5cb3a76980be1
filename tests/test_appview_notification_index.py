"""Notifications are written with the index: each reason, once per record and recipient
under re-application, removed with the record, none for a threadgate-violating reply, up
to five ancestors; the methods refuse bad input with 400 and anonymous callers with 401."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appview_replay import appview_settings
from test_appview_index import NOW, Actor, _events, ref

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview import notification_store
from exprsn_pds.plugins.appview.indexer import Indexer
from exprsn_pds.storage.sql import current_client, fetch

POST = "app.bsky.feed.post"


async def rows() -> list[tuple[str, str, str, str | None]]:
    found = await fetch(
        current_client(),
        "SELECT did, reason, record_uri, reason_subject FROM appview_notification ORDER BY id",
    )
    return [(r[0], r[1], r[2], r[3]) for r in found]


async def listed(actor: Actor, **params: Any) -> dict[str, Any]:
    response = await actor.client.get(
        "/xrpc/app.bsky.notification.listNotifications",
        query_string=params,
        headers=actor.headers,
    )
    assert response.status_code == 200, await response.get_data()
    body: dict[str, Any] = await response.get_json()
    return body


async def test_reasons_written_once_and_removed_with_their_records(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    post = await alice.write(POST, {"text": "hi", "createdAt": NOW})
    repost = await bob.write("app.bsky.feed.repost", {"subject": ref(post), "createdAt": NOW})
    like = await carol.write(
        "app.bsky.feed.like", {"subject": ref(post), "via": ref(repost), "createdAt": NOW}
    )
    await bob.write("app.bsky.graph.follow", {"subject": alice.did, "createdAt": NOW})
    mention = [
        {
            "index": {"byteStart": 0, "byteEnd": 5},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": alice.did}],
        }
    ]
    quote = {"$type": "app.bsky.embed.record", "record": ref(post)}
    mentioning = await carol.write(
        POST, {"text": "@alice", "facets": mention, "embed": quote, "createdAt": NOW}
    )
    await alice.write(POST, {"text": "me", "facets": mention, "createdAt": NOW})  # self: none
    written = await rows()
    assert written == [
        (alice.did, "repost", repost["uri"], post["uri"]),
        (alice.did, "like", like["uri"], post["uri"]),
        (bob.did, "like-via-repost", like["uri"], repost["uri"]),
        (alice.did, "follow", written[3][2], None),
        (alice.did, "mention", mentioning["uri"], None),  # a mention wins over the quote
    ]
    indexer = Indexer(get_pds(client.app))
    for event in [*await _events(), *await _events()]:
        await indexer.apply(event)
    assert await rows() == written
    await carol.delete(like["uri"])
    assert [row for row in await rows() if row[2] == like["uri"]] == []
    assert len(await rows()) == 3


async def test_replies_notify_five_ancestors_unless_the_threadgate_forbids(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    names = tuple(f"anc{i}" for i in range(7))
    actors = [await Actor.create(client, name) for name in names]
    root = await actors[0].write(POST, {"text": "root", "createdAt": NOW})
    parent = root
    for actor in actors[1:]:
        reply = {"root": ref(root), "parent": ref(parent)}
        parent = await actor.write(POST, {"text": "re", "reply": reply, "createdAt": NOW})
    last = [row for row in await rows() if row[2] == parent["uri"]]
    assert [row[0] for row in last] == [a.did for a in reversed(actors[1:6])]
    outsider = await Actor.create(client, "outsider")
    rkey = root["uri"].rsplit("/", 1)[1]
    await actors[0].write(
        "app.bsky.feed.threadgate",
        {
            "post": root["uri"],
            "allow": [{"$type": "app.bsky.feed.threadgate#followingRule"}],
            "createdAt": NOW,
        },
        rkey,
    )
    reply = {"root": ref(root), "parent": ref(root)}
    refused = await outsider.write(POST, {"text": "no", "reply": reply, "createdAt": NOW})
    assert [row for row in await rows() if row[2] == refused["uri"]] == []
    await actors[0].write("app.bsky.graph.follow", {"subject": outsider.did, "createdAt": NOW})
    allowed = await outsider.write(POST, {"text": "ok", "reply": reply, "createdAt": NOW})
    assert [row[:2] for row in await rows() if row[2] == allowed["uri"]] == [
        (actors[0].did, "reply")
    ]


async def test_list_pages_seen_and_counts(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    post = await alice.write(POST, {"text": "hi", "createdAt": NOW})
    for second in range(3):
        await bob.write(
            "app.bsky.feed.like",
            {"subject": ref(post), "createdAt": f"2026-01-01T00:00:0{second + 1}.000Z"},
        )
    first = await listed(alice, limit=2)
    assert [n["indexedAt"] for n in first["notifications"]] == [
        "2026-01-01T00:00:03.000Z",
        "2026-01-01T00:00:02.000Z",
    ]
    assert first["seenAt"] == "2026-01-01T00:00:03.000Z"
    second = await listed(alice, limit=2, cursor=first["cursor"])
    assert [n["indexedAt"] for n in second["notifications"]] == ["2026-01-01T00:00:01.000Z"]
    assert "cursor" not in second
    count = await client.get("/xrpc/app.bsky.notification.getUnreadCount", headers=alice.headers)
    assert (await count.get_json()) == {"count": 3}
    seen = await client.post(
        "/xrpc/app.bsky.notification.updateSeen",
        json={"seenAt": "2026-01-01T00:00:02.000Z"},
        headers=alice.headers,
    )
    assert seen.status_code == 200
    count = await client.get("/xrpc/app.bsky.notification.getUnreadCount", headers=alice.headers)
    assert (await count.get_json()) == {"count": 1}
    assert [n["isRead"] for n in (await listed(alice))["notifications"]] == [False, False, True]


async def test_bad_input_is_a_clear_error(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    response = await client.get(
        "/xrpc/app.bsky.notification.listNotifications",
        query_string={"cursor": "nonsense"},
        headers=alice.headers,
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "InvalidRequest"
    push = {"serviceDid": "did:web:push.test", "token": "t" * 5000, "platform": "web", "appId": "x"}
    response = await client.post(
        "/xrpc/app.bsky.notification.registerPush", json=push, headers=alice.headers
    )
    assert response.status_code == 400
    push["token"] = "t"
    stored = [notification_store.Push(alice.did, "did:web:push.test", "t", "web", "x")]
    for method, expected in (("registerPush", stored), ("unregisterPush", [])):
        response = await client.post(
            f"/xrpc/app.bsky.notification.{method}", json=push, headers=alice.headers
        )
        assert response.status_code == 200
        assert await notification_store.pushes(current_client(), alice.did) == expected
    response = await client.get("/xrpc/app.bsky.notification.getUnreadCount")
    assert response.status_code == 401
    assert (await response.get_json())["error"] == "AuthMissing"


async def test_a_deleted_account_takes_its_notifications_both_ways(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    admin_headers: dict[str, str],
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    await bob.write("app.bsky.graph.follow", {"subject": alice.did, "createdAt": NOW})
    await alice.write("app.bsky.graph.follow", {"subject": bob.did, "createdAt": NOW})
    await carol.write("app.bsky.graph.follow", {"subject": alice.did, "createdAt": NOW})
    seen = await client.post(
        "/xrpc/app.bsky.notification.updateSeen", json={"seenAt": NOW}, headers=bob.headers
    )
    assert seen.status_code == 200
    response = await client.post(
        "/xrpc/com.atproto.admin.deleteAccount", json={"did": bob.did}, headers=admin_headers
    )
    assert response.status_code == 200
    assert [row[:2] for row in await rows()] == [(alice.did, "follow")]  # carol's, to alice
    left = await fetch(
        current_client(), "SELECT did FROM appview_notification_seen WHERE did = ?", [bob.did]
    )
    assert left == []
