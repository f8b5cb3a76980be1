"""Custom feeds: the built-in algorithms (``recent``, ``popular-follows``) with paging,
this server as a feed generator (``getFeedSkeleton``, ``describeFeedGenerator``, the
``#bsky_fg`` service of its DID document), ``getFeed`` on a local feed and on another
generator served over HTTP (with its failures), and a plugin's own algorithm."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import pytest
from aiohttp import web
from appview_replay import appview_settings
from conftest import BUILT_IN_PLUGINS, _free_port, _server_environment
from test_appview_index import Actor, ref

from exprsn_pds import (
    FeedAlgorithm,
    FeedSkeleton,
    IdentityService,
    Pds,
    PluginStartupError,
    SkeletonItem,
    XrpcError,
    hookimpl,
)
from exprsn_pds.app import PDS_EXTENSION, create_app
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview.feed_publish import publish_feeds
from exprsn_pds.service_auth import ServiceJwtError, mint_service_jwt, verify_service_jwt

POST: Final = "app.bsky.feed.post"
GENERATOR: Final = "app.bsky.feed.generator"
SKELETON: Final = "app.bsky.feed.getFeedSkeleton"
REMOTE_DID: Final = "did:web:feeds.example"


def _now(hours: float = 0) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _pds(client: Any) -> Pds:
    pds: Pds = client.app.extensions[PDS_EXTENSION]
    return pds


async def _post(actor: Actor, text: str, minute: int, **extra: Any) -> dict[str, str]:
    record = {"text": text, "createdAt": f"2026-01-01T00:{minute:02d}:00.000Z", **extra}
    return await actor.write(POST, record)


async def _feed(actor: Actor, service_did: str, rkey: str) -> str:
    record = {"did": service_did, "displayName": rkey, "createdAt": _now()}
    return (await actor.write(GENERATOR, record, rkey=rkey))["uri"]


def _uris(body: dict[str, Any]) -> list[str]:
    return [item["post"]["uri"] for item in body["feed"]]


@pytest.fixture
async def client(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> Any:
    return await client_factory(appview_settings(settings_factory, feed_timeout_s=0.5))


async def test_recent_pages_the_newest_root_posts_of_active_accounts(client: Any) -> None:
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    first = await _post(alice, "one", 1)
    second = await _post(bob, "two", 2)
    await _post(alice, "a reply", 3, reply={"root": ref(first), "parent": ref(first)})
    third = await _post(alice, "three", 4)
    await _post(carol, "gone soon", 5)
    response = await client.post(
        "/xrpc/com.atproto.server.deactivateAccount", json={}, headers=carol.headers
    )
    assert response.status_code == 200
    feed = f"at://{alice.did}/{GENERATOR}/recent"
    status, body = await bob.query(SKELETON, feed=feed, limit=2)
    assert status == 200 and [item["post"] for item in body["feed"]] == [
        third["uri"],
        second["uri"],
    ]
    status, rest = await bob.query(SKELETON, feed=feed, limit=2, cursor=body["cursor"])
    assert status == 200 and rest == {"feed": [{"post": first["uri"]}]}
    status, body = await bob.query(SKELETON, feed=feed, cursor="nonsense")
    assert status == 400 and body["message"] == "Malformed cursor"


async def test_popular_follows_ranks_the_likes_of_the_last_day(client: Any) -> None:
    viewer, a, b, stranger, author = [
        await Actor.create(client, name)
        for name in ("viewer", "anna", "bert", "stranger", "author")
    ]
    for followed in (a, b):
        await viewer.write("app.bsky.graph.follow", {"subject": followed.did, "createdAt": _now()})
    posts = [await _post(author, f"post {n}", n) for n in range(5)]

    async def like(who: Actor, post: dict[str, str], hours: float = 0) -> None:
        await who.write("app.bsky.feed.like", {"subject": ref(post), "createdAt": _now(hours)})

    await like(a, posts[0])
    await like(a, posts[1])
    await like(b, posts[1])
    await like(a, posts[2])
    await like(stranger, posts[3])
    await like(b, posts[4], hours=-30)
    feed = f"at://{author.did}/{GENERATOR}/popular-follows"
    status, body = await viewer.query(SKELETON, feed=feed, limit=2)
    assert status == 200
    assert [item["post"] for item in body["feed"]] == [posts[1]["uri"], posts[2]["uri"]]
    status, rest = await viewer.query(SKELETON, feed=feed, limit=2, cursor=body["cursor"])
    assert status == 200 and rest == {"feed": [{"post": posts[0]["uri"]}]}
    response = await client.get(f"/xrpc/{SKELETON}", query_string={"feed": feed})
    assert response.status_code == 401
    status, body = await viewer.query(SKELETON, feed=feed, cursor="1::x::y")
    assert status == 400 and body["message"] == "Malformed cursor"


async def test_the_skeleton_takes_a_viewers_service_jwt_and_names_unknown_feeds(
    client: Any,
) -> None:
    viewer, a, author = [await Actor.create(client, name) for name in ("viewer", "anna", "author")]
    await viewer.write("app.bsky.graph.follow", {"subject": a.did, "createdAt": _now()})
    post = await _post(author, "liked", 1)
    await a.write("app.bsky.feed.like", {"subject": ref(post), "createdAt": _now()})
    pds = _pds(client)
    key = await pds.repos.signing_key(viewer.did)
    feed = f"at://{author.did}/{GENERATOR}/popular-follows"
    token = mint_service_jwt(key=key, iss=viewer.did, aud=pds.settings.service_did, lxm=SKELETON)
    response = await client.get(
        f"/xrpc/{SKELETON}",
        query_string={"feed": feed},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert await response.get_json() == {"feed": [{"post": post["uri"]}]}
    wrong = mint_service_jwt(key=key, iss=viewer.did, aud="did:web:other.example", lxm=SKELETON)
    response = await client.get(
        f"/xrpc/{SKELETON}",
        query_string={"feed": feed},
        headers={"Authorization": f"Bearer {wrong}"},
    )
    assert response.status_code == 401
    status, body = await viewer.query(SKELETON, feed=f"at://{author.did}/{GENERATOR}/nope")
    assert status == 400 and body["error"] == "UnknownFeed"
    status, body = await viewer.query(SKELETON, feed=f"at://{author.did}/{POST}/recent")
    assert status == 400 and body["error"] == "UnknownFeed"


async def test_describe_lists_the_feeds_and_the_did_document_names_the_service(
    client: Any,
) -> None:
    alice = await Actor.create(client, "alice")
    pds = _pds(client)
    service_did = pds.settings.service_did
    published = await _feed(alice, service_did, "recent")
    await _feed(alice, REMOTE_DID, "popular-follows")
    response = await client.get("/xrpc/app.bsky.feed.describeFeedGenerator")
    assert response.status_code == 200
    assert await response.get_json() == {
        "did": service_did,
        "feeds": [
            {"uri": published},
            {"uri": f"at://{service_did}/{GENERATOR}/popular-follows"},
        ],
    }
    host = service_did.removeprefix("did:web:").replace("%3A", ":")
    response = await client.get("/.well-known/did.json", headers={"Host": host})
    services = (await response.get_json())["service"]
    assert {
        "id": "#bsky_fg",
        "type": "BskyFeedGenerator",
        "serviceEndpoint": pds.settings.public_url,
    } in services
    status, body = await alice.query("app.bsky.feed.getFeedGenerator", feed=published)
    assert status == 200 and body["isValid"] is True and body["view"]["did"] == service_did


async def test_get_feed_runs_a_local_feed_with_the_timelines_rules(client: Any) -> None:
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    feed = await _feed(alice, _pds(client).settings.service_did, "recent")
    first = await _post(alice, "one", 1)
    await _post(carol, "blocked", 2)
    second = await _post(alice, "two", 3)
    await bob.write("app.bsky.graph.block", {"subject": carol.did, "createdAt": _now()})
    status, body = await bob.query("app.bsky.feed.getFeed", feed=feed, limit=2)
    assert status == 200 and _uris(body) == [second["uri"]]
    assert body["feed"][0]["post"]["author"]["did"] == alice.did
    status, rest = await bob.query("app.bsky.feed.getFeed", feed=feed, cursor=body["cursor"])
    assert status == 200 and _uris(rest) == [first["uri"]] and "cursor" not in rest
    status, body = await bob.query(
        "app.bsky.feed.getFeed", feed=f"at://{alice.did}/{GENERATOR}/missing"
    )
    assert status == 400 and body["message"] == "could not find feed"
    unknown = await _feed(alice, _pds(client).settings.service_did, "nothing-here")
    status, body = await bob.query("app.bsky.feed.getFeed", feed=unknown)
    assert status == 400 and body["error"] == "UnknownFeed"


class Generator:
    """A feed generator on 127.0.0.1 answering ``getFeedSkeleton`` by the feed's rkey."""

    def __init__(self, pds: Pds) -> None:
        self.pds = pds
        self.seen: list[dict[str, Any]] = []
        self.languages: list[str | None] = []
        self.anonymous = 0
        self.skeleton: dict[str, Any] = {"feed": []}

    async def handle(self, request: web.Request) -> web.Response:
        feed = request.query["feed"]
        rkey = feed.rsplit("/", 1)[-1]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token:
            self.anonymous += 1
            return web.json_response(self.skeleton)
        try:
            claims = await verify_service_jwt(
                token, audience=REMOTE_DID, lxm=SKELETON, get_key=self._key
            )
        except ServiceJwtError as error:
            return web.json_response({"error": error.error, "message": error.message}, status=401)
        self.seen.append({"iss": claims.iss, **request.query})
        self.languages.append(request.headers.get("Accept-Language"))
        if rkey == "slow":
            await asyncio.sleep(3)
        if rkey == "broken":
            return web.json_response(
                {"error": "InternalServerError", "message": "boom"}, status=500
            )
        if rkey == "plain":
            return web.Response(text="oops", status=503)
        if rkey == "garbage":
            return web.Response(text="{not json", content_type="application/json")
        if rkey == "wrong-shape":
            return web.json_response({"feed": [{"post": 42}]})
        if rkey == "gone":
            return web.json_response(
                {"error": "UnknownFeed", "message": "no such feed"}, status=400
            )
        return web.json_response(self.skeleton)

    async def _key(self, iss: str, force_refresh: bool) -> Any:
        return await self.pds.identity.signing_key(iss, force_refresh=force_refresh)


@asynccontextmanager
async def _serve(served: Generator, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """``served`` on 127.0.0.1, named by :data:`REMOTE_DID`'s document."""
    app = web.Application()
    app.router.add_get(f"/xrpc/{SKELETON}", served.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    document = {
        "id": REMOTE_DID,
        "service": [
            {
                "id": "#bsky_fg",
                "type": "BskyFeedGenerator",
                "serviceEndpoint": f"http://127.0.0.1:{port}",
            }
        ],
    }
    original = IdentityService.resolve_did

    async def resolve(
        self: IdentityService, did: str, *, force_refresh: bool = False
    ) -> dict[str, Any] | None:
        if did == REMOTE_DID:
            return document
        return await original(self, did, force_refresh=force_refresh)

    monkeypatch.setattr(IdentityService, "resolve_did", resolve)
    try:
        yield
    finally:
        await runner.cleanup()


@pytest.fixture
async def generator(client: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Generator]:
    served = Generator(_pds(client))
    async with _serve(served, monkeypatch):
        yield served


async def test_get_feed_asks_another_generator_with_the_viewers_service_jwt(
    client: Any, generator: Generator
) -> None:
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    feed = await _feed(alice, REMOTE_DID, "cats")
    posts = [await _post(alice, f"cat {n}", n) for n in range(3)]
    repost = await bob.write(
        "app.bsky.feed.repost", {"subject": ref(posts[0]), "createdAt": _now()}
    )
    generator.skeleton = {
        "feed": [
            {"post": posts[2]["uri"], "feedContext": "ctx-2"},
            {
                "post": posts[0]["uri"],
                "reason": {
                    "$type": "app.bsky.feed.defs#skeletonReasonRepost",
                    "repost": repost["uri"],
                },
            },
            {"post": f"at://{alice.did}/{POST}/missing"},
            {"post": posts[1]["uri"]},
        ],
        "cursor": "next-page",
        "reqId": "req-1",
    }
    response = await client.get(
        "/xrpc/app.bsky.feed.getFeed",
        query_string={"feed": feed, "limit": 3, "cursor": "c1"},
        headers={**bob.headers, "Accept-Language": "de, en;q=0.5"},
    )
    status, body = response.status_code, await response.get_json()
    assert status == 200, body
    assert generator.seen == [{"iss": bob.did, "feed": feed, "limit": "3", "cursor": "c1"}]
    assert generator.languages == ["de, en;q=0.5"]
    assert _uris(body) == [posts[2]["uri"], posts[0]["uri"]]
    assert body["cursor"] == "next-page"
    first, second = body["feed"]
    assert first["feedContext"] == "ctx-2" and first["reqId"] == "req-1"
    assert "feedContext" not in second and second["reqId"] == "req-1"
    assert second["reason"]["uri"] == repost["uri"] and second["reason"]["by"]["did"] == bob.did
    status, body = await bob.query("app.bsky.feed.getFeed", feed=feed, cursor="next-page")
    assert status == 200 and "cursor" not in body
    generator.skeleton = {"feed": [], "cursor": "more"}
    status, body = await bob.query("app.bsky.feed.getFeed", feed=feed)
    assert status == 200 and body == {"feed": []}


@pytest.mark.parametrize(
    ("rkey", "status", "error", "message"),
    [
        ("slow", 502, "UpstreamFailure", "feed unavailable"),
        ("broken", 502, "InternalServerError", "boom"),
        ("plain", 502, "UpstreamFailure", "feed unavailable"),
        ("garbage", 502, "InvalidFeedResponse", "feed provided an invalid response"),
        ("wrong-shape", 502, "InvalidFeedResponse", "feed provided an invalid response"),
        ("gone", 400, "UnknownFeed", "no such feed"),
    ],
)
async def test_a_failing_generator_is_a_clear_error(
    client: Any, generator: Generator, rkey: str, status: int, error: str, message: str
) -> None:
    alice = await Actor.create(client, "alice")
    feed = await _feed(alice, REMOTE_DID, rkey)
    got, body = await alice.query("app.bsky.feed.getFeed", feed=feed)
    assert (got, body) == (status, {"error": error, "message": message})


async def test_a_generator_without_a_feed_service_is_refused(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await Actor.create(client, "alice")
    original = IdentityService.resolve_did

    async def resolve(
        self: IdentityService, did: str, *, force_refresh: bool = False
    ) -> dict[str, Any] | None:
        if did == REMOTE_DID:
            return {"id": REMOTE_DID, "service": []}
        return None if did == "did:web:gone.example" else await original(self, did)

    monkeypatch.setattr(IdentityService, "resolve_did", resolve)
    status, body = await alice.query(
        "app.bsky.feed.getFeed", feed=await _feed(alice, REMOTE_DID, "x")
    )
    assert status == 400
    assert (
        body["message"] == f"invalid feed generator service details in did document: {REMOTE_DID}"
    )
    gone = await _feed(alice, "did:web:gone.example", "y")
    status, body = await alice.query("app.bsky.feed.getFeed", feed=gone)
    assert status == 400 and body["message"] == "could not resolve identity: did:web:gone.example"


class OwnFeeds:
    """A third-party plugin contributing the feed ``mine``: the viewer's own posts as
    named in the skeleton, with a feed context and a fixed cursor."""

    @staticmethod
    async def mine(pds: Pds, viewer: str | None, limit: int, cursor: str | None) -> FeedSkeleton:
        if viewer is None:
            return FeedSkeleton([])
        uris = [json.loads(cursor)] if cursor else []
        return FeedSkeleton([SkeletonItem(uri, feed_context="mine") for uri in uris], "page-2")

    @hookimpl
    def pds_feed_algorithms(self) -> list[FeedAlgorithm]:
        return [FeedAlgorithm("mine", "Mine", self.mine, "What you posted.")]


async def test_a_plugin_contributes_its_own_algorithm(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(
        appview_settings(settings_factory), extra_plugins=[("own-feeds", OwnFeeds())]
    )
    alice = await Actor.create(client, "alice")
    post = await _post(alice, "mine", 1)
    pds = _pds(client)
    assert set(pds.feed_algorithms) == {"recent", "popular-follows", "mine"}
    feed = await _feed(alice, pds.settings.service_did, "mine")
    status, body = await alice.query(
        "app.bsky.feed.getFeed", feed=feed, cursor=json.dumps(post["uri"])
    )
    assert status == 200 and _uris(body) == [post["uri"]] and body["cursor"] == "page-2"
    assert body["feed"][0]["feedContext"] == "mine"
    response = await client.get(f"/xrpc/{SKELETON}", query_string={"feed": feed})
    assert response.status_code == 200 and await response.get_json() == {"feed": []}


class Twice:
    """A plugin offering ``recent`` again, and a name that is no record key."""

    def __init__(self, name: str) -> None:
        self.name = name

    @hookimpl
    def pds_feed_algorithms(self) -> list[FeedAlgorithm]:
        return [FeedAlgorithm(self.name, "Again", OwnFeeds.mine)]


def test_a_name_given_twice_or_no_record_key_stops_start_up(
    settings_factory: Callable[..., Settings],
) -> None:
    with pytest.raises(PluginStartupError, match="feed algorithm 'recent' is already provided"):
        Pds(appview_settings(settings_factory), [("twice", Twice("recent"))])
    with pytest.raises(PluginStartupError, match="not 1 to 15 characters"):
        Pds(appview_settings(settings_factory), [("bad", Twice("no spaces here"))])


async def test_publish_feeds_writes_one_generator_record_per_algorithm(client: Any) -> None:
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    pds = _pds(client)
    uris = await publish_feeds(pds, "alice.test")
    assert uris == [f"at://{alice.did}/{GENERATOR}/{name}" for name in pds.feed_algorithms]
    rev = (await pds.repos.state(alice.did)).rev  # type: ignore[union-attr]
    assert await publish_feeds(pds, alice.did) == uris
    assert (await pds.repos.state(alice.did)).rev == rev  # type: ignore[union-attr]
    record = await pds.repos.get_record(alice.did, GENERATOR, "recent")
    assert record is not None and record.value["did"] == pds.settings.service_did
    assert record.value["displayName"] == "Recent on this server"
    response = await client.get("/xrpc/app.bsky.feed.describeFeedGenerator")
    assert [feed["uri"] for feed in (await response.get_json())["feeds"]] == uris
    await _post(alice, "hello", 1)
    status, body = await bob.query("app.bsky.feed.getFeed", feed=uris[0])
    assert status == 200 and [item["post"]["record"]["text"] for item in body["feed"]] == ["hello"]
    status, body = await bob.query("app.bsky.feed.getFeedGenerator", feed=uris[1])
    assert status == 200 and body["view"]["displayName"] == "Popular with follows"
    with pytest.raises(XrpcError, match="Could not find repo"):
        await publish_feeds(pds, "nobody.test")


async def test_pds_appview_publish_feeds(settings_factory: Callable[..., Settings]) -> None:
    settings = appview_settings(settings_factory)
    app = create_app(settings)
    async with app.test_app() as test_app:
        did = (await Actor.create(test_app.test_client(), "alice")).did
    environment = _server_environment(settings, _free_port()) | {
        "PDS_ENABLE_PLUGINS": ",".join([*BUILT_IN_PLUGINS, "appview"])
    }

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).parent / "pds"), "appview", "publish-feeds", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    result = await asyncio.to_thread(run, "--account", "alice.test")
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.split() if line.startswith("at://")] == [
        f"at://{did}/{GENERATOR}/recent",
        f"at://{did}/{GENERATOR}/popular-follows",
    ]
    result = await asyncio.to_thread(run, "--account", "nobody.test")
    assert result.returncode != 0 and "Could not find repo" in result.stdout + result.stderr


async def test_an_anonymous_get_feed_asks_the_generator_without_a_token(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await client_factory(appview_settings(settings_factory, public_reads=True))
    served = Generator(_pds(client))
    async with _serve(served, monkeypatch):
        alice = await Actor.create(client, "alice")
        feed = await _feed(alice, REMOTE_DID, "cats")
        post = await _post(alice, "cat", 1)
        served.skeleton = {"feed": [{"post": post["uri"]}]}
        response = await client.get("/xrpc/app.bsky.feed.getFeed", query_string={"feed": feed})
        assert response.status_code == 200
        assert _uris(await response.get_json()) == [post["uri"]] and served.anonymous == 1
