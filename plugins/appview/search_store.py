"""The full-text index of posts and ``searchPosts``' read of it, as raw SQL.

The index lives in the database itself, over ``appview_post``'s ``text`` (English stems:
``running`` finds ``run``) and ``search_keys`` (:mod:`.search_keys`, exact words):

- SQLite: the FTS5 table ``appview_post_fts`` (external content: the post rows, by
  ``rowid``, tokenizer ``porter unicode61 remove_diacritics 2``), which triggers on
  ``appview_post`` keep in step with every insert, update and delete;
- PostgreSQL: GIN indexes on ``to_tsvector('english', text)`` and
  ``to_tsvector('simple', coalesce(search_keys, ''))``, which the query's expressions use.
  The English configuration drops stop words, so ``the`` alone finds nothing there.

Only posts of active actors are found. ``latest`` sorts newest ``sortAt``
(``min(createdAt, indexedAt)``) first, ties by URI; ``top`` sorts most liked first, then
as ``latest``. The cursor names the last post given (``<sortAt>::<uri>``, and for ``top``
``<likes>::<sortAt>::<uri>``); like counts move, so a ``top`` page may repeat or miss a
post whose likes changed since the previous page.

On SQLite, a ``latest`` search without ``from:`` whose words match at least
:data:`DENSE_MATCHES` posts walks the posts' ``sortAt`` index newest first, testing each
against the matches, instead of sorting every match: a common word's page is then found
among the newest posts (same rows, same order; measured by ``bench/appview_bench.py``).
"""

from __future__ import annotations

import json
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

from exprsn_pds import InvalidRequest
from exprsn_pds.plugins.appview.feed_store import POST_SORT_INDEX
from exprsn_pds.plugins.appview.graph_store import MAX_CURSOR, SEPARATOR, SORT_AT
from exprsn_pds.plugins.appview.records import iso_time
from exprsn_pds.plugins.appview.search_keys import index_keys
from exprsn_pds.plugins.appview.search_query import TOP, PostSearch
from exprsn_pds.sql import execute, fetch, is_postgres

SQLITE_REBUILD: Final = "INSERT INTO appview_post_fts (appview_post_fts) VALUES ('rebuild')"
SQLITE_INDEX: Final = (
    "CREATE VIRTUAL TABLE appview_post_fts USING fts5(text, search_keys,"
    " content='appview_post', content_rowid='rowid',"
    " tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER appview_post_fts_insert AFTER INSERT ON appview_post BEGIN"
    " INSERT INTO appview_post_fts (rowid, text, search_keys)"
    " VALUES (new.rowid, new.text, new.search_keys); END",
    "CREATE TRIGGER appview_post_fts_delete AFTER DELETE ON appview_post BEGIN"
    " INSERT INTO appview_post_fts (appview_post_fts, rowid, text, search_keys)"
    " VALUES ('delete', old.rowid, old.text, old.search_keys); END",
    "CREATE TRIGGER appview_post_fts_update AFTER UPDATE OF text, search_keys"
    " ON appview_post BEGIN"
    " INSERT INTO appview_post_fts (appview_post_fts, rowid, text, search_keys)"
    " VALUES ('delete', old.rowid, old.text, old.search_keys);"
    " INSERT INTO appview_post_fts (rowid, text, search_keys)"
    " VALUES (new.rowid, new.text, new.search_keys); END",
    SQLITE_REBUILD,
)
SQLITE_DROP: Final = (
    "DROP TRIGGER appview_post_fts_insert",
    "DROP TRIGGER appview_post_fts_delete",
    "DROP TRIGGER appview_post_fts_update",
    "DROP TABLE appview_post_fts",
)
PG_TEXT: Final = "to_tsvector('english', p.text)"
PG_KEYS: Final = "to_tsvector('simple', coalesce(p.search_keys, ''))"
POSTGRES_INDEX: Final = (
    "CREATE INDEX appview_post_text_fts ON appview_post USING gin (to_tsvector('english', text))",
    "CREATE INDEX appview_post_keys_fts ON appview_post"
    " USING gin (to_tsvector('simple', coalesce(search_keys, '')))",
)
POSTGRES_DROP: Final = ("DROP INDEX appview_post_text_fts", "DROP INDEX appview_post_keys_fts")

SORT_KEY: Final = SORT_AT.replace("created_at", "p.created_at").replace(
    "indexed_at", "p.indexed_at"
)
LIKES: Final = "coalesce(c.likes, 0)"
DENSE_MATCHES: Final = 2_000
"""Matches from which a SQLite ``latest`` search walks the ``sortAt`` index (below, sorting
the matches costs less than walking past the posts that do not match)."""


async def fill_keys(client: BaseDBAsyncClient) -> None:
    """Set ``search_keys`` of every indexed post from the record the index holds."""
    rows = await fetch(
        client,
        "SELECT p.uri, r.record FROM appview_post p JOIN appview_record r ON r.uri = p.uri"
        " WHERE r.record IS NOT NULL",
    )
    for uri, record in rows:
        keys = index_keys(json.loads(record))
        await execute(client, "UPDATE appview_post SET search_keys = ? WHERE uri = ?", [keys, uri])


async def rebuild_index(client: BaseDBAsyncClient) -> None:
    """Rebuild SQLite's full-text table from the post rows (a ``VACUUM`` may renumber the
    ``rowid`` it refers to); PostgreSQL's indexes need nothing."""
    if not is_postgres(client):
        await execute(client, SQLITE_REBUILD)


async def create_index(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration step: fill the keys of the posts already indexed, then index them."""
    client = editor.client
    await fill_keys(client)
    for statement in POSTGRES_INDEX if is_postgres(client) else SQLITE_INDEX:
        await execute(client, statement)


async def drop_index(apps: Any, editor: BaseSchemaEditor) -> None:
    """Migration step back: drop the full-text index."""
    client = editor.client
    for statement in POSTGRES_DROP if is_postgres(client) else SQLITE_DROP:
        await execute(client, statement)


def _fts5_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _sqlite_match(search: PostSearch, keys: list[str]) -> tuple[str, list[Any]]:
    words = [_fts5_string(phrase) for phrase in search.phrases]
    words += [_fts5_string(prefix) + " *" for prefix in search.prefixes]
    parts = [f"text : ({' AND '.join(words)})"] if words else []
    if keys:
        parts.append(f"search_keys : ({' AND '.join(keys)})")
    if not parts:
        return "", []
    return (
        " AND p.rowid IN (SELECT rowid FROM appview_post_fts WHERE appview_post_fts MATCH ?)",
        [" AND ".join(parts)],
    )


def _postgres_match(search: PostSearch, keys: list[str]) -> tuple[str, list[Any]]:
    queries = ["phraseto_tsquery('english', ?)"] * len(search.phrases)
    queries += ["to_tsquery('english', ?)"] * len(search.prefixes)
    text = f" AND {PG_TEXT} @@ ({' && '.join(queries)})" if queries else ""
    if keys:
        text += f" AND {PG_KEYS} @@ to_tsquery('simple', ?)"
    values = [*search.phrases, *(f"{prefix}:*" for prefix in search.prefixes)]
    values += [" & ".join(keys)] if keys else []
    return text, values


def _filters(search: PostSearch) -> tuple[str, list[Any]]:
    text, values = "", []
    for author in search.authors:
        text += " AND p.did = ?"
        values.append(author)
    if search.since is not None:
        text += f" AND {SORT_KEY} >= ?"
        values.append(search.since)
    if search.until is not None:
        text += f" AND {SORT_KEY} < ?"
        values.append(search.until)
    return text, values


def _after(search: PostSearch, cursor: str | None) -> tuple[str, list[Any]]:
    """The keyset condition of the rows after ``cursor``; 400 if it is none of ours."""
    if cursor is None:
        return "", []
    parts = cursor.split(SEPARATOR, 2 if search.sort == TOP else 1)
    likes = parts.pop(0) if search.sort == TOP and len(parts) == 3 else None
    if (
        len(cursor) > MAX_CURSOR
        or len(parts) != 2
        or iso_time(parts[0]) != parts[0]
        or not parts[1]
        or (search.sort == TOP and (likes is None or not likes.isdigit()))
    ):
        raise InvalidRequest("Malformed cursor")
    key, tie = parts
    later = f"({SORT_KEY} < ? OR ({SORT_KEY} = ? AND p.uri < ?))"
    if likes is None:
        return f" AND {later}", [key, key, tie]
    return (
        f" AND ({LIKES} < ? OR ({LIKES} = ? AND {later}))",
        [int(likes), int(likes), key, key, tie],
    )


async def _dense(client: BaseDBAsyncClient, match: str) -> bool:
    """Whether the SQLite full-text ``match`` finds at least :data:`DENSE_MATCHES` posts
    (counted up to there only)."""
    rows = await fetch(
        client,
        "SELECT count(*) FROM (SELECT rowid FROM appview_post_fts"
        " WHERE appview_post_fts MATCH ? LIMIT ?)",
        [match, DENSE_MATCHES],
    )
    return int(rows[0][0]) >= DENSE_MATCHES


async def search_posts(
    client: BaseDBAsyncClient, search: PostSearch, limit: int, cursor: str | None
) -> tuple[list[str], str | None]:
    """The URIs of up to ``limit`` posts after ``cursor`` that match the resolved
    ``search`` (:meth:`PostSearch.resolved`), in its order, and the next page's cursor
    (``None`` on the last page). A search that nothing narrows finds nothing."""
    if search.is_empty():
        return [], None
    keys = search.keys()
    match = _postgres_match if is_postgres(client) else _sqlite_match
    matched, match_values = match(search, keys)
    filtered, filter_values = _filters(search)
    after, after_values = _after(search, cursor)
    top = search.sort == TOP
    walked = ""
    sqlite_latest = not top and not search.authors and not is_postgres(client)
    if sqlite_latest and match_values and await _dense(client, str(match_values[0])):
        walked = f" INDEXED BY {POST_SORT_INDEX}"
        if after_values:  # the cursor as a range of the index
            after += f" AND {SORT_KEY} <= ?"
            after_values.append(after_values[0])
    text = (
        f"SELECT p.uri, {SORT_KEY}, {LIKES if top else '0'} FROM appview_post p{walked}"
        " JOIN appview_actor a ON a.did = p.did"
        f"{' LEFT JOIN appview_post_counts c ON c.uri = p.uri' if top else ''}"
        f" WHERE a.status = 'active'{matched}{filtered}{after}"
        f" ORDER BY {f'{LIKES} DESC, ' if top else ''}{SORT_KEY} DESC, p.uri DESC LIMIT ?"
    )
    rows = await fetch(client, text, [*match_values, *filter_values, *after_values, limit + 1])
    page = rows[:limit]
    if len(rows) <= limit or not page:
        return [row[0] for row in page], None
    uri, key, likes = page[-1]
    last = f"{key}{SEPARATOR}{uri}"
    return [row[0] for row in page], f"{likes}{SEPARATOR}{last}" if top else last
