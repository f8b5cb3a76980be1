"""The client of the plugin's own tables; the SQL helpers come from :mod:`exprsn_pds.sql`.

The index's hot paths (upserts of marks and counters, the batched joins of hydration)
are plain SQL run by :func:`~exprsn_pds.sql.fetch` / :func:`~exprsn_pds.sql.execute` on a
tortoise client: the transaction's (``pds.database.transaction()``), or :func:`client`
outside one. Only the ``*_store`` modules of this plugin use them, and only on
``appview_*`` tables; the core's tables are reached through ``pds.accounts`` / ``pds.repos``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.models import IndexedActor
from exprsn_pds.sql import MAX_PARAMETERS, Row, execute, fetch, is_postgres

__all__ = [
    "MAX_PARAMETERS",
    "Row",
    "client",
    "execute",
    "fetch",
    "fetch_in",
    "is_postgres",
    "rows_by_key",
]


def client() -> BaseDBAsyncClient:
    """The client of the index's tables now: the open transaction's, else the database's."""
    db: BaseDBAsyncClient = IndexedActor._meta.db
    return db


async def fetch_in(
    client: BaseDBAsyncClient, text: str, values: Collection[str], before: Sequence[Any] = ()
) -> list[Row]:
    """``text`` with ``{holes}`` replaced by placeholders, once per chunk of ``values``
    (distinct, sorted), each run with ``before`` bound ahead of the chunk."""
    ordered = sorted(set(values))
    size = MAX_PARAMETERS - len(before) - 1
    rows: list[Row] = []
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        holes = ", ".join("?" * len(chunk))
        rows.extend(await fetch(client, text.format(holes=holes), [*before, *chunk]))
    return rows


async def rows_by_key(
    client: BaseDBAsyncClient, table: str, columns: Sequence[str], keys: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The rows of ``table`` whose first of ``columns`` (its key) is among ``keys``, as
    ``key → column → value``."""
    rows = await fetch_in(
        client, f"SELECT {', '.join(columns)} FROM {table} WHERE {columns[0]} IN ({{holes}})", keys
    )
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
