"""The index's reads for the feed skeletons, as raw SQL: feed items newest first.

A feed item is a post (its author is the originator) or a repost (the reposter is the
originator, the reposted post the item's post). Items sort as the official AppView's
``feed_item`` rows: newest ``sortAt`` (``min(createdAt, indexedAt)`` of the post or of the
repost) first, ties by the item's URI; a :class:`~.graph_store.Cursor` names the last one
given (``<sortAt>::<item uri>``).

The follows' items (:func:`followed_items`) are first looked for among the newest
:data:`RECENT_WINDOW` posts and reposts of the whole index (walked on the ``sortAt``
indexes of migration ``0010_read_indexes``), which holds a page for a viewer following a fair
share of the active accounts (the heavy viewer's read no longer grows with what they
follow); a viewer whose follows wrote too little of it is read by follows, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

from exprsn_pds.plugins.appview.graph_store import SORT_AT, Cursor
from exprsn_pds.sql import execute, fetch, is_postgres, placeholders

FOLLOWED: Final = "IN (SELECT subject_did FROM appview_follow WHERE did = ?)"
SELF: Final = "= ?"
RECENT_WINDOW: Final = 5_000
"""The newest posts (and, apart, reposts) of the index the follows' items are looked for
among first."""
POST_SORT_INDEX: Final = "appview_post_sort_at"
"""The posts by ``sortAt`` (of :data:`INDEXES`), which a dense search walks too."""
REPOST_SORT_INDEX: Final = "appview_repost_sort_at"
INDEXES: Final = (
    (POST_SORT_INDEX, "appview_post", f"({SORT_AT}), uri, did"),
    (REPOST_SORT_INDEX, "appview_repost", f"({SORT_AT}), uri, did, subject_uri"),
    ("appview_follow_did_subject", "appview_follow", "did, subject_did"),
)
"""Migration ``0010_read_indexes``'s indexes of the feeds: ``sortAt``, then the item's URI
(a feed's order), then the columns a recent window reads (covering it); and each
account's follows (the ``FOLLOWED`` set, read from the index alone)."""


@dataclass(frozen=True)
class FeedItem:
    """One item: the post, the repost that brought it (if any), who brought it and when."""

    post_uri: str
    repost_uri: str | None
    originator: str
    sort_key: str
    pinned: bool = False
    """The author's pinned post, put first on an author feed's first page."""

    @property
    def uri(self) -> str:
        """The item's own URI: the repost's, or the post's."""
        return self.repost_uri or self.post_uri

    @property
    def author(self) -> str:
        """The DID of the post's author (from its URI)."""
        return self.post_uri.removeprefix("at://").split("/", 1)[0]

    def cursor(self) -> str:
        """The cursor of a page ending at this item."""
        return Cursor(self.sort_key, self.uri).text()


def _sort_at(alias: str) -> str:
    """:data:`~.graph_store.SORT_AT` of the table named ``alias``."""
    return SORT_AT.replace("created_at", f"{alias}.created_at").replace(
        "indexed_at", f"{alias}.indexed_at"
    )


def _after(cursor: Cursor | None, alias: str) -> tuple[str, list[Any]]:
    if cursor is None:
        return "", []
    key = _sort_at(alias)
    return (
        f" AND ({key} < ? OR ({key} = ? AND {alias}.uri < ?))",
        [cursor.key, cursor.key, cursor.tie],
    )


async def items_by(
    client: BaseDBAsyncClient, who: str, did: str, cursor: Cursor | None, limit: int
) -> list[FeedItem]:
    """Up to ``limit`` items after ``cursor`` whose originator is ``did`` (``who`` =
    :data:`SELF`) or an account ``did`` follows (``who`` = :data:`FOLLOWED`)."""
    post_after, post_values = _after(cursor, "p")
    repost_after, repost_values = _after(cursor, "r")
    text = (
        f"SELECT p.uri, NULL, p.did, {_sort_at('p')} AS sort_key, p.uri AS tie FROM appview_post p"
        f" WHERE p.did {who}{post_after}"
        f" UNION ALL SELECT r.subject_uri, r.uri, r.did, {_sort_at('r')} AS sort_key, r.uri AS tie"
        f" FROM appview_repost r WHERE r.did {who}{repost_after}"
        " ORDER BY sort_key DESC, tie DESC LIMIT ?"
    )
    rows = await fetch(client, text, [did, *post_values, did, *repost_values, limit])
    return [FeedItem(row[0], row[1], row[2], row[3]) for row in rows]


async def create_indexes(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration ``0010_read_indexes``: the :data:`INDEXES` (``sortAt`` as the expression
    the reads sort by, so both databases walk them)."""
    for name, table, columns in INDEXES:
        await execute(editor.client, f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


async def drop_indexes(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration ``0010_read_indexes`` reversed."""
    for name, _, _ in INDEXES:
        await execute(editor.client, f"DROP INDEX IF EXISTS {name}")


def _window_after(cursor: Cursor | None, alias: str) -> tuple[str, list[Any]]:
    """:func:`_after` as a range of the ``sortAt`` index (``sortAt <= key`` first)."""
    if cursor is None:
        return "", []
    key = _sort_at(alias)
    return (
        f" WHERE {key} <= ? AND ({key} < ? OR {alias}.uri < ?)",
        [cursor.key, cursor.key, cursor.tie],
    )


def _sqlite_recent(
    reposts: bool, did: str, cursor: Cursor | None, limit: int
) -> tuple[str, list[Any]]:
    """SQLite's :func:`_recent`, its statement and values: the ``sortAt`` index walked
    newest first down to the window's last key, stopping at the limit (the follow set a
    probe per row); left to itself, the planner would sort every followed account's
    items."""
    repost = ("appview_repost", "r", REPOST_SORT_INDEX)
    table, alias, index = repost if reposts else ("appview_post", "p", POST_SORT_INDEX)
    item = "r.subject_uri, r.uri" if reposts else "p.uri, NULL"
    key = _sort_at(alias)
    after, values = _window_after(cursor, alias)
    bound_after, bound_values = _window_after(cursor, "b")
    last_key = (
        f"SELECT {_sort_at('b')} FROM {table} b{bound_after}"
        f" ORDER BY {_sort_at('b')} DESC, b.uri DESC LIMIT 1 OFFSET ? - 1"
    )
    where = after.replace(" WHERE ", " AND ", 1)
    text = (
        f"SELECT {item}, {alias}.did, {key} AS sort_key FROM {table} {alias} INDEXED BY {index}"
        f" WHERE {key} >= coalesce(({last_key}), ''){where} AND {alias}.did {FOLLOWED}"
        f" ORDER BY sort_key DESC, {alias}.uri DESC LIMIT ?"
    )
    return text, [*bound_values, RECENT_WINDOW, *values, did, limit]


def _postgres_recent(
    reposts: bool, did: str, cursor: Cursor | None, limit: int
) -> tuple[str, list[Any]]:
    """PostgreSQL's :func:`_recent`, its statement and values: the
    window as a subquery, which its planner walks on the ``sortAt`` index and stops at the
    limit."""
    alias = "r" if reposts else "p"
    after, values = _window_after(cursor, alias)
    if reposts:
        columns, table, item = (
            "r.subject_uri, r.uri, r.did",
            "appview_repost r",
            "w.subject_uri, w.uri",
        )
    else:
        columns, table, item = "p.uri, p.did", "appview_post p", "w.uri, NULL"
    text = (
        f"SELECT {item}, w.did, w.sort_key FROM"
        f" (SELECT {columns}, {_sort_at(alias)} AS sort_key FROM {table}{after}"
        f" ORDER BY sort_key DESC, {alias}.uri DESC LIMIT ?) w"
        f" WHERE w.did {FOLLOWED} ORDER BY w.sort_key DESC, w.uri DESC LIMIT ?"
    )
    return text, [*values, RECENT_WINDOW, did, limit]


async def _recent(
    client: BaseDBAsyncClient, reposts: bool, did: str, cursor: Cursor | None, limit: int
) -> list[FeedItem] | None:
    """Up to ``limit`` posts (or ``reposts``) by the follows of ``did`` after ``cursor``
    among the :data:`RECENT_WINDOW` newest of the index; ``None`` when fewer than
    ``limit`` are there (older ones might then belong to the page)."""
    recent = _postgres_recent if is_postgres(client) else _sqlite_recent
    text, values = recent(reposts, did, cursor, limit)
    rows = await fetch(client, text, values)
    if len(rows) < limit:
        return None
    return [FeedItem(row[0], row[1], row[2], row[3]) for row in rows]


async def followed_items(
    client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int
) -> list[FeedItem]:
    """Up to ``limit`` items after ``cursor`` whose originator ``did`` follows: each of
    posts and reposts from the recent window when it holds ``limit`` of them (those are
    then the newest), else read by follows (:func:`items_by`)."""
    posts = await _recent(client, False, did, cursor, limit)
    reposts = await _recent(client, True, did, cursor, limit)
    if posts is None or reposts is None:
        return await items_by(client, FOLLOWED, did, cursor, limit)
    merged = sorted([*posts, *reposts], key=lambda item: (item.sort_key, item.uri), reverse=True)
    return merged[:limit]


async def list_posts(
    client: BaseDBAsyncClient, list_uri: str, cursor: Cursor | None, limit: int
) -> list[FeedItem]:
    """Up to ``limit`` posts after ``cursor`` by the members of ``list_uri`` (no reposts),
    one per membership as the official ``getListFeed`` joins them."""
    after, values = _after(cursor, "p")
    text = (
        f"SELECT p.uri, p.did, {_sort_at('p')} AS sort_key FROM appview_post p"
        " JOIN appview_list_item i ON i.subject_did = p.did"
        f" WHERE i.list_uri = ?{after} ORDER BY sort_key DESC, p.uri DESC LIMIT ?"
    )
    rows = await fetch(client, text, [list_uri, *values, limit])
    return [FeedItem(row[0], None, row[1], row[2]) for row in rows]


POSTS_WITH_REPLIES: Final = "posts_with_replies"
POSTS_NO_REPLIES: Final = "posts_no_replies"
POSTS_AND_AUTHOR_THREADS: Final = "posts_and_author_threads"
REPLY_FILTERS: Final = frozenset({POSTS_WITH_REPLIES, POSTS_NO_REPLIES, POSTS_AND_AUTHOR_THREADS})
"""The ``getAuthorFeed`` filters decided by the reply fields alone."""
MEDIA_FILTERS: Final = {
    "posts_with_media": ("app.bsky.embed.images", "app.bsky.embed.gallery"),
    "posts_with_video": ("app.bsky.embed.video",),
}
"""The ``getAuthorFeed`` filters of the author's own posts (no reposts) showing media of
these kinds, directly or with a quote."""


def _post_filter(feed_filter: str, did: str) -> tuple[str, list[Any]]:
    if feed_filter == POSTS_NO_REPLIES:
        return " AND p.reply_parent_uri IS NULL", []
    if feed_filter == POSTS_AND_AUTHOR_THREADS:
        prefix = f"at://{did}/"
        return (
            " AND (p.reply_parent_uri IS NULL OR substr(p.reply_root_uri, 1, ?) = ?)",
            [len(prefix), prefix],
        )
    if feed_filter == POSTS_WITH_REPLIES:
        return "", []
    raise ValueError(f"not a reply filter: {feed_filter}")


async def author_items(
    client: BaseDBAsyncClient, did: str, feed_filter: str, cursor: Cursor | None, limit: int
) -> list[FeedItem]:
    """Up to ``limit`` of ``did``'s items after ``cursor`` under one of
    :data:`REPLY_FILTERS`, as the official ``getAuthorFeed`` store: its posts (replies as
    the filter keeps them) and its reposts of indexed posts; under one of
    :data:`MEDIA_FILTERS`, its posts with that media."""
    post_after, post_values = _after(cursor, "p")
    if feed_filter in MEDIA_FILTERS:
        kinds = MEDIA_FILTERS[feed_filter]
        text = (
            f"SELECT p.uri, NULL, p.did, {_sort_at('p')} AS sort_key FROM appview_post p"
            f" WHERE p.did = ? AND p.media_type IN ({placeholders(len(kinds))}){post_after}"
            " ORDER BY sort_key DESC, p.uri DESC LIMIT ?"
        )
        rows = await fetch(client, text, [did, *kinds, *post_values, limit])
        return [FeedItem(row[0], row[1], row[2], row[3]) for row in rows]
    repost_after, repost_values = _after(cursor, "r")
    kept, kept_values = _post_filter(feed_filter, did)
    text = (
        f"SELECT p.uri, NULL, p.did, {_sort_at('p')} AS sort_key, p.uri AS tie"
        f" FROM appview_post p WHERE p.did = ?{kept}{post_after}"
        f" UNION ALL SELECT r.subject_uri, r.uri, r.did, {_sort_at('r')} AS sort_key,"
        " r.uri AS tie FROM appview_repost r JOIN appview_post q ON q.uri = r.subject_uri"
        f" WHERE r.did = ?{repost_after}"
        " ORDER BY sort_key DESC, tie DESC LIMIT ?"
    )
    values = [did, *kept_values, *post_values, did, *repost_values, limit]
    rows = await fetch(client, text, values)
    return [FeedItem(row[0], row[1], row[2], row[3]) for row in rows]


async def pinned_post(client: BaseDBAsyncClient, did: str) -> str | None:
    """The URI of the post ``did``'s profile pins, if any."""
    rows = await fetch(client, "SELECT pinned_uri FROM appview_profile WHERE did = ?", [did])
    return rows[0][0] if rows and rows[0][0] else None
