"""The index's reads for post views, as raw SQL, each one batched over a set of posts.

A post (:class:`PostRow`) comes with its record, reply refs, quoted record and ``sortAt``
(the earlier of ``createdAt`` and when it was indexed: the view's ``indexedAt``); then
its counts, the viewer's bookmarks and thread mutes, the postgates and threadgates
that decide its viewer state and embeds, and the lists a threadgate admits the viewer by.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

from exprsn_pds.plugins.appview.graph_store import SORT_AT
from exprsn_pds.plugins.appview.thread_store import ThreadgateRow
from exprsn_pds.plugins.appview.view_store import marked
from exprsn_pds.sql import execute, fetch, fetch_in

VIOLATING_REPLIES_INDEX: Final = (
    "CREATE INDEX IF NOT EXISTS appview_thread_reply_violating"
    " ON appview_thread_reply (parent_uri) WHERE violates_threadgate"
)
"""Migration ``0010_read_indexes``: the replies that broke their threadgate, by parent (a
partial index, as small as they are few), for :func:`counts`, which every post view reads;
without it that read scans every reply of the index."""
RECORD_KEY_INDEX: Final = (
    "CREATE INDEX IF NOT EXISTS appview_record_did_collection_rkey"
    " ON appview_record (did, collection, rkey)"
)
"""Migration ``0011_record_key_index``: a record by repository, collection and key (the
profile records the actor views read by DID, ``rkey = 'self'``); without it each DID's
lookup walks every record of the account."""
POST_SORT_AT: Final = SORT_AT.replace("created_at", "p.created_at").replace(
    "indexed_at", "p.indexed_at"
)


@dataclass(frozen=True)
class PostRow:
    """An indexed post as its view needs it."""

    uri: str
    did: str
    cid: str
    record: dict[str, Any]
    root_uri: str | None
    parent_uri: str | None
    embed_uri: str | None
    sort_at: str
    violates_threadgate: bool

    @property
    def thread_root(self) -> str:
        """The root of its thread (itself for a post that replies to nothing)."""
        return self.root_uri or self.uri


@dataclass(frozen=True)
class PostCounts:
    """A post's aggregate counts."""

    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    bookmarks: int = 0


@dataclass(frozen=True)
class PostgateRow:
    """A post's postgate: the quotes it detaches, and whether it disables embedding."""

    detached: frozenset[str]
    embedding_disabled: bool


async def posts(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, PostRow]:
    """The indexed posts among ``uris`` whose record is live."""
    rows = await fetch_in(
        client,
        "SELECT p.uri, p.did, p.cid, r.record, p.reply_root_uri, p.reply_parent_uri,"
        f" p.embed_uri, {POST_SORT_AT}, t.violates_threadgate"
        " FROM appview_post p JOIN appview_record r ON r.uri = p.uri"
        " LEFT JOIN appview_thread_reply t ON t.uri = p.uri"
        " WHERE r.cid IS NOT NULL AND p.uri IN ({holes})",
        uris,
    )
    return {
        str(row[0]): PostRow(
            str(row[0]),
            str(row[1]),
            str(row[2]),
            json.loads(row[3]),
            row[4],
            row[5],
            row[6],
            str(row[7]),
            bool(row[8]),
        )
        for row in rows
    }


async def counts(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, PostCounts]:
    """The counts of those of ``uris`` that have any; replies that broke their thread's
    threadgate are not counted, as the official AppView counts them; bookmarks are every
    account's (each account's own stay private)."""
    rows = await fetch_in(
        client,
        "SELECT uri, likes, reposts, replies, quotes FROM appview_post_counts"
        " WHERE uri IN ({holes})",
        uris,
    )
    violating = await fetch_in(
        client,
        "SELECT parent_uri, COUNT(*) FROM appview_thread_reply WHERE violates_threadgate"
        " AND deleted_at IS NULL AND parent_uri IN ({holes}) GROUP BY parent_uri",
        uris,
    )
    broke = {str(row[0]): int(row[1]) for row in violating}
    bookmarks = await fetch_in(
        client,
        "SELECT subject_uri, COUNT(*) FROM appview_bookmark WHERE subject_uri IN ({holes})"
        " GROUP BY subject_uri",
        uris,
    )
    kept = {str(row[0]): int(row[1]) for row in bookmarks}
    found = {
        str(row[0]): PostCounts(
            int(row[1]), int(row[2]), int(row[3]) - broke.get(str(row[0]), 0), int(row[4])
        )
        for row in rows
    }
    for uri, count in kept.items():
        found[uri] = replace(found.get(uri, PostCounts()), bookmarks=count)
    return found


async def bookmarked(client: BaseDBAsyncClient, did: str, uris: Collection[str]) -> set[str]:
    """Those of ``uris`` that ``did`` bookmarked."""
    return await marked(client, "appview_bookmark", "subject_uri", did, uris)


async def muted_threads(client: BaseDBAsyncClient, did: str, roots: Collection[str]) -> set[str]:
    """Those of the thread ``roots`` that ``did`` muted."""
    return await marked(client, "appview_thread_mute", "root_uri", did, roots)


async def postgates(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, PostgateRow]:
    """The postgate records among ``uris`` (postgate URIs, not post URIs)."""
    rows = await fetch_in(
        client,
        "SELECT uri, detached_embedding_uris, embedding_rules FROM appview_postgate"
        " WHERE uri IN ({holes})",
        uris,
    )
    found: dict[str, PostgateRow] = {}
    for uri, detached_json, rules_json in rows:
        detached = json.loads(detached_json) if detached_json else []
        rules = json.loads(rules_json) if rules_json else []
        found[str(uri)] = PostgateRow(
            frozenset(item for item in detached if isinstance(item, str)),
            any(
                isinstance(rule, dict) and rule.get("$type") == "app.bsky.feed.postgate#disableRule"
                for rule in rules
            ),
        )
    return found


async def threadgates(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, ThreadgateRow]:
    """The threadgate records among ``uris`` (threadgate URIs, not post URIs)."""
    rows = await fetch_in(
        client,
        "SELECT g.uri, g.cid, r.record, g.allow, g.hidden_replies FROM appview_threadgate g"
        " JOIN appview_record r ON r.uri = g.uri WHERE r.cid IS NOT NULL AND g.uri IN ({holes})",
        uris,
    )
    return {
        str(row[0]): ThreadgateRow(str(row[0]), str(row[1]), str(row[2]), row[3], row[4])
        for row in rows
    }


async def lists_with_member(
    client: BaseDBAsyncClient, did: str, lists: Collection[str]
) -> set[str]:
    """Those of ``lists`` that have ``did`` as an item."""
    rows = await fetch_in(
        client,
        "SELECT DISTINCT list_uri FROM appview_list_item WHERE subject_did = ?"
        " AND list_uri IN ({holes})",
        lists,
        [did],
    )
    return {str(row[0]) for row in rows}


async def record_cids(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, str]:
    """``uri → cid`` of the live records among ``uris``."""
    rows = await fetch_in(
        client,
        "SELECT uri, cid FROM appview_record WHERE cid IS NOT NULL AND uri IN ({holes})",
        uris,
    )
    return {str(row[0]): str(row[1]) for row in rows}


async def create_counts_index(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration ``0010_read_indexes``: :data:`VIOLATING_REPLIES_INDEX`."""
    await execute(editor.client, VIOLATING_REPLIES_INDEX)


async def drop_counts_index(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration ``0010_read_indexes`` reversed."""
    await execute(editor.client, "DROP INDEX IF EXISTS appview_thread_reply_violating")


async def create_record_key_index(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration ``0011_record_key_index``: :data:`RECORD_KEY_INDEX`."""
    await execute(editor.client, RECORD_KEY_INDEX)


async def drop_record_key_index(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration ``0011_record_key_index`` reversed."""
    await execute(editor.client, "DROP INDEX IF EXISTS appview_record_did_collection_rkey")


async def fill_media_types(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration ``0007_post_media``: set ``media_type`` of the posts indexed before it
    from their embed (inside ``recordWithMedia``, from the record)."""
    client = editor.client
    await execute(
        client,
        "UPDATE appview_post SET media_type = embed_type WHERE embed_type IS NOT NULL"
        " AND embed_type NOT IN ('app.bsky.embed.record', 'app.bsky.embed.recordWithMedia')",
    )
    rows = await fetch(
        client,
        "SELECT p.uri, r.record FROM appview_post p JOIN appview_record r ON r.uri = p.uri"
        " WHERE p.embed_type = 'app.bsky.embed.recordWithMedia' AND r.record IS NOT NULL",
    )
    for uri, text in rows:
        media = (json.loads(text).get("embed") or {}).get("media")
        kind = media.get("$type") if isinstance(media, dict) else None
        if isinstance(kind, str):
            await execute(
                client, "UPDATE appview_post SET media_type = ? WHERE uri = ?", [kind, uri]
            )
