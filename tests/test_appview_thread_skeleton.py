"""Threads at the skeleton level, on SQLite and PostgreSQL: the store's walks up and down a
thread, the threadgate's rules and hidden replies, and the OP thread. The whole answers are
compared with the official AppView's in ``tests/test_appview_threads_scenario.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from appview_replay import appview_settings
from test_appview_index import NOW, Actor, ref

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.plugins.appview import thread_store
from exprsn_pds.plugins.appview.thread_skeleton import load_skeleton, resolve_op_thread
from exprsn_pds.plugins.appview.thread_store import ReplyRow
from exprsn_pds.plugins.appview.threadgate import Gate, may_reply
from exprsn_pds.sql import execute, fetch_in

V1: Final = "app.bsky.feed.getPostThread"
V2: Final = "app.bsky.unspecced.getPostThreadV2"
OTHER: Final = "app.bsky.unspecced.getPostThreadOtherV2"
ROOT: Final = "at://did:plc:op/app.bsky.feed.post/3mroot2222222"


@pytest.fixture
async def database(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> Any:
    """An app's database client, the ``appview`` tables migrated."""
    client = await client_factory(appview_settings(settings_factory))
    return get_pds(client.app).database.client


async def _post(database: Any, uri: str, parent: str | None, at: str) -> None:
    did = uri[len("at://") :].split("/", 1)[0]
    await execute(
        database,
        "INSERT INTO appview_post (uri, did, cid, text, reply_root_uri, reply_root_cid,"
        " reply_parent_uri, reply_parent_cid, created_at, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uri,
            did,
            "bafy",
            "text",
            ROOT if parent else None,
            "bafy" if parent else None,
            parent,
            "bafy" if parent else None,
            at,
            at,
        ],
    )


def _uri(name: str, did: str = "did:plc:op") -> str:
    return f"at://{did}/app.bsky.feed.post/{name}"


async def test_ancestors_walk_up_to_the_height_and_stop_at_a_missing_post(database: Any) -> None:
    chain = [ROOT, _uri("a"), _uri("b"), _uri("c")]
    for i, uri in enumerate(chain):
        await _post(database, uri, chain[i - 1] if i else None, f"2026-01-01T00:00:0{i}.000Z")
    assert [p.uri for p in await thread_store.ancestors(database, chain[3], 80)] == chain[::-1]
    assert [p.uri for p in await thread_store.ancestors(database, chain[3], 1)] == chain[:1:-1]
    assert [p.uri for p in await thread_store.ancestors(database, chain[3], 0)] == [chain[3]]
    orphan = _uri("orphan")
    await _post(database, orphan, _uri("gone"), "2026-01-01T00:00:09.000Z")
    walked = await thread_store.ancestors(database, orphan, 80)
    assert [(p.uri, p.parent_uri) for p in walked] == [(orphan, _uri("gone"))]
    assert await thread_store.ancestors(database, _uri("unknown"), 80) == []


async def test_replies_are_read_one_level_per_query_newest_first(database: Any) -> None:
    await _post(database, ROOT, None, "2026-01-01T00:00:00.000Z")
    level1 = [_uri(f"r{i}") for i in range(3)]
    for i, uri in enumerate(level1):
        await _post(database, uri, ROOT, f"2026-01-01T00:00:1{i}.000Z")
    await _post(database, _uri("r0a"), level1[0], "2026-01-01T00:00:20.000Z")
    await _post(database, _uri("r0a1"), _uri("r0a"), "2026-01-01T00:00:30.000Z")
    skeleton = await load_skeleton(database, ROOT, above=0, below=2)
    assert skeleton.children[ROOT] == level1[::-1]
    assert skeleton.children[level1[0]] == [_uri("r0a")]
    assert _uri("r0a1") not in skeleton.posts  # below the depth
    deeper = await load_skeleton(database, ROOT, above=0, below=6)
    assert deeper.children[_uri("r0a")] == [_uri("r0a1")]


def _reply(name: str, parent: str, did: str = "did:plc:op", deleted: str | None = None) -> ReplyRow:
    return ReplyRow(_uri(name, did), did, ROOT, parent, False, deleted)


def test_the_op_thread_is_the_oldest_line_of_the_authors_replies() -> None:
    replies = [
        _reply("3mbbbbbbbbbb2", ROOT),
        _reply("3maaaaaaaaaa2", ROOT),
        _reply("3mcccccccccc2", _uri("3maaaaaaaaaa2")),
        _reply("3mdddddddddd2", ROOT, did="did:plc:other"),
    ]
    assert resolve_op_thread(ROOT, replies) == [
        ROOT,
        _uri("3maaaaaaaaaa2"),
        _uri("3mcccccccccc2"),
    ]
    assert resolve_op_thread(ROOT, replies[3:]) is None


def test_a_deleted_op_reply_keeps_its_place_only_while_replies_below_it_survive() -> None:
    first, second = "3maaaaaaaaaa2", "3mbbbbbbbbbb2"
    deleted_late = "2099-01-01T00:00:00.000Z"
    kept = [_reply(first, ROOT, deleted=deleted_late), _reply("3mcccccccccc2", _uri(first))]
    assert resolve_op_thread(ROOT, kept) == [ROOT, _uri(first), _uri("3mcccccccccc2")]
    vacated = [_reply(first, ROOT, deleted=deleted_late), _reply(second, ROOT)]
    assert resolve_op_thread(ROOT, vacated) is None  # written before the deletion
    early = "2000-01-01T00:00:00.000Z"
    taken = [_reply(first, ROOT, deleted=early), _reply(second, ROOT)]
    assert resolve_op_thread(ROOT, taken) == [ROOT, _uri(second)]


RULE: Final = "app.bsky.feed.threadgate#"
POST: Final = "app.bsky.feed.post"


async def test_threadgate_rules_admit_mentioned_followers_followed_and_listed_repliers(
    database: Any,
) -> None:
    when = "2026-01-01T00:00:00.000Z"
    await execute(
        database,
        "INSERT INTO appview_post (uri, did, cid, text, facets, created_at, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ROOT,
            "did:plc:op",
            "bafy",
            "hi",
            '[{"features": [{"$type":'
            ' "app.bsky.richtext.facet#mention", "did": "did:plc:named"}]}]',
            when,
            when,
        ],
    )
    for number, (did, subject) in enumerate(
        [("did:plc:fan", "did:plc:op"), ("did:plc:op", "did:plc:friend")]
    ):
        await execute(
            database,
            "INSERT INTO appview_follow (uri, did, subject_did, created_at, indexed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [f"at://{did}/app.bsky.graph.follow/{number}", did, subject, when, when],
        )
    members = "at://did:plc:op/app.bsky.graph.list/members"
    await execute(
        database,
        "INSERT INTO appview_list_item (uri, did, list_uri, subject_did, created_at, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            "at://did:plc:op/app.bsky.graph.listitem/1",
            "did:plc:op",
            members,
            "did:plc:member",
            when,
            when,
        ],
    )
    repliers = [
        "did:plc:op",
        "did:plc:named",
        "did:plc:fan",
        "did:plc:friend",
        "did:plc:member",
        "did:plc:stranger",
    ]

    async def admitted(allow: str | None) -> list[str]:
        gate = Gate.parse(allow, None)
        return [did for did in repliers if await may_reply(database, did, ROOT, gate)]

    assert await admitted(None) == repliers
    assert await admitted("[]") == ["did:plc:op"]
    assert await admitted(f'[{{"$type": "{RULE}mentionRule"}}]') == ["did:plc:op", "did:plc:named"]
    assert await admitted(f'[{{"$type": "{RULE}followerRule"}}]') == ["did:plc:op", "did:plc:fan"]
    assert await admitted(f'[{{"$type": "{RULE}followingRule"}}]') == [
        "did:plc:op",
        "did:plc:friend",
    ]
    assert await admitted(f'[{{"$type": "{RULE}listRule", "list": "{members}"}}]') == [
        "did:plc:op",
        "did:plc:member",
    ]


async def _thread_rows(client: Any, root: str) -> dict[str, tuple[bool, bool]]:
    """``reply uri → (violates the threadgate, deleted)`` of the thread of ``root``."""
    found = await fetch_in(
        client,
        "SELECT uri, violates_threadgate, deleted_at FROM appview_thread_reply"
        " WHERE root_uri IN ({holes})",
        [root],
    )
    return {str(r[0]): (bool(r[1]), r[2] is not None) for r in found}


async def test_the_index_judges_a_reply_by_the_threadgate_when_it_is_indexed(
    client_factory: Callable[..., Any], settings_factory: Callable[..., Settings]
) -> None:
    client = await client_factory(appview_settings(settings_factory))
    database = get_pds(client.app).database.client
    alice, bob, carol = [await Actor.create(client, name) for name in ("alice", "bob", "carol")]
    root = await alice.write(POST, {"text": "root", "createdAt": NOW})
    reply = {"root": ref(root), "parent": ref(root)}
    early = await bob.write(POST, {"text": "early", "reply": reply, "createdAt": NOW})
    rkey = root["uri"].rsplit("/", 1)[1]
    gate = {"post": root["uri"], "allow": [], "createdAt": NOW}
    await alice.write("app.bsky.feed.threadgate", gate, rkey=rkey)
    late = await carol.write(POST, {"text": "late", "reply": reply, "createdAt": NOW})
    own = await alice.write(POST, {"text": "own", "reply": reply, "createdAt": NOW})
    assert await _thread_rows(database, root["uri"]) == {
        early["uri"]: (False, False),
        late["uri"]: (True, False),
        own["uri"]: (False, False),
    }
    await alice.delete(own["uri"])
    await carol.delete(late["uri"])
    assert await _thread_rows(database, root["uri"]) == {
        early["uri"]: (False, False),
        own["uri"]: (False, True),  # the OP's reply keeps its place in the OP thread
    }
