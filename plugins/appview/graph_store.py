"""The index's reads for the ``app.bsky.graph`` skeletons, as raw SQL: keyset pages.

Every page is newest first on ``(sort key, tie)``: the sort key is a record's
``min(createdAt, indexedAt)`` as the official AppView sorts (``sortAt``), the tie its URI
(or, for private mutes, the muted DID or list). A page asks for one row more than it shows,
so a cursor is given only when another page exists. :class:`Cursor` is the opaque
``<sort key>::<tie>`` text handed to clients.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds import InvalidRequest
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.sql import Row, fetch, fetch_in, rows_by_key

SORT_AT: Final = "CASE WHEN created_at < indexed_at THEN created_at ELSE indexed_at END"
SEPARATOR: Final = "::"
MAX_CURSOR: Final = 10_000
SAMPLE_SIZE: Final = 12
"""List members shown in a starter pack's ``listItemsSample``."""


@dataclass(frozen=True)
class Cursor:
    """A position in a page: the last row's sort key and tie."""

    key: str
    tie: str

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor a client sent back; 400 ``InvalidRequest`` if it is none of ours."""
        if text is None:
            return None
        key, separator, tie = text.partition(SEPARATOR)
        if not separator or not tie or len(text) > MAX_CURSOR or iso_time(key) != key:
            raise InvalidRequest("Malformed cursor")
        return cls(key, tie)

    def text(self) -> str:
        """The cursor as clients see it."""
        return f"{self.key}{SEPARATOR}{self.tie}"


@dataclass(frozen=True)
class Page:
    """The rows of one page (each ``(tie, key, *values)``) and the next page's cursor."""

    rows: list[Row]
    cursor: str | None


async def _page(
    client: BaseDBAsyncClient,
    *,
    table: str,
    where: str,
    values: Sequence[Any],
    tie: str,
    columns: Sequence[str] = (),
    key: str = SORT_AT,
    cursor: Cursor | None,
    limit: int,
) -> Page:
    """Rows of ``table`` matching ``where``, newest first, after ``cursor``."""
    selected = ", ".join([tie, f"{key} AS sort_key", *columns])
    text = f"SELECT {selected} FROM {table} WHERE {where}"
    params = list(values)
    if cursor is not None:
        text += f" AND ({key} < ? OR ({key} = ? AND {tie} < ?))"
        params += [cursor.key, cursor.key, cursor.tie]
    text += f" ORDER BY sort_key DESC, {tie} DESC LIMIT ?"
    rows = await fetch(client, text, [*params, limit + 1])
    shown = rows[:limit]
    if len(rows) > limit and shown:
        return Page(shown, Cursor(shown[-1][1], shown[-1][0]).text())
    return Page(shown, None)


async def _page_where(
    client: BaseDBAsyncClient,
    table: str,
    column: str,
    value: str,
    cursor: Cursor | None,
    limit: int,
    *,
    columns: Sequence[str] = (),
    tie: str = "uri",
    key: str = SORT_AT,
) -> Page:
    """:func:`_page` of the rows of ``table`` whose ``column`` is ``value``."""
    return await _page(
        client,
        table=table,
        where=f"{column} = ?",
        values=[value],
        tie=tie,
        columns=columns,
        key=key,
        cursor=cursor,
        limit=limit,
    )


async def follows(client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int) -> Page:
    """``did``'s follows: rows ``(uri, key, subject_did)``."""
    return await _page_where(
        client, "appview_follow", "did", did, cursor, limit, columns=["subject_did"]
    )


async def followers(client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int) -> Page:
    """Who follows ``did``: rows ``(uri, key, did)``."""
    return await _page_where(
        client, "appview_follow", "subject_did", did, cursor, limit, columns=["did"]
    )


async def blocks(client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int) -> Page:
    """Whom ``did`` blocks directly: rows ``(uri, key, subject_did)``."""
    return await _page_where(
        client, "appview_block", "did", did, cursor, limit, columns=["subject_did"]
    )


async def mutes(client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int) -> Page:
    """Whom ``did`` mutes: rows ``(subject_did, key)``, the latest mute first."""
    return await _page_where(
        client, "appview_mute", "did", did, cursor, limit, tie="subject_did", key="created_at"
    )


async def lists_of(client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int) -> Page:
    """``did``'s lists, of every purpose: rows ``(uri, key, purpose)``."""
    return await _page(
        client,
        table="appview_list",
        where="did = ?",
        values=[did],
        tie="uri",
        columns=("purpose",),
        cursor=cursor,
        limit=limit,
    )


async def list_items(
    client: BaseDBAsyncClient, list_uri: str, cursor: Cursor | None, limit: int
) -> Page:
    """The members of ``list_uri``: rows ``(uri, key, subject_did)``."""
    return await _page_where(
        client, "appview_list_item", "list_uri", list_uri, cursor, limit, columns=["subject_did"]
    )


async def list_items_sample(client: BaseDBAsyncClient, list_uri: str) -> list[tuple[str, str]]:
    """The first :data:`SAMPLE_SIZE` members of ``list_uri``: ``(item uri, subject DID)``,
    oldest first."""
    rows = await fetch(
        client,
        f"SELECT uri, subject_did, {SORT_AT} AS sort_key FROM appview_list_item"
        " WHERE list_uri = ? ORDER BY sort_key, uri LIMIT ?",
        [list_uri, SAMPLE_SIZE],
    )
    return [(row[0], row[1]) for row in rows]


async def blocked_lists(
    client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int
) -> Page:
    """The lists ``did`` blocks: rows ``(listblock uri, key, list_uri)``."""
    return await _page_where(
        client, "appview_list_block", "did", did, cursor, limit, columns=["list_uri"]
    )


async def muted_lists(
    client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int
) -> Page:
    """The lists ``did`` mutes: rows ``(list_uri, key)``, the latest mute first."""
    return await _page_where(
        client, "appview_list_mute", "did", did, cursor, limit, tie="list_uri", key="created_at"
    )


async def starter_packs_of(
    client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int
) -> Page:
    """``did``'s starter packs: rows ``(uri, key)``."""
    return await _page_where(client, "appview_starter_pack", "did", did, cursor, limit)


GENERATOR_COLUMNS: Final = (
    "uri",
    "did",
    "cid",
    "feed_did",
    "display_name",
    "description",
    "avatar_cid",
    "indexed_at",
)


async def generators(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, dict[str, Any]]:
    """Feed generator rows of ``uris`` (as column → value)."""
    return await rows_by_key(client, "appview_feed_generator", GENERATOR_COLUMNS, uris)


async def generators_of(
    client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int
) -> Page:
    """``did``'s feed generators, newest ``createdAt`` first as the official ``getActorFeeds``:
    rows ``(uri, key)``."""
    return await _page_where(
        client, "appview_feed_generator", "did", did, cursor, limit, key="created_at"
    )


async def like_counts(client: BaseDBAsyncClient, uris: Collection[str]) -> dict[str, int]:
    """How many likes each of ``uris`` has (missing: none)."""
    rows = await fetch_in(
        client, "SELECT uri, likes FROM appview_post_counts WHERE uri IN ({holes})", uris
    )
    return {row[0]: int(row[1]) for row in rows}


async def _subjects_by(
    client: BaseDBAsyncClient, table: str, did: str, uris: Collection[str]
) -> dict[str, str]:
    """``subject uri → record uri`` of ``did``'s records in ``table`` of ``uris``."""
    rows = await fetch_in(
        client,
        f"SELECT subject_uri, uri FROM {table} WHERE did = ? AND subject_uri IN ({{holes}})",
        uris,
        [did],
    )
    return {row[0]: row[1] for row in rows}


async def likes_by(client: BaseDBAsyncClient, did: str, uris: Collection[str]) -> dict[str, str]:
    """``subject uri → like uri`` of ``did``'s likes of ``uris``."""
    return await _subjects_by(client, "appview_like", did, uris)


async def reposts_by(client: BaseDBAsyncClient, did: str, uris: Collection[str]) -> dict[str, str]:
    """``subject uri → repost uri`` of ``did``'s reposts of ``uris``."""
    return await _subjects_by(client, "appview_repost", did, uris)


async def likes_of(
    client: BaseDBAsyncClient, subject: str, cursor: Cursor | None, limit: int
) -> Page:
    """The likes of ``subject``: rows ``(uri, key, did, created_at)``."""
    return await _page_where(
        client, "appview_like", "subject_uri", subject, cursor, limit, columns=["did", "created_at"]
    )


async def reposts_of(
    client: BaseDBAsyncClient, subject: str, cursor: Cursor | None, limit: int
) -> Page:
    """The reposts of ``subject``: rows ``(uri, key, did)``."""
    return await _page_where(
        client, "appview_repost", "subject_uri", subject, cursor, limit, columns=["did"]
    )


async def quotes_of(
    client: BaseDBAsyncClient, subject: str, cursor: Cursor | None, limit: int
) -> Page:
    """The posts quoting ``subject`` (alone or with media): rows ``(uri, key)``."""
    return await _page_where(client, "appview_post", "embed_uri", subject, cursor, limit)


async def likes_by_actor(
    client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int
) -> Page:
    """``did``'s likes: rows ``(uri, key, subject_uri)``."""
    return await _page_where(
        client, "appview_like", "did", did, cursor, limit, columns=["subject_uri"]
    )


async def bookmarks_of(
    client: BaseDBAsyncClient, did: str, cursor: Cursor | None, limit: int
) -> Page:
    """``did``'s bookmarks, newest first: rows ``(subject_uri, created_at, subject_cid)``."""
    return await _page_where(
        client,
        "appview_bookmark",
        "did",
        did,
        cursor,
        limit,
        columns=["subject_cid"],
        tie="subject_uri",
        key="created_at",
    )
