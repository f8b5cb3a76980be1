"""The index's reads that decide whom an indexed record notifies, as raw SQL: reply
ancestors, threadgates and their rules, activity subscriptions and thread mutes.

:mod:`.notifications` calls them with the indexing transaction's connection, so they see
the rows that transaction wrote. Lists of DIDs may be any length (:func:`fetch_in`).
"""

from __future__ import annotations

from collections.abc import Collection

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.sql import fetch, fetch_in


async def post_parent(client: BaseDBAsyncClient, uri: str) -> tuple[str, str | None] | None:
    """The indexed post ``uri``'s author and the post it replies to (``None``: unindexed)."""
    rows = await fetch(
        client, "SELECT did, reply_parent_uri FROM appview_post WHERE uri = ?", [uri]
    )
    return (str(rows[0][0]), rows[0][1]) if rows else None


async def post_facets(client: BaseDBAsyncClient, uri: str) -> str | None:
    """The facets (JSON) of the indexed post ``uri``."""
    rows = await fetch(client, "SELECT facets FROM appview_post WHERE uri = ?", [uri])
    return rows[0][0] if rows else None


async def threadgate(
    client: BaseDBAsyncClient, post_uri: str, did: str | None
) -> tuple[str | None, str | None] | None:
    """``did``'s threadgate of ``post_uri``: its ``allow`` and ``hiddenReplies`` (JSON)."""
    rows = await fetch(
        client,
        "SELECT allow, hidden_replies FROM appview_threadgate WHERE post_uri = ? AND did = ?",
        [post_uri, did],
    )
    return (rows[0][0], rows[0][1]) if rows else None


async def follows(client: BaseDBAsyncClient, did: str | None, subject_did: str | None) -> bool:
    """Whether ``did`` follows ``subject_did``."""
    rows = await fetch(
        client,
        "SELECT 1 FROM appview_follow WHERE did = ? AND subject_did = ?",
        [did, subject_did],
    )
    return bool(rows)


async def listed(client: BaseDBAsyncClient, list_uri: str, did: str) -> bool:
    """Whether the list ``list_uri`` has ``did`` among its items."""
    rows = await fetch(
        client,
        "SELECT 1 FROM appview_list_item WHERE list_uri = ? AND subject_did = ?",
        [list_uri, did],
    )
    return bool(rows)


async def subscribers(client: BaseDBAsyncClient, subject_did: str, *, reply: bool) -> list[str]:
    """Who subscribed to ``subject_did``'s posts (or, ``reply``, replies), sorted."""
    column = "reply" if reply else "post"
    rows = await fetch(
        client,
        f"SELECT did FROM appview_activity_subscription WHERE subject_did = ? AND {column} = ?"
        " ORDER BY did",
        [subject_did, True],
    )
    return [str(row[0]) for row in rows]


async def followers_among(
    client: BaseDBAsyncClient, subject_did: str, dids: Collection[str]
) -> set[str]:
    """Those of ``dids`` who follow ``subject_did``."""
    rows = await fetch_in(
        client,
        "SELECT did FROM appview_follow WHERE subject_did = ? AND did IN ({holes})",
        dids,
        [subject_did],
    )
    return {str(row[0]) for row in rows}


async def followed_among(client: BaseDBAsyncClient, did: str, dids: Collection[str]) -> set[str]:
    """Those of ``dids`` whom ``did`` follows."""
    rows = await fetch_in(
        client,
        "SELECT subject_did FROM appview_follow WHERE did = ? AND subject_did IN ({holes})",
        dids,
        [did],
    )
    return {str(row[0]) for row in rows}


async def declaration(client: BaseDBAsyncClient, did: str, collection: str) -> str | None:
    """``did``'s live ``self`` record of ``collection`` (JSON), if indexed."""
    rows = await fetch(
        client,
        "SELECT record FROM appview_record WHERE did = ? AND collection = ? AND rkey = 'self'"
        " AND cid IS NOT NULL",
        [did, collection],
    )
    return rows[0][0] if rows and rows[0][0] else None


async def thread_muters(
    client: BaseDBAsyncClient, root_uri: str, dids: Collection[str]
) -> set[str]:
    """Those of ``dids`` who muted the thread of ``root_uri``."""
    rows = await fetch_in(
        client,
        "SELECT did FROM appview_thread_mute WHERE root_uri = ? AND did IN ({holes})",
        dids,
        [root_uri],
    )
    return {str(row[0]) for row in rows}
