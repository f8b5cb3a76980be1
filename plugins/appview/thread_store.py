"""The thread reads and the thread table's writes, as raw SQL.

Skeleton reads: a post's ancestors (one recursive query walking ``reply_parent_uri`` up to
a height), the replies of a set of posts (one query per level of a thread, never one per
post), the OP's replies of a thread (for the OP thread), and the root's threadgate. Each
post comes back as a :class:`ThreadPost`: what building a thread needs before any view.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.sql import execute, fetch, fetch_in

_COLUMNS: Final = (
    "p.uri, p.did, p.reply_parent_uri, p.reply_root_uri, p.indexed_at, p.text,"
    " t.violates_threadgate"
)
_FROM: Final = "appview_post p LEFT JOIN appview_thread_reply t ON t.uri = p.uri"


@dataclass(frozen=True)
class ThreadPost:
    """An indexed post as a thread sees it: author, reply refs, ``sortAt`` (the earlier
    of ``createdAt`` and when it was indexed), text, and whether it broke the threadgate."""

    uri: str
    did: str
    parent_uri: str | None
    root_uri: str | None
    sort_at: str
    text: str
    violates_threadgate: bool

    @property
    def thread_root(self) -> str:
        """The root of its thread (itself for a post that replies to nothing)."""
        return self.root_uri or self.uri


def _post(row: Any) -> ThreadPost:
    return ThreadPost(
        str(row[0]), str(row[1]), row[2], row[3], str(row[4]), str(row[5]), bool(row[6])
    )


def newest_first(posts: Collection[ThreadPost]) -> list[ThreadPost]:
    """``posts`` by ``sortAt``, newest first (ties: the greater URI first)."""
    return sorted(posts, key=lambda post: (post.sort_at, post.uri), reverse=True)


async def posts(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, ThreadPost]:
    """The indexed posts among ``uris``."""
    rows = await fetch_in(
        client, f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.uri IN ({{holes}})", uris
    )
    return {str(row[0]): _post(row) for row in rows}


async def ancestors(client: BaseDBAsyncClient, uri: str, height: int) -> list[ThreadPost]:
    """The post ``uri`` and the posts it replies to, parent first, up to ``height`` above
    it; the walk stops at a post the index does not hold (its URI is the last one's
    ``parent_uri``). Empty when ``uri`` is not indexed."""
    rows = await fetch(
        client,
        "WITH RECURSIVE ancestor(uri, height) AS ("
        " SELECT uri, 0 FROM appview_post WHERE uri = ?"
        " UNION ALL"
        " SELECT p.reply_parent_uri, a.height + 1 FROM ancestor a"
        " JOIN appview_post p ON p.uri = a.uri"
        " WHERE a.height < ? AND p.reply_parent_uri IS NOT NULL)"
        f" SELECT {_COLUMNS}, a.height FROM ancestor a"
        " JOIN appview_post p ON p.uri = a.uri"
        " LEFT JOIN appview_thread_reply t ON t.uri = p.uri"
        " ORDER BY a.height",
        [uri, height],
    )
    return [_post(row) for row in rows]


async def replies(client: BaseDBAsyncClient, parents: Collection[str]) -> list[ThreadPost]:
    """The indexed posts replying to any of ``parents``, newest first."""
    if not parents:
        return []
    rows = await fetch_in(
        client, f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.reply_parent_uri IN ({{holes}})", parents
    )
    return newest_first([_post(row) for row in rows])


@dataclass(frozen=True)
class ReplyRow:
    """An ``appview_thread_reply`` row (:class:`~.thread_models.ThreadReply`)."""

    uri: str
    did: str
    root_uri: str
    parent_uri: str
    violates_threadgate: bool
    deleted_at: str | None


async def put_reply(client: BaseDBAsyncClient, row: ReplyRow) -> None:
    """Store ``row``, replacing the reply's earlier row (a deleted one too)."""
    await execute(client, "DELETE FROM appview_thread_reply WHERE uri = ?", [row.uri])
    await execute(
        client,
        "INSERT INTO appview_thread_reply"
        " (uri, did, root_uri, parent_uri, violates_threadgate, deleted_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [row.uri, row.did, row.root_uri, row.parent_uri, row.violates_threadgate, row.deleted_at],
    )


async def remove_reply(client: BaseDBAsyncClient, uri: str, when: str) -> None:
    """The reply ``uri`` left the index: a reply by its root's author is marked deleted at
    ``when``; any other's row is deleted."""
    rows = await fetch(
        client, "SELECT did, root_uri FROM appview_thread_reply WHERE uri = ?", [uri]
    )
    if not rows:
        return
    if str(rows[0][1]).startswith(f"at://{rows[0][0]}/"):
        await execute(
            client,
            "UPDATE appview_thread_reply SET deleted_at = ? WHERE uri = ? AND deleted_at IS NULL",
            [when, uri],
        )
    else:
        await execute(client, "DELETE FROM appview_thread_reply WHERE uri = ?", [uri])


async def op_replies(client: BaseDBAsyncClient, root_uri: str) -> list[ReplyRow]:
    """Every reply the root's author made in the thread of ``root_uri``, deleted ones too."""
    did = root_uri[len("at://") :].split("/", 1)[0]
    rows = await fetch(
        client,
        "SELECT uri, did, root_uri, parent_uri, violates_threadgate, deleted_at"
        " FROM appview_thread_reply WHERE root_uri = ? AND did = ?",
        [root_uri, did],
    )
    return [ReplyRow(str(r[0]), str(r[1]), str(r[2]), str(r[3]), bool(r[4]), r[5]) for r in rows]


@dataclass(frozen=True)
class ThreadgateRow:
    """A stored threadgate: its record (JSON text), rules and hidden replies (JSON)."""

    uri: str
    cid: str
    record: str
    allow: str | None
    hidden_replies: str | None


async def threadgate(client: BaseDBAsyncClient, uri: str) -> ThreadgateRow | None:
    """The threadgate record ``uri``, if indexed."""
    rows = await fetch(
        client,
        "SELECT g.uri, g.cid, r.record, g.allow, g.hidden_replies FROM appview_threadgate g"
        " JOIN appview_record r ON r.uri = g.uri WHERE g.uri = ? AND r.cid IS NOT NULL",
        [uri],
    )
    if not rows:
        return None
    row = rows[0]
    return ThreadgateRow(str(row[0]), str(row[1]), str(row[2]), row[3], row[4])
