"""Raw SQL on the plugin's own tables, in one text for SQLite and PostgreSQL.

The index's hot paths (upserts of marks and counters, the batched joins of hydration)
are plain SQL with ``?`` placeholders, turned into ``$1, $2, ...`` for PostgreSQL and run
on a tortoise client: the transaction's (``pds.database.transaction()``), or
:func:`client` outside one. Only the ``*_store`` modules of this plugin use it, and only on
``appview_*`` tables; the core's tables are reached through ``pds.accounts`` / ``pds.repos``.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview.models import IndexedActor

POSTGRES_DIALECT: Final = "postgres"
PLACEHOLDER: Final = re.compile(r"\?")
#: Most parameters one statement binds (SQLite builds before 3.32 allow no more).
MAX_PARAMETERS: Final = 999
STATEMENT_CACHE_SIZE: Final = 256

Row = Sequence[Any]


def client() -> BaseDBAsyncClient:
    """The client of the index's tables now: the open transaction's, else the database's."""
    db: BaseDBAsyncClient = IndexedActor._meta.db
    return db


def is_postgres(db: BaseDBAsyncClient) -> bool:
    """Whether ``db`` talks to PostgreSQL (else SQLite)."""
    return bool(db.capabilities.dialect == POSTGRES_DIALECT)


@functools.lru_cache(maxsize=STATEMENT_CACHE_SIZE)
def _postgres_text(text: str) -> str:
    numbers = itertools.count(1)
    return PLACEHOLDER.sub(lambda _: f"${next(numbers)}", text)


def _text(db: BaseDBAsyncClient, text: str) -> str:
    return _postgres_text(text) if is_postgres(db) else text


async def fetch(db: BaseDBAsyncClient, text: str, values: Sequence[Any] = ()) -> list[Row]:
    """The rows of a ``SELECT``, each indexable by column position."""
    _, rows = await db.execute_query(_text(db, text), list(values))
    answer: list[Row] = list(rows)  # type: ignore[arg-type]  # drivers answer rows by position
    return answer


async def execute(db: BaseDBAsyncClient, text: str, values: Sequence[Any] = ()) -> int:
    """Run an ``INSERT``, ``UPDATE`` or ``DELETE``; how many rows it changed."""
    changed, _ = await db.execute_query(_text(db, text), list(values))
    return int(changed)
