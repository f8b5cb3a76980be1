"""``app.bsky.feed.searchPosts`` over XRPC, on SQLite and PostgreSQL: what was just written
is found, the lexicon's filters and ``q`` operators narrow it, pages follow the cursor,
and posts by accounts blocking or blocked by the caller are left out; answers are checked
against the lexicon (output validation is on in tests).

The official dev-env AppView answers searchPosts with a stand-in (``from:`` and a
substring match), so these expectations come from the lexicon, not from a recording."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appview_replay import appview_settings
from test_appview_index import Actor

from exprsn_pds.config import Settings


async def _search(caller: Actor, **params: Any) -> tuple[int, dict[str, Any]]:
    return await caller.query("app.bsky.feed.searchPosts", **params)


def _texts(body: dict[str, Any]) -> list[str]:
    return [post["record"]["text"] for post in body["posts"]]


async def _post(actor: Actor, text: str, minute: int, **record: Any) -> str:
    written = await actor.write(
        "app.bsky.feed.post",
        {"text": text, "createdAt": f"2026-01-01T00:{minute:02d}:00Z", **record},
    )
    return written["uri"]


async def test_search_finds_what_was_just_written_with_filters_and_pages(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    await _post(alice, "Running in the park", 1, langs=["en"])
    await _post(bob, "Bob runs to the park too", 2, langs=["de"])
    await _post(bob, "Nothing about that here", 3)
    status, body = await _search(alice, q="run")
    assert status == 200
    assert _texts(body) == ["Bob runs to the park too", "Running in the park"]
    assert body["posts"][0]["author"]["handle"] == "bob.test"
    assert _texts((await _search(alice, q="park from:alice.test"))[1]) == ["Running in the park"]
    assert _texts((await _search(alice, q="park", author=bob.did))[1]) == [
        "Bob runs to the park too"
    ]
    assert _texts((await _search(alice, q="park", lang="de"))[1]) == ["Bob runs to the park too"]
    assert _texts((await _search(alice, q="park", since="2026-01-01T00:02:00Z"))[1]) == [
        "Bob runs to the park too"
    ]
    status, first = await _search(alice, q="park", limit=1)
    assert len(first["posts"]) == 1 and "cursor" in first
    status, second = await _search(alice, q="park", limit=1, cursor=first["cursor"])
    assert _texts(first) + _texts(second) == ["Bob runs to the park too", "Running in the park"]
    assert _texts((await _search(alice, q="park from:nobody.test"))[1]) == []
    status, odd = await _search(alice, q='park "')
    assert status == 200 and _texts(odd) == ["Bob runs to the park too", "Running in the park"]
    status, odd = await _search(alice, q='NEAR( * AND "x')
    assert status == 200 and odd["posts"] == []


async def test_search_leaves_out_posts_across_a_block(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    await _post(bob, "a walk by the river", 1)
    await _post(carol, "the river is high", 2)
    await carol.write(
        "app.bsky.graph.block", {"subject": alice.did, "createdAt": "2026-01-01T00:03:00Z"}
    )
    assert _texts((await _search(alice, q="river"))[1]) == ["a walk by the river"]
    assert _texts((await _search(bob, q="river"))[1]) == [
        "the river is high",
        "a walk by the river",
    ]
    status, body = await _search(alice, q="")
    assert status == 200 and body["posts"] == []
