"""The full-text search of posts on SQLite and PostgreSQL: the ``q`` syntax and the
lexicon's filters, stems, phrases and prefixes, both sorts with a keyset cursor, posts
leaving the index when deleted, edited or their author inactive, and query text that is
full-text syntax or SQL searched as plain words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from appview_replay import appview_settings
from test_appview_index import Actor

from exprsn_pds import InvalidRequest
from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview import search_store
from exprsn_pds.plugins.appview.actors import resolve_actors
from exprsn_pds.plugins.appview.search_keys import index_keys
from exprsn_pds.plugins.appview.search_query import PostSearch, parse_search
from exprsn_pds.plugins.appview.search_store import fill_keys, rebuild_index, search_posts
from exprsn_pds.sql import execute, is_postgres

POST: Final = "app.bsky.feed.post"
LIKE: Final = "app.bsky.feed.like"


def _at(minute: int) -> str:
    return f"2026-01-01T00:{minute:02d}:00.000Z"


async def _post(actor: Actor, text: str, minute: int = 0, **fields: Any) -> str:
    written = await actor.write(POST, {"text": text, "createdAt": _at(minute), **fields})
    return written["uri"]


def _facet(feature: dict[str, Any]) -> dict[str, Any]:
    return {"index": {"byteStart": 0, "byteEnd": 1}, "features": [feature]}


class Searcher:
    """Runs ``searchPosts``' parse, one resolution and the store, as the handler will."""

    def __init__(self, client: Any, viewer: str | None = None) -> None:
        self.pds = get_pds(client.app)
        self.viewer = viewer

    async def page(
        self, limit: int = 100, cursor: str | None = None, **params: Any
    ) -> tuple[list[str], str | None]:
        search = parse_search(params, self.viewer)
        resolved = search.resolved(await resolve_actors(self.pds, search.identifiers()))
        if resolved is None:
            return [], None
        return await search_posts(self.pds.database.client, resolved, limit, cursor)

    async def uris(self, **params: Any) -> list[str]:
        return (await self.page(**params))[0]


def test_q_operators_and_parameters_make_one_search() -> None:
    search = parse_search(
        {
            "q": 'cats "big dog" run* from:me to:bob.test mentions:did:plc:c lang:EN'
            " domain:Example.com url:https://x.test/a since:2026-01-02 until:yesterday"
            " #Fun AND NEAR( *",
            "author": "alice.test",
            "tag": ["x"],
            "sort": "top",
        },
        "did:plc:viewer",
    )
    assert search == PostSearch(
        phrases=("cats", "big dog", "until:yesterday", "AND", "NEAR("),
        prefixes=("run",),
        authors=("alice.test", "did:plc:viewer"),
        mentions=("bob.test", "did:plc:c"),
        langs=("EN",),
        domains=("Example.com",),
        urls=("https://x.test/a",),
        tags=("x", "Fun"),
        since="2026-01-02T00:00:00.000Z",
        sort="top",
    )
    assert search.resolved({"alice.test": "did:plc:a", "did:plc:viewer": "did:plc:viewer"}) is None
    with pytest.raises(InvalidRequest):
        parse_search({"q": "from:me"}, None)
    with pytest.raises(InvalidRequest):
        parse_search({"q": "x", "since": "soon"}, None)
    with pytest.raises(InvalidRequest):
        parse_search({"q": "x", "tag": [str(n) for n in range(11)]}, None)
    assert parse_search({"q": "x", "sort": "best"}, None).sort == "latest"
    assert parse_search({"q": '" * ( -'}, None).is_empty()
    assert parse_search({"q": "#cats, #dogs."}, None).tags == ("cats", "dogs")
    with pytest.raises(InvalidRequest):
        parse_search({"q": "w " * 65}, None)


def test_index_keys_are_found_by_the_filters_that_name_them() -> None:
    keys = index_keys(
        {
            "facets": [
                _facet({"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:m"}),
                _facet({"$type": "app.bsky.richtext.facet#tag", "tag": "Cats"}),
            ],
            "embed": {
                "$type": "app.bsky.embed.recordWithMedia",
                "media": {"external": {"uri": "HTTPS://WWW.News.test/a/#top"}},
            },
            "langs": ["pt-BR"],
        }
    )
    assert keys is not None
    search = PostSearch(
        mentions=("did:plc:m",),
        tags=("cats",),
        domains=("news.test",),
        urls=("https://www.news.test/a",),
        langs=("pt", "PT-br"),
    )
    assert set(search.keys()) <= set(keys.split())
    assert not set(PostSearch(langs=("en",), tags=("dogs",)).keys()) & set(keys.split())
    assert index_keys({"text": "plain"}) is None


async def test_words_stems_phrases_prefixes_and_unsafe_text(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice = await Actor.create(client, "alice")
    park = await _post(alice, "Running with my dogs in the park", 1)
    cat = await _post(alice, "A cat sat on a mat", 2)
    near = await _post(alice, "dogs: NEAR(end) * 100% of_them", 3)
    search = Searcher(client)
    assert await search.uris(q="run") == [park]
    assert await search.uris(q="dog") == [near, park]
    assert await search.uris(q="DOGS park") == [park]
    assert await search.uris(q='"cat sat"') == [cat]
    assert await search.uris(q='"sat cat"') == []
    assert await search.uris(q="par*") == [park]
    assert await search.uris(q="NEAR(") == [near]
    assert park in await search.uris(q="the dogs")  # a PostgreSQL stop word: ignored there
    assert await search.uris(q="nothing") == []
    for q in ['"', "*", "AND", "OR dogs", "NEAR(", "(", '"unclosed', "a:b", "-", "^", "\\",
              "%_", "'; DROP TABLE appview_post; --", "dogs NOT", "text:dogs", "{x y}:z",
              "dogs*:*", "!&|<->", "#", "since:", "from:"]:  # fmt: skip
        await search.uris(q=q)
    assert await search.uris(q="'; DROP TABLE appview_post; --") == []
    assert await search.uris(q="dogs") == [near, park]
    db = search.pds.database.client
    if not is_postgres(db):  # an FTS5 table out of step with its rows (as after a VACUUM)
        await execute(db, "INSERT INTO appview_post_fts (appview_post_fts) VALUES ('delete-all')")
        assert await search.uris(q="dogs") == []
    await rebuild_index(db)  # what a whole reindex ends with
    assert await search.uris(q="dogs") == [near, park]


async def test_author_mentions_lang_tags_links_and_time(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    mention = _facet({"$type": "app.bsky.richtext.facet#mention", "did": bob.did})
    link = _facet({"$type": "app.bsky.richtext.facet#link", "uri": "https://www.news.test/a/"})
    tag = _facet({"$type": "app.bsky.richtext.facet#tag", "tag": "Cats"})
    a1 = await _post(alice, "hello bob", 1, facets=[mention], langs=["en-US"])
    a2 = await _post(alice, "hello link", 2, facets=[link, tag], langs=["de"])
    external = {"uri": "https://blog.test/post", "title": "t", "description": "d"}
    embed = {"$type": "app.bsky.embed.external", "external": external}
    b1 = await _post(bob, "hello embed", 3, embed=embed, tags=["cats", "dogs"])
    search = Searcher(client, viewer=bob.did)
    assert await search.uris(q="hello") == [b1, a2, a1]
    assert await search.uris(q="hello", author="alice.test") == [a2, a1]
    assert await search.uris(q="hello from:bob.test") == [b1]
    assert await search.uris(q="from:me") == [b1]
    assert await search.uris(q="from:alice.test from:bob.test") == []
    assert await search.uris(q="hello", author="nobody.test") == []
    assert await search.uris(q="hello", mentions="bob.test") == [a1]
    assert await search.uris(q="mentions:me") == [a1]
    assert await search.uris(q="to:@bob.test") == [a1]
    assert await search.uris(q="hello", lang="en") == [a1]
    assert await search.uris(q="hello lang:de") == [a2]
    assert await search.uris(q="hello", tag=["cats"]) == [b1, a2]
    assert await search.uris(q="#CATS #dogs") == [b1]
    assert await search.uris(q="hello", domain="news.test") == [a2]
    assert await search.uris(q="domain:blog.test") == [b1]
    assert await search.uris(q="hello", url="https://www.news.test/a") == [a2]
    assert await search.uris(q="url:https://blog.test/post hello") == [b1]
    assert await search.uris(q="hello", since=_at(2)) == [b1, a2]
    assert await search.uris(q="hello", until=_at(2)) == [a1]
    assert await search.uris(q="hello since:2026-01-01T00:02:00Z until:2026-01-01T00:03") == [a2]
    assert await search.uris(q="hello", since="2026-01-02") == []
    assert await search.uris(q="since:2026-01-01") == []
    db = search.pds.database.client
    await execute(db, "UPDATE appview_post SET search_keys = NULL")
    assert await search.uris(q="domain:blog.test") == []
    await fill_keys(db)  # as the migration does for the posts indexed before it
    assert await search.uris(q="domain:blog.test") == [b1]
    assert await search.uris(q="#cats") == [b1, a2]


async def _pages(search: Searcher, sort: str, late: Actor | None = None) -> list[str]:
    """Every result of ``q=news`` in pages of 3 (``late`` posts after the first page)."""
    seen, cursor = await search.page(limit=3, q="news", sort=sort)
    if late is not None:
        await _post(late, "news late", 8)  # newer than the cursor: moves nothing after it
    while cursor is not None:
        page, cursor = await search.page(limit=3, cursor=cursor, q="news", sort=sort)
        seen += page
    return seen


async def test_latest_and_top_page_with_a_stable_cursor(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    written = [
        await alice.write(POST, {"text": f"news {n}", "createdAt": _at(n % 3)}) for n in range(7)
    ]
    posts = [w["uri"] for w in written]
    for n, likers in ((1, (alice, bob)), (5, (bob,))):
        subject = {"uri": written[n]["uri"], "cid": written[n]["cid"]}
        for liker in likers:
            await liker.write(LIKE, {"subject": subject, "createdAt": _at(9)})
    search = Searcher(client)
    newest = sorted(posts, key=lambda uri: (posts.index(uri) % 3, uri), reverse=True)
    assert await _pages(search, "latest", late=alice) == newest
    late = (await search.page(limit=1, q="late"))[0]
    top = [posts[1], posts[5], *late, *(uri for uri in newest if uri not in posts[1::4])]
    assert await _pages(search, "top") == top
    with pytest.raises(InvalidRequest):
        await search.page(q="news", cursor="garbage")
    with pytest.raises(InvalidRequest):
        await search.page(q="news", sort="top", cursor=f"{_at(1)}::{posts[0]}")


async def test_a_dense_search_walks_the_sort_index_to_the_same_pages(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob = await Actor.create(client, "alice"), await Actor.create(client, "bob")
    for n in range(7):  # ties of sortAt: the URI decides
        await _post(alice if n % 2 else bob, f"news {n}", n % 3)
    await _post(bob, "weather", 5)
    search = Searcher(client)
    pages = await _pages(search, "latest")
    until = await search.uris(q="news", until=_at(2))
    mine = await search.uris(q="news from:alice.test")
    monkeypatch.setattr(search_store, "DENSE_MATCHES", 1)
    db = search.pds.database.client
    assert is_postgres(db) or await search_store._dense(db, 'text : ("news")')
    assert await _pages(search, "latest") == pages and len(pages) == 7
    assert await search.uris(q="news", until=_at(2)) == until and len(until) == 5
    assert await search.uris(q="news from:alice.test") == mine and len(mine) == 3


async def test_deleted_edited_and_inactive_authors_posts_leave_the_results(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    admin_headers: dict[str, str],
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    alice, bob, carol = [await Actor.create(client, n) for n in ("alice", "bob", "carol")]
    gone = await _post(alice, "apples gone", 1)
    edited = await _post(alice, "apples before", 2)
    by_bob, by_carol = await _post(bob, "apples bob", 3), await _post(carol, "apples carol", 4)
    search = Searcher(client)
    assert await search.uris(q="apples") == [by_carol, by_bob, edited, gone]
    await alice.delete(gone)
    rkey = edited.rsplit("/", 1)[1]
    await alice.write(POST, {"text": "pears after", "createdAt": _at(2)}, rkey=rkey)
    assert await search.uris(q="apples") == [by_carol, by_bob]
    assert await search.uris(q="pears") == [edited]
    response = await client.post(
        "/xrpc/com.atproto.server.deactivateAccount", json={}, headers=bob.headers
    )
    assert response.status_code == 200
    response = await client.post(
        "/xrpc/com.atproto.admin.updateSubjectStatus",
        json={
            "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": carol.did},
            "takedown": {"applied": True, "ref": "t1"},
        },
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert await search.uris(q="apples") == []
    assert await search.uris(q="pears") == [edited]
