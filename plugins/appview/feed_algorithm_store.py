"""The index's reads for the built-in feed algorithms and for ``getFeed``, as raw SQL.

``recent_posts``: the newest posts (no replies) of active accounts, newest ``sortAt``
first, ties by URI. ``liked_by_follows``: the posts of active accounts liked since a time
by the accounts a viewer follows, most of those likes first, then newest ``sortAt``, ties
by URI. ``generator_did``: the service DID a generator record names. ``repost_items``: the
reposts a skeleton names, with their subject, reposter and ``sortAt``.
``generators_of_service``: the generator records naming a service DID.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.graph_store import SORT_AT, Cursor
from exprsn_pds.sql import fetch, fetch_in


def _sort_at(alias: str) -> str:
    return SORT_AT.replace("created_at", f"{alias}.created_at").replace(
        "indexed_at", f"{alias}.indexed_at"
    )


@dataclass(frozen=True)
class RankedPost:
    """A post of a ranked feed: its URI, like count and ``sortAt``."""

    uri: str
    likes: int
    sort_key: str


async def recent_posts(
    client: BaseDBAsyncClient, cursor: Cursor | None, limit: int
) -> list[tuple[str, str]]:
    """Up to ``limit`` ``(uri, sortAt)`` of the newest root posts of active accounts after
    ``cursor``. The actor check is an ``EXISTS``, so SQLite too walks the ``sortAt`` index
    newest first and stops at ``limit`` (a join makes it sort every post)."""
    key = _sort_at("p")
    after, values = "", []
    if cursor is not None:
        # The ``<=`` bound lets both databases start the walk of the ``sortAt`` index
        # (``appview_post_sort_at``) at the cursor.
        after = f" AND {key} <= ? AND ({key} < ? OR ({key} = ? AND p.uri < ?))"
        values = [cursor.key, cursor.key, cursor.key, cursor.tie]
    text = (
        f"SELECT p.uri, {key} AS sort_key FROM appview_post p WHERE EXISTS (SELECT 1"
        " FROM appview_actor a WHERE a.did = p.did AND a.status = 'active')"
        f" AND p.reply_parent_uri IS NULL{after}"
        " ORDER BY sort_key DESC, p.uri DESC LIMIT ?"
    )
    rows = await fetch(client, text, [*values, limit])
    return [(row[0], row[1]) for row in rows]


async def liked_by_follows(
    client: BaseDBAsyncClient,
    viewer: str,
    since: str,
    after: RankedPost | None,
    limit: int,
) -> list[RankedPost]:
    """Up to ``limit`` posts of active accounts liked at or after ``since`` (the like's
    ``sortAt``) by accounts ``viewer`` follows, ranked after ``after``."""
    position, values = "", []
    if after is not None:
        position = (
            " WHERE g.likes < ? OR (g.likes = ? AND (g.sort_key < ?"
            " OR (g.sort_key = ? AND g.uri < ?)))"
        )
        values = [after.likes, after.likes, after.sort_key, after.sort_key, after.uri]
    text = (
        "SELECT g.uri, g.likes, g.sort_key FROM ("
        f"SELECT p.uri AS uri, COUNT(*) AS likes, {_sort_at('p')} AS sort_key"
        " FROM appview_like l JOIN appview_post p ON p.uri = l.subject_uri"
        " JOIN appview_actor a ON a.did = p.did"
        " WHERE l.did IN (SELECT subject_did FROM appview_follow WHERE did = ?)"
        f" AND a.status = 'active' AND {_sort_at('l')} >= ?"
        " GROUP BY p.uri, p.created_at, p.indexed_at) g"
        f"{position} ORDER BY g.likes DESC, g.sort_key DESC, g.uri DESC LIMIT ?"
    )
    rows = await fetch(client, text, [viewer, since, *values, limit])
    return [RankedPost(row[0], int(row[1]), row[2]) for row in rows]


async def generator_did(client: BaseDBAsyncClient, uri: str) -> str | None:
    """The service DID of the indexed generator record ``uri``, if any."""
    rows = await fetch(client, "SELECT feed_did FROM appview_feed_generator WHERE uri = ?", [uri])
    return str(rows[0][0]) if rows else None


async def repost_items(
    client: BaseDBAsyncClient, uris: Collection[str]
) -> dict[str, tuple[str, str, str]]:
    """``repost uri -> (subject uri, reposter DID, sortAt)`` of the indexed reposts among
    ``uris``."""
    if not uris:
        return {}
    rows = await fetch_in(
        client,
        f"SELECT r.uri, r.subject_uri, r.did, {_sort_at('r')} FROM appview_repost r"
        " WHERE r.uri IN ({holes})",
        list(uris),
    )
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


async def generators_of_service(client: BaseDBAsyncClient, did: str) -> list[str]:
    """The URIs of the indexed generator records naming ``did`` as their service, oldest
    first."""
    rows = await fetch(
        client,
        "SELECT uri FROM appview_feed_generator WHERE feed_did = ? ORDER BY created_at, uri",
        [did],
    )
    return [row[0] for row in rows]
