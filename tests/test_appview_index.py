"""The AppView index: counts on create, update and delete; idempotent and order-proof
event application from both paths; account standing; the consumer alone rebuilds it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

import pytest
from appview_replay import appview_settings, index_rows, wipe_index

from exprsn_pds.app import create_app, get_pds
from exprsn_pds.config import Settings
from exprsn_pds.events.types import decode_event
from exprsn_pds.plugins.appview.indexer import Indexer
from exprsn_pds.storage.sql import current_client, execute, fetch

CONSUMER: Final = "appview.index"
NOW: Final = "2026-01-01T00:00:00.000Z"
CATCH_UP_TIMEOUT_S: Final = 60.0


class Actor:
    """An account made over XRPC, writing through ``createRecord`` and friends."""

    def __init__(self, client: Any, did: str, token: str) -> None:
        self.client = client
        self.did = did
        self.headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    async def create(cls, client: Any, name: str) -> Actor:
        response = await client.post(
            "/xrpc/com.atproto.server.createAccount",
            json={"handle": f"{name}.test", "email": f"{name}@x.test", "password": f"{name}-pw-1"},
        )
        session = await response.get_json()
        return cls(client, session["did"], session["accessJwt"])

    async def write(
        self, collection: str, record: dict[str, Any], rkey: str | None = None
    ) -> dict[str, str]:
        body = {
            "repo": self.did,
            "collection": collection,
            "record": {"$type": collection, **record},
        }
        method = "createRecord" if rkey is None else "putRecord"
        if rkey is not None:
            body["rkey"] = rkey
        response = await self.client.post(
            f"/xrpc/com.atproto.repo.{method}", json=body, headers=self.headers
        )
        assert response.status_code == 200, await response.get_data()
        written: dict[str, str] = await response.get_json()
        return written

    async def delete(self, uri: str) -> None:
        _, collection, rkey = uri[len("at://") :].split("/")
        response = await self.client.post(
            "/xrpc/com.atproto.repo.deleteRecord",
            json={"repo": self.did, "collection": collection, "rkey": rkey},
            headers=self.headers,
        )
        assert response.status_code == 200

    async def query(self, nsid: str, /, **params: Any) -> tuple[int, dict[str, Any]]:
        """GET ``nsid`` with ``params`` (a list value repeats its parameter): status, body."""
        query = [
            (key, item)
            for key, value in params.items()
            for item in (value if isinstance(value, list) else [value])
        ]
        response = await self.client.get(f"/xrpc/{nsid}", query_string=query, headers=self.headers)
        return response.status_code, await response.get_json()

    async def profile(self, actor: str) -> tuple[int, dict[str, Any]]:
        response = await self.client.get(
            "/xrpc/app.bsky.actor.getProfile", query_string={"actor": actor}, headers=self.headers
        )
        return response.status_code, await response.get_json()


def ref(written: dict[str, str]) -> dict[str, str]:
    return {"uri": written["uri"], "cid": written["cid"]}


async def post_counts(uri: str) -> tuple[int, int, int, int]:
    rows = await fetch(
        current_client(),
        "SELECT likes, reposts, replies, quotes FROM appview_post_counts WHERE uri = ?",
        [uri],
    )
    return tuple(rows[0]) if rows else (0, 0, 0, 0)  # type: ignore[return-value]


@pytest.fixture
async def alice_and_bob(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> tuple[Any, Actor, Actor]:
    """A test client of an app with the ``appview`` plugin, and two accounts on it."""
    client = await client_factory(appview_settings(settings_factory))
    return client, await Actor.create(client, "alice"), await Actor.create(client, "bob")


async def test_counts_follow_creates_updates_and_deletes(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    post = await bob.write("app.bsky.feed.post", {"text": "hi", "createdAt": NOW})
    await alice.write("app.bsky.feed.like", {"subject": ref(post), "createdAt": NOW})
    repost = await alice.write("app.bsky.feed.repost", {"subject": ref(post), "createdAt": NOW})
    reply = {"root": ref(post), "parent": ref(post)}
    await alice.write("app.bsky.feed.post", {"text": "re", "reply": reply, "createdAt": NOW})
    quote = {"$type": "app.bsky.embed.record", "record": ref(post)}
    await carol.write("app.bsky.feed.post", {"text": "q", "embed": quote, "createdAt": NOW})
    follow = await alice.write("app.bsky.graph.follow", {"subject": bob.did, "createdAt": NOW})
    assert await post_counts(post["uri"]) == (1, 1, 1, 1)
    _, seen = await carol.profile(bob.did)
    assert (seen["followersCount"], seen["postsCount"]) == (1, 1)
    # An update moves the counts from the old version's subject to the new one's.
    rkey = follow["uri"].rsplit("/", 1)[1]
    await alice.write("app.bsky.graph.follow", {"subject": carol.did, "createdAt": NOW}, rkey)
    assert (await carol.profile(bob.did))[1]["followersCount"] == 0
    assert (await carol.profile(carol.did))[1]["followersCount"] == 1
    assert (await carol.profile(alice.did))[1]["followsCount"] == 1
    await alice.delete(repost["uri"])
    await alice.delete(follow["uri"])
    await bob.delete(post["uri"])
    assert await post_counts(post["uri"]) == (1, 0, 1, 1)  # others' records still name it
    _, seen = await carol.profile(alice.did)
    assert (seen["followsCount"], seen["postsCount"]) == (0, 1)
    assert (await carol.profile(bob.did))[1]["postsCount"] == 0


async def _events() -> list[Any]:
    rows = await fetch(current_client(), "SELECT frame FROM repo_event ORDER BY seq")
    return [decode_event(bytes(row[0])) for row in rows]


async def _scene(client: Any) -> None:
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    await bob.write("app.bsky.actor.profile", {"displayName": "Bob", "createdAt": NOW}, "self")
    await bob.write("app.bsky.actor.profile", {"displayName": "Bobby", "createdAt": NOW}, "self")
    post = await bob.write("app.bsky.feed.post", {"text": "hi", "createdAt": NOW})
    like = await alice.write("app.bsky.feed.like", {"subject": ref(post), "createdAt": NOW})
    await alice.write("app.bsky.graph.follow", {"subject": bob.did, "createdAt": NOW})
    await alice.delete(like["uri"])
    listed = await alice.write(
        "app.bsky.graph.list",
        {"purpose": "app.bsky.graph.defs#modlist", "name": "L", "createdAt": NOW},
    )
    await alice.write(
        "app.bsky.graph.listitem",
        {"subject": bob.did, "list": listed["uri"], "createdAt": NOW},
    )


async def test_every_event_applied_again_in_any_order_changes_nothing(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    await _scene(client)
    built = await index_rows(current_client())
    indexer = Indexer(get_pds(client.app))
    events = await _events()
    for event in [*events, *reversed(events)]:
        await indexer.apply(event)
    assert await index_rows(current_client()) == built
    assert built["appview_follow"] and built["appview_list_counts"]


async def test_a_late_create_after_its_delete_stays_deleted(
    alice_and_bob: tuple[Any, Actor, Actor],
) -> None:
    client, alice, bob = alice_and_bob
    follow = await alice.write("app.bsky.graph.follow", {"subject": bob.did, "createdAt": NOW})
    await alice.delete(follow["uri"])
    events = await _events()
    async with get_pds(client.app).database.transaction() as transaction:
        await wipe_index(transaction)
    indexer = Indexer(get_pds(client.app))
    for event in reversed(events):  # the delete first, then the create it undoes
        await indexer.apply(event)
    rows = await index_rows(current_client())
    assert rows["appview_follow"] == []
    assert rows["appview_actor_counts"] == []


async def _caught_up(pds: Any) -> None:
    async with asyncio.timeout(CATCH_UP_TIMEOUT_S):
        while (lag := await pds.consumers.lag(CONSUMER)) is None or lag.events_behind:
            await asyncio.sleep(0.05)


async def test_the_durable_consumer_alone_rebuilds_the_same_index(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = appview_settings(settings_factory)
    app = create_app(settings)
    async with app.test_app() as test_app:
        await _scene(test_app.test_client())
        await _caught_up(get_pds(app))
        built = await index_rows(current_client())
        async with get_pds(app).database.transaction() as transaction:
            await wipe_index(transaction)
    app = create_app(settings)
    async with app.test_app():
        pds = get_pds(app)
        await pds.consumers.stop()
        async with pds.database.transaction() as transaction:
            await wipe_index(transaction)
            await execute(
                transaction, "UPDATE event_consumer SET last_seq = 0 WHERE name = ?", [CONSUMER]
            )
        pds.consumers.start()
        await _caught_up(pds)
        assert await index_rows(current_client()) == built


async def test_deactivation_hides_the_account_and_reactivation_shows_it(
    alice_and_bob: tuple[Any, Actor, Actor],
) -> None:
    client, alice, bob = alice_and_bob
    await bob.write("app.bsky.graph.follow", {"subject": alice.did, "createdAt": NOW})
    response = await client.post(
        "/xrpc/com.atproto.server.deactivateAccount", headers=bob.headers, json={}
    )
    assert response.status_code == 200
    status, body = await alice.profile(bob.did)
    assert (status, body["error"]) == (400, "AccountDeactivated")
    response = await client.get(
        "/xrpc/app.bsky.actor.getProfiles",
        query_string=[("actors", bob.did), ("actors", alice.did)],
        headers=alice.headers,
    )
    assert [p["did"] for p in (await response.get_json())["profiles"]] == [alice.did]
    response = await client.post(
        "/xrpc/com.atproto.server.createSession",
        json={"identifier": "bob.test", "password": "bob-pw-1"},
    )
    token = (await response.get_json())["accessJwt"]
    response = await client.post(
        "/xrpc/com.atproto.server.activateAccount", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    status, body = await alice.profile(bob.did)
    assert (status, body["followsCount"]) == (200, 1)


async def test_a_deleted_account_leaves_no_record_and_no_count(
    alice_and_bob: tuple[Any, Actor, Actor],
    admin_headers: dict[str, str],
) -> None:
    client, alice, bob = alice_and_bob
    await bob.write("app.bsky.graph.follow", {"subject": alice.did, "createdAt": NOW})
    response = await client.post(
        "/xrpc/com.atproto.admin.deleteAccount", json={"did": bob.did}, headers=admin_headers
    )
    assert response.status_code == 200
    assert (await alice.profile(alice.did))[1]["followersCount"] == 0
    assert (await alice.profile(bob.did))[0] == 400
    rows = await index_rows(current_client())
    assert not [row for row in rows["appview_record"] if bob.did in row[1]]


async def test_a_taken_down_account_answers_account_takedown(
    alice_and_bob: tuple[Any, Actor, Actor],
    admin_headers: dict[str, str],
) -> None:
    client, alice, bob = alice_and_bob
    response = await client.post(
        "/xrpc/com.atproto.admin.updateSubjectStatus",
        json={
            "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": bob.did},
            "takedown": {"applied": True, "ref": "t1"},
        },
        headers=admin_headers,
    )
    assert response.status_code == 200
    status, body = await alice.profile("bob.test")
    assert (status, body["error"]) == (400, "AccountTakedown")


async def test_concurrent_writes_of_many_accounts_are_all_counted_before_they_answer(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    actors = [await Actor.create(client, f"user{n}") for n in range(4)]
    posts = await asyncio.gather(
        *(a.write("app.bsky.feed.post", {"text": "p", "createdAt": NOW}) for a in actors)
    )
    writes = [
        a.write(collection, record)
        for a in actors
        for b, post in zip(actors, posts, strict=True)
        if a is not b
        for collection, record in (
            ("app.bsky.graph.follow", {"subject": b.did, "createdAt": NOW}),
            ("app.bsky.feed.like", {"subject": ref(post), "createdAt": NOW}),
        )
    ]
    await asyncio.gather(*writes)
    for actor, post in zip(actors, posts, strict=True):
        _, seen = await actor.profile(actor.did)
        assert (seen["followersCount"], seen["followsCount"]) == (3, 3)
        assert await post_counts(post["uri"]) == (3, 0, 0, 0)
