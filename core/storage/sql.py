"""Raw SQL for hot paths: one statement text for SQLite and PostgreSQL.

Tortoise builds every model query through pypika, which costs more than the query
itself for the small indexed lookups and inserts a repository write makes. Hot paths
instead write plain SQL with ``?`` placeholders (SQLite's style); :func:`fetch` and
:func:`execute` translate them to ``$1, $2, ...`` for PostgreSQL and run the statement
on a tortoise client, so it joins that client's transaction. Statements must use SQL
both databases speak and contain no literal ``?``.

Raw SQL lives only in the store modules (``*store.py``) and here. A store function takes
the client it runs on as its first argument and never looks one up: inside a
transaction, the connection :meth:`Database.transaction
<exprsn_pds.storage.database.Database.transaction>` yields (or a read snapshot's);
elsewhere its caller passes :attr:`Database.client
<exprsn_pds.storage.database.Database.client>`, the database's own client, taken when it
connected. A transaction is only ever carried that way, explicitly (ORM queries inside one
get ``using_db``), never through tortoise's context variable; :func:`current_client` reads
that variable and is for tests only (tests/test_storage.py checks the core never calls it).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection, Iterator, Sequence
from typing import Any, Final

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.storage.apps import CONNECTION_NAME

POSTGRES_DIALECT: Final = "postgres"
PLACEHOLDER: Final = re.compile(r"\?")
STATEMENT_CACHE_SIZE: Final = 512
#: Most parameters one statement binds: SQLite builds before 3.32 allow no more.
MAX_PARAMETERS: Final = 999

Row = Sequence[Any]


def current_client() -> BaseDBAsyncClient:
    """Tortoise's current client: the open transaction's, else the database's (tests only)."""
    client: BaseDBAsyncClient = connections.get(CONNECTION_NAME)
    return client


def is_postgres(client: BaseDBAsyncClient) -> bool:
    """Whether ``client`` talks to PostgreSQL (else SQLite)."""
    return client.capabilities.dialect == POSTGRES_DIALECT


@functools.lru_cache(maxsize=STATEMENT_CACHE_SIZE)
def _postgres_text(text: str) -> str:
    numbers = itertools.count(1)
    return PLACEHOLDER.sub(lambda _: f"${next(numbers)}", text)


def dialect_text(client: BaseDBAsyncClient, text: str) -> str:
    """``text`` (written with ``?`` placeholders) as ``client``'s database expects it."""
    return _postgres_text(text) if is_postgres(client) else text


async def fetch(client: BaseDBAsyncClient, text: str, values: Sequence[Any] = ()) -> list[Row]:
    """The rows a ``SELECT`` answers; each row is indexable by column position."""
    _, rows = await client.execute_query(dialect_text(client, text), list(values))
    # Both drivers answer rows indexable by position (sqlite3.Row, asyncpg.Record), though
    # tortoise declares them dicts.
    answer: list[Row] = list(rows)  # type: ignore[arg-type]
    return answer


async def execute(client: BaseDBAsyncClient, text: str, values: Sequence[Any] = ()) -> int:
    """Run an ``INSERT``, ``UPDATE`` or ``DELETE`` (no ``RETURNING``); rows it changed."""
    changed, _ = await client.execute_query(dialect_text(client, text), list(values))
    return changed


def placeholders(count: int) -> str:
    """``?, ?, ...`` with ``count`` placeholders, for an ``IN (...)`` list."""
    return ", ".join("?" * count)


def values_rows(width: int, count: int) -> str:
    """``(?, ?), (?, ?), ...``: ``count`` rows of ``width`` placeholders, for a VALUES list."""
    row = f"({placeholders(width)})"
    return ", ".join([row] * count)


def chunks(items: Sequence[Any], width: int = 1) -> Iterator[Sequence[Any]]:
    """``items`` in consecutive slices, each binding at most :data:`MAX_PARAMETERS`.

    ``width`` is how many parameters one item binds (a row's columns); one parameter
    per statement is left for a fixed one (e.g. the DID before an ``IN`` list).
    """
    size = (MAX_PARAMETERS - 1) // width
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def fetch_in(
    client: BaseDBAsyncClient, text: str, values: Collection[Any], before: Sequence[Any] = ()
) -> list[Row]:
    """The rows of ``text``, whose one ``{holes}`` stands for an ``IN`` list of ``values``:
    run once per slice of ``values`` (distinct, sorted) that fits one statement's
    parameters, each with ``before`` bound ahead of the slice. However many ``values``,
    no statement binds more than :data:`MAX_PARAMETERS`."""
    ordered = sorted(set(values))
    size = max(1, MAX_PARAMETERS - len(before))
    rows: list[Row] = []
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        statement = text.format(holes=placeholders(len(chunk)))
        rows.extend(await fetch(client, statement, [*before, *chunk]))
    return rows


async def rows_by_key(
    client: BaseDBAsyncClient, table: str, columns: Sequence[str], keys: Collection[Any]
) -> dict[Any, dict[str, Any]]:
    """The rows of ``table`` whose first of ``columns`` (its key) is among ``keys``, as
    ``key → column → value``."""
    rows = await fetch_in(
        client, f"SELECT {', '.join(columns)} FROM {table} WHERE {columns[0]} IN ({{holes}})", keys
    )
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
