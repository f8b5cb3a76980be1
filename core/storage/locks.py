"""A PostgreSQL advisory lock that serialises migrations across server processes.

Several processes may share one PostgreSQL database and start at once; the lock makes
the second wait for the first to finish migrating, after which it finds nothing left
to apply. A SQLite database belongs to one process and needs no lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import asyncpg

from exprsn_pds.storage.urls import dialect_of

# Any fixed 64-bit key works; this one spells "exprsn:m" (for migrations).
MIGRATION_LOCK_KEY: Final = int.from_bytes(b"exprsn:m", "big")
POOL_OPTIONS: Final = frozenset({"minsize", "maxsize"})


@asynccontextmanager
async def migration_lock(connection_config: dict[str, Any]) -> AsyncIterator[None]:
    """Hold the migration lock for the block (PostgreSQL only).

    The lock lives on a connection of its own, outside the pool the migrations use, and
    is released when that connection closes, even if the block fails.
    """
    if dialect_of(connection_config) != "postgres":
        yield
        return
    credentials = connection_config["credentials"]
    connection = await asyncpg.connect(
        **{name: value for name, value in credentials.items() if name not in POOL_OPTIONS}
    )
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield
    finally:
        await connection.close()
