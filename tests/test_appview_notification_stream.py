"""``io.exprsn.notification.subscribe`` with a real WebSocket client, the app served by
hypercorn: a token from ``getStreamToken`` opens it once, each account hears only its own
notifications, a cursor replays without a gap, and the channel fans out through the cache
(Redis on the ``postgres+redis`` backend: a message published by another connection, as
another process's indexer would, reaches the stream)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

import httpx
import libipld
from appview_replay import appview_settings
from test_appview_index import NOW

from exprsn_pds.cache import create_cache
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview import notification_store
from exprsn_pds.plugins.appview.notification_stream import CHANNEL, encode

RECEIVE_TIMEOUT_S: Final = 30.0
SUBSCRIBE: Final = "/xrpc/io.exprsn.notification.subscribe"


class Account:
    def __init__(self, http: httpx.AsyncClient, name: str) -> None:
        self.http = http
        self.name = name
        self.did = ""
        self.headers: dict[str, str] = {}

    async def create(self) -> Account:
        response = await self.http.post(
            "/xrpc/com.atproto.server.createAccount",
            json={
                "handle": f"{self.name}.test",
                "email": f"{self.name}@x.test",
                "password": f"{self.name}-pw-1",
            },
        )
        session = response.json()
        self.did = session["did"]
        self.headers = {"Authorization": f"Bearer {session['accessJwt']}"}
        return self

    async def write(self, collection: str, record: dict[str, Any]) -> dict[str, str]:
        response = await self.http.post(
            "/xrpc/com.atproto.repo.createRecord",
            json={
                "repo": self.did,
                "collection": collection,
                "record": {"$type": collection, "createdAt": NOW, **record},
            },
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        written: dict[str, str] = response.json()
        return written

    async def stream_token(self) -> str:
        response = await self.http.post(
            "/xrpc/io.exprsn.notification.getStreamToken", headers=self.headers
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token


async def receive(socket: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    async with asyncio.timeout(RECEIVE_TIMEOUT_S):
        header, body = libipld.decode_dag_cbor_multi(await socket.recv(decode=False))
    return header, body


async def test_each_account_streams_only_its_own_notifications(
    serve_in_process: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    from websockets.asyncio.client import connect

    settings = appview_settings(settings_factory)
    async with serve_in_process(settings) as (pds, port):
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as http:
            alice, bob, carol = [await Account(http, n).create() for n in ("alice", "bob", "carol")]
            post = await alice.write("app.bsky.feed.post", {"text": "hi"})
            await bob.write("app.bsky.graph.follow", {"subject": alice.did})
            await bob.write("app.bsky.graph.follow", {"subject": carol.did})
            ws = base.replace("http", "ws", 1) + SUBSCRIBE
            token = await alice.stream_token()
            carol_token = await carol.stream_token()
            async with (
                connect(f"{ws}?token={token}&cursor=0") as alice_socket,
                connect(f"{ws}?token={carol_token}&cursor=0") as carol_socket,
            ):
                # replayed from the cursor: once it arrives, the stream is live too
                _, carols = await receive(carol_socket)
                assert carols["notification"]["author"]["did"] == bob.did
                header, body = await receive(alice_socket)
                assert header == {"op": 1, "t": "#notification"}
                assert body["notification"]["reason"] == "follow"
                assert body["notification"]["author"]["did"] == bob.did
                ref = {"uri": post["uri"], "cid": post["cid"]}
                await carol.write("app.bsky.feed.like", {"subject": ref})  # live, to alice
                await alice.write("app.bsky.graph.follow", {"subject": carol.did})  # to carol
                _, live = await receive(alice_socket)
                assert live["notification"]["reason"] == "like"
                assert live["notification"]["author"]["did"] == carol.did
                assert live["seq"] > body["seq"]
                _, theirs = await receive(carol_socket)  # carol hears only hers
                assert theirs["notification"]["reason"] == "follow"
                assert theirs["notification"]["author"]["did"] == alice.did
                await bob.write("app.bsky.feed.like", {"subject": ref})
                _, next_one = await receive(alice_socket)  # not carol's follow: bob's like
                assert next_one["notification"]["author"]["did"] == bob.did
            # a client that can set headers uses its access token; no credential: 401
            await alice.write("app.bsky.graph.follow", {"subject": bob.did})
            async with connect(f"{ws}?cursor=0", additional_headers=bob.headers) as bobs:
                _, followed = await receive(bobs)
                assert followed["notification"]["author"]["did"] == alice.did
            async with connect(ws) as anonymous:
                header, error = await receive(anonymous)
                assert (header, error["error"]) == ({"op": -1}, "AuthMissing")
            # the token was spent: a second use is refused
            async with connect(f"{ws}?token={token}") as refused:
                header, error = await receive(refused)
                assert header == {"op": -1}
                assert error["error"] == "InvalidToken"
            if settings.redis_url is None:
                return
            async with connect(f"{ws}?token={await carol.stream_token()}&cursor=0") as socket:
                for _ in range(2):  # bob's and alice's follows, replayed: the stream is live
                    await receive(socket)
                # another process's indexer: a row it wrote, and its message on the channel
                async with pds.database.transaction() as client:
                    row = await notification_store.insert(
                        client,
                        notification_store.NewNotification(
                            carol.did, alice.did, post["uri"], post["cid"], "mention", None, NOW
                        ),
                    )
                assert row is not None
                other = create_cache(settings.redis_url, key_prefix=settings.redis_key_prefix)
                try:
                    await other.publish(CHANNEL, encode(row))
                    _, heard = await receive(socket)
                finally:
                    await other.close()
                assert heard["seq"] == row.id
                assert heard["notification"]["reason"] == "mention"
