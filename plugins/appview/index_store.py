"""The index's writes as raw SQL: marks, rows, counts and actors (SQLite and PostgreSQL).

Every function takes the client of the transaction it runs in (see
:mod:`.sql`). Those that change an actor's cached facts (handle, standing, profile,
labeler and declaration records, actor counts) :func:`~.actor_cache.touch` its DID.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.actor_cache import touch, touch_all
from exprsn_pds.plugins.appview.records import (
    ACTOR_COUNTS,
    LIST_COUNTS,
    POST_COUNTS,
    CountEffect,
    Extract,
)
from exprsn_pds.sql import execute, fetch, fetch_in, is_postgres, placeholders

#: Counts tables: their key column and counter columns.
COUNT_TABLES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    ACTOR_COUNTS: ("did", ("followers", "follows", "posts", "lists", "feedgens", "starter_packs")),
    POST_COUNTS: ("uri", ("likes", "reposts", "replies", "quotes")),
    LIST_COUNTS: ("uri", ("items",)),
}
LOCK_NAMESPACE: Final = b"exprsn-pds:appview:"
ACTOR_FACT_COLLECTIONS: Final = frozenset(
    {
        "app.bsky.actor.profile",
        "app.bsky.labeler.service",
        "app.bsky.notification.declaration",
        "chat.bsky.actor.declaration",
    }
)
"""Collections whose records are part of an actor's cached facts."""


@dataclass(frozen=True)
class Mark:
    """The version of a record the index applied (``cid`` ``None``: deleted) and when."""

    uri: str
    cid: str | None
    seq: int
    record: str | None
    indexed_at: str


def _lock_key(did: str) -> int:
    digest = hashlib.sha256(LOCK_NAMESPACE + did.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_actor(client: BaseDBAsyncClient, did: str) -> None:
    """Serialise index changes of ``did``'s repo until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock (processes sharing the database);
    SQLite's write transactions already run one at a time.
    """
    if is_postgres(client):
        await fetch(client, "SELECT pg_advisory_xact_lock(?)", [_lock_key(did)])


async def marks_of(client: BaseDBAsyncClient, uris: Sequence[str]) -> dict[str, Mark]:
    """The marks of ``uris`` that exist."""
    if not uris:
        return {}
    rows = await fetch_in(
        client,
        "SELECT uri, cid, seq, record, indexed_at FROM appview_record WHERE uri IN ({holes})",
        uris,
    )
    return {row[0]: Mark(row[0], row[1], int(row[2]), row[3], row[4]) for row in rows}


async def marks_of_actor(client: BaseDBAsyncClient, did: str) -> dict[str, Mark]:
    """Every mark of ``did``'s records, tombstones included."""
    rows = await fetch(
        client, "SELECT uri, cid, seq, record, indexed_at FROM appview_record WHERE did = ?", [did]
    )
    return {row[0]: Mark(row[0], row[1], int(row[2]), row[3], row[4]) for row in rows}


async def put_mark(
    client: BaseDBAsyncClient,
    *,
    uri: str,
    did: str,
    collection: str,
    rkey: str,
    cid: str | None,
    seq: int,
    record: str | None,
    indexed_at: str,
) -> None:
    """Insert or replace the mark of ``uri``."""
    if collection in ACTOR_FACT_COLLECTIONS:
        touch(did)
    await execute(
        client,
        "INSERT INTO appview_record (uri, did, collection, rkey, cid, seq, record, indexed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET"
        " cid = excluded.cid, seq = excluded.seq, record = excluded.record,"
        " indexed_at = excluded.indexed_at",
        [uri, did, collection, rkey, cid, seq, record, indexed_at],
    )


async def bump_mark(client: BaseDBAsyncClient, uri: str, seq: int) -> None:
    """Move ``uri``'s mark to ``seq`` (the same version seen again, by a newer event)."""
    await execute(
        client, "UPDATE appview_record SET seq = ? WHERE uri = ? AND seq < ?", [seq, uri, seq]
    )


async def replace_row(client: BaseDBAsyncClient, extract: Extract) -> None:
    """Write ``extract``'s row, replacing any row under its key (counts are the caller's)."""
    _touch_row(extract)
    columns = list(extract.row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != extract.key_column)
    await execute(
        client,
        f"INSERT INTO {extract.table} ({', '.join(columns)})"
        f" VALUES ({placeholders(len(columns))})"
        f" ON CONFLICT ({extract.key_column}) DO UPDATE SET {updates}",
        [extract.row[column] for column in columns],
    )


async def delete_row(client: BaseDBAsyncClient, extract: Extract) -> None:
    """Delete ``extract``'s row (counts are the caller's)."""
    _touch_row(extract)
    key = extract.row[extract.key_column]
    await execute(client, f"DELETE FROM {extract.table} WHERE {extract.key_column} = ?", [key])


def _touch_row(extract: Extract) -> None:
    """A row keyed by DID (a profile) is one of its actor's cached facts."""
    if extract.key_column == "did":
        touch(extract.row["did"])


CounterKey = tuple[str, str, str]
"""``(table, key, column)`` of one counter."""


class PendingCounts:
    """The counter changes of one transaction, summed, written at its end in one order.

    Every transaction writes counters sorted by table, key and column, so two of them
    never wait for each other's counter rows in opposite orders (no deadlock).
    """

    def __init__(self) -> None:
        self.deltas: dict[CounterKey, int] = {}

    def add(self, effects: Sequence[CountEffect], sign: int) -> None:
        """Count ``effects`` once more (``sign`` 1) or once less (-1)."""
        for effect in effects:
            key = (effect.table, effect.key, effect.column)
            self.deltas[key] = self.deltas.get(key, 0) + sign * effect.delta

    async def write(self, client: BaseDBAsyncClient) -> None:
        """Write the non-zero changes, sorted, and forget them."""
        for (table, key, column), delta in sorted(self.deltas.items()):
            if delta:
                await add_count(client, CountEffect(table, key, column, delta), 1)
        self.deltas.clear()


async def add_count(client: BaseDBAsyncClient, effect: CountEffect, sign: int) -> None:
    """Add ``sign * effect.delta`` to one counter (the row is created at zero if missing)."""
    if effect.table == ACTOR_COUNTS:
        touch(effect.key)
    key_column, counters = COUNT_TABLES[effect.table]
    values = [effect.delta * sign if column == effect.column else 0 for column in counters]
    await execute(
        client,
        f"INSERT INTO {effect.table} ({key_column}, {', '.join(counters)})"
        f" VALUES (?, {placeholders(len(counters))}) ON CONFLICT ({key_column}) DO UPDATE"
        f" SET {effect.column} = {effect.table}.{effect.column} + excluded.{effect.column}",
        [effect.key, *values],
    )


@dataclass(frozen=True)
class ActorMarks:
    """An indexed actor's standing and the seqs of what was applied to it."""

    did: str
    handle: str | None
    status: str
    account_seq: int
    handle_seq: int
    commit_seq: int
    rev: str | None


async def get_actor(client: BaseDBAsyncClient, did: str) -> ActorMarks | None:
    """The actor row of ``did``, if the index has one."""
    rows = await fetch(
        client,
        "SELECT did, handle, status, account_seq, handle_seq, commit_seq, rev"
        " FROM appview_actor WHERE did = ?",
        [did],
    )
    if not rows:
        return None
    row = rows[0]
    return ActorMarks(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]), row[6])


async def ensure_actor(
    client: BaseDBAsyncClient, did: str, *, handle: str | None, status: str
) -> None:
    """Create the actor row of ``did`` if missing (marks at 0)."""
    touch(did)
    await execute(
        client,
        "INSERT INTO appview_actor (did, handle, status, account_seq, handle_seq, commit_seq)"
        " VALUES (?, ?, ?, 0, 0, 0) ON CONFLICT (did) DO NOTHING",
        [did, handle, status],
    )


async def set_status(client: BaseDBAsyncClient, did: str, status: str, seq: int) -> bool:
    """Set the standing of ``did`` if ``seq`` is newer than the last one; whether it was."""
    touch(did)
    changed = await execute(
        client,
        "UPDATE appview_actor SET status = ?, account_seq = ? WHERE did = ? AND account_seq < ?",
        [status, seq, did, seq],
    )
    return changed > 0


async def set_handle(client: BaseDBAsyncClient, did: str, handle: str | None, seq: int) -> None:
    """Set the handle of ``did`` if ``seq`` is newer than the last identity event applied."""
    touch(did)
    await execute(
        client,
        "UPDATE appview_actor SET handle = ?, handle_seq = ? WHERE did = ? AND handle_seq < ?",
        [handle, seq, did, seq],
    )


async def set_commit(client: BaseDBAsyncClient, did: str, seq: int, rev: str | None) -> bool:
    """Move the repo mark of ``did`` to commit ``seq`` (``rev``) if it is newer; whether
    the actor row exists."""
    changed = await execute(
        client,
        "UPDATE appview_actor SET"
        " rev = CASE WHEN commit_seq < ? THEN ? ELSE rev END,"
        " commit_seq = CASE WHEN commit_seq < ? THEN ? ELSE commit_seq END"
        " WHERE did = ?",
        [seq, rev, seq, seq, did],
    )
    return changed > 0


PRIVATE_STATE_TABLES: Final = (
    "appview_mute",
    "appview_scoped_mute",
    "appview_list_mute",
    "appview_thread_mute",
    "appview_bookmark",
    "appview_activity_subscription",
    "appview_preferences",
)


async def forget_private_state(client: BaseDBAsyncClient, did: str) -> None:
    """Delete what ``did`` keeps here besides records: mutes, bookmarks, subscriptions,
    preferences."""
    for table in PRIVATE_STATE_TABLES:
        await execute(client, f"DELETE FROM {table} WHERE did = ?", [did])


async def refresh_actor(
    client: BaseDBAsyncClient, did: str, *, handle: str | None, status: str, seq: int
) -> None:
    """Set ``did``'s handle and standing as read at ``seq`` (a rebuild): account and
    identity events older than ``seq`` no longer change them."""
    await ensure_actor(client, did, handle=handle, status=status)
    await execute(
        client,
        "UPDATE appview_actor SET handle = ?, status = ?, account_seq = ?, handle_seq = ?"
        " WHERE did = ?",
        [handle, status, seq, seq, did],
    )


async def indexed_actors(client: BaseDBAsyncClient) -> list[str]:
    """Every DID the index has an actor row for."""
    return [row[0] for row in await fetch(client, "SELECT did FROM appview_actor ORDER BY did")]


POST_URI_PATTERN: Final = "at://%/app.bsky.feed.post/%"
RECOUNT: Final[dict[str, str]] = {
    ACTOR_COUNTS: (
        "INSERT INTO appview_actor_counts"
        " (did, followers, follows, posts, lists, feedgens, starter_packs)"
        " SELECT did, SUM(a), SUM(b), SUM(c), SUM(d), SUM(e), SUM(f) FROM ("
        " SELECT subject_did AS did, 1 AS a, 0 AS b, 0 AS c, 0 AS d, 0 AS e, 0 AS f"
        " FROM appview_follow"
        " UNION ALL SELECT did, 0, 1, 0, 0, 0, 0 FROM appview_follow"
        " UNION ALL SELECT did, 0, 0, 1, 0, 0, 0 FROM appview_post"
        " UNION ALL SELECT did, 0, 0, 0, 1, 0, 0 FROM appview_list"
        " UNION ALL SELECT did, 0, 0, 0, 0, 1, 0 FROM appview_feed_generator"
        " UNION ALL SELECT did, 0, 0, 0, 0, 0, 1 FROM appview_starter_pack"
        ") AS counted GROUP BY did"
    ),
    POST_COUNTS: (
        "INSERT INTO appview_post_counts (uri, likes, reposts, replies, quotes)"
        " SELECT uri, SUM(a), SUM(b), SUM(c), SUM(d) FROM ("
        " SELECT subject_uri AS uri, 1 AS a, 0 AS b, 0 AS c, 0 AS d FROM appview_like"
        " UNION ALL SELECT subject_uri, 0, 1, 0, 0 FROM appview_repost"
        " UNION ALL SELECT reply_parent_uri, 0, 0, 1, 0 FROM appview_post"
        " WHERE reply_parent_uri IS NOT NULL"
        " UNION ALL SELECT embed_uri, 0, 0, 0, 1 FROM appview_post"
        " WHERE embed_uri LIKE ?"
        ") AS counted GROUP BY uri"
    ),
    LIST_COUNTS: (
        "INSERT INTO appview_list_counts (uri, items)"
        " SELECT list_uri, COUNT(*) FROM appview_list_item GROUP BY list_uri"
    ),
}


async def recount(client: BaseDBAsyncClient) -> None:
    """Recompute every aggregate count from the rows it counts."""
    touch_all()
    for table, text in RECOUNT.items():
        await execute(client, f"DELETE FROM {table}")
        await execute(client, text, [POST_URI_PATTERN] if "?" in text else [])
